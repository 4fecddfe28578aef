"""The requests a sweep sends: a ``--requests`` file with its weights."""

from __future__ import annotations

import json
from pathlib import Path

from study.sweep._requests import read_requests


def test_requests_file_with_weights(tmp_path: Path) -> None:
    path = tmp_path / "requests.jsonl"
    path.write_text(
        '{"body": {"instances": [{"a": 1}]}, "weight": 3}\n\n'
        '{"body": "raw text", "path": "/health", "method": "get"}\n'
    )
    first, second = read_requests(path)
    assert json.loads(first.body) == {"instances": [{"a": 1}]} and first.weight == 3.0
    assert (second.body, second.method, second.path, second.weight) == (
        b"raw text",
        "GET",
        "/health",
        1.0,
    )
