"""A stack's access log read as typed entries: what the report joins records through."""

from __future__ import annotations

import json
from pathlib import Path

from resultfiles import AccessEntry, read_access_log


def test_each_line_is_an_entry_and_a_torn_or_foreign_line_is_skipped(tmp_path: Path) -> None:
    path = tmp_path / "python-512.access.jsonl"
    lines = [
        json.dumps(
            {
                "t": 1796500000.5,
                "apigw_id": "g1",
                "request_id": "r1",
                "status": 200,
                "added_ms": 12.5,
                "response_ms": 20,
            }
        ),
        json.dumps(
            {
                "t": 1796500001,
                "apigw_id": "g2",
                "request_id": None,
                "status": 404,
                "added_ms": 0.0,
                "response_ms": 1.25,
            }
        ),
        "[1, 2]",
        json.dumps({"apigw_id": 7, "status": True}),
        '{"t": 1796500002, "apigw_id": "g3", "req',
    ]
    path.write_text("\n".join(lines), encoding="utf-8")
    assert read_access_log(path) == [
        AccessEntry(
            t=1796500000.5,
            apigw_id="g1",
            request_id="r1",
            status=200,
            added_ms=12.5,
            response_ms=20,
        ),
        AccessEntry(
            t=1796500001, apigw_id="g2", request_id=None, status=404, added_ms=0.0, response_ms=1.25
        ),
        # Values of the wrong type read as absent (the report skips such an entry).
        AccessEntry(),
    ]


def test_a_missing_access_log_is_no_entries(tmp_path: Path) -> None:
    assert read_access_log(tmp_path / "absent.access.jsonl") == []
