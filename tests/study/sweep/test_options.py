"""The sweep's ``--memory`` list, read once and checked."""

from __future__ import annotations

from study.sweep._options import parse_memory


def test_memory_list_is_sorted_once_each() -> None:
    assert parse_memory("1024, 128,256MB,128") == [128, 256, 1024]
