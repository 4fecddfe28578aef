"""A team's request set: one object, a list or JSON lines, each request's route and weight,
and a damaged line named."""

from __future__ import annotations

import json

import pytest

from contract import RequestSetError, parse_request_set


def test_a_request_set_takes_one_object_a_list_or_json_lines() -> None:
    one = parse_request_set('{"path": "/a", "body": {"k": 1}}', "r.json")
    assert one[0].method == "POST" and one[0].body == b'{"k":1}'
    assert ("content-type", "application/json") in one[0].headers
    listed = parse_request_set(
        json.dumps([{"path": "/a"}, {"path": "/b?x=1", "weight": 2}]), "r.json"
    )
    assert [(r.route, r.weight) for r in listed] == [("GET /a", 1.0), ("GET /b", 2.0)]
    lines = parse_request_set('{"path": "/a"}\n{"path": "/b", "body": "raw"}\n', "r.jsonl")
    assert [r.body for r in lines] == [b"", b"raw"]
    with pytest.raises(RequestSetError) as caught:
        parse_request_set('{"path": "/a"}\n{oops\n', "r.jsonl")
    assert caught.value.problems == [
        (
            "r.jsonl:2: not JSON (Expecting property name enclosed in double quotes); JSON lines "
            "hold one request object per line"
        )
    ]
