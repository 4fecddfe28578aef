"""The emulator's endpoints.json: written and read back typed, absent reads as none, a damaged
one named."""

from __future__ import annotations

from pathlib import Path

import pytest

from resultfiles import (
    Endpoints,
    EndpointsFile,
    RequestSet,
    ResultsError,
    read_endpoints,
    write_json_atomic,
)


def test_endpoints_written_read_back_typed(tmp_path: Path) -> None:
    path = tmp_path / "build" / "endpoints.json"
    document = {
        "stacks": {
            "python-512": {
                "url": "http://127.0.0.1:9001",
                "authorization": "none",
                "settings": {"memory_mb": 512},
                "log": "build/logs/python-512.log",
                "api_throttle_rate": 10,
            },
            "my-fn": {
                "url": "http://127.0.0.1:9002",
                "package": {"kind": "zip"},
                "requests": {"file": "examples/requests.json", "expect_field": "label"},
            },
            "workers": {"kind": "loadgen-workers", "bucket": "b"},
        },
        "cpu_limited": True,
        "hosted_by": {"python": "3.11.7", "java": None},
        "pid": 42,
        "init_cpu": {"mode": "burst"},
    }
    path.parent.mkdir()
    write_json_atomic(path, document)
    read = read_endpoints(path)
    assert read == Endpoints.from_json(document, source=str(path))
    assert read is not None and read.pid == 42 and read.cpu_limited is True
    assert read.hosted_by == {"python": "3.11.7", "java": None}
    model = read.stacks["python-512"]
    assert model.url == "http://127.0.0.1:9001" and model.log == "build/logs/python-512.log"
    assert model.requests is None and model.entry["api_throttle_rate"] == 10
    function = read.stacks["my-fn"]
    assert function.requests == RequestSet(file="examples/requests.json", expect_field="label")
    assert function.package == {"kind": "zip"}
    assert read.stacks["workers"].url is None


def test_no_endpoints_file_reads_as_none_and_a_damaged_one_is_named(tmp_path: Path) -> None:
    path = tmp_path / "endpoints.json"
    assert read_endpoints(path) is None
    path.write_text('{"cpu_limited": true}', encoding="utf-8")
    with pytest.raises(ResultsError, match="has no 'stacks' mapping"):
        read_endpoints(path)
    with pytest.raises(ResultsError, match="'stacks' is missing"):
        EndpointsFile.from_json({"pid": 1})
    path.write_text("{", encoding="utf-8")
    with pytest.raises(ResultsError, match="cannot read the emulator's endpoints file"):
        read_endpoints(path)
