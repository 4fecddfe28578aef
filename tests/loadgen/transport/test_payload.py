"""Request bodies: the shipped payload, rows projected onto a target's features, problems
explained, and the payload file derived deterministically from the KDD Cup 99 source."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from loadgen import PayloadError
from loadgen.transport._payload import DEFAULT_PAYLOAD, build_bodies, load_rows


def test_shipped_payload_serves_both_subsets() -> None:
    rows = load_rows(DEFAULT_PAYLOAD)
    assert len(rows) == 2000
    assert sum(1 for r in rows if r["service"] == "http") >= 1000
    assert all(len(r) == 41 for r in rows)
    for features in (
        ["duration", "src_bytes", "dst_bytes"],
        ["duration", "protocol_type", "service", "flag", "count"],
    ):
        body = json.loads(build_bodies(rows, features, 3)[0])
        assert len(body["instances"]) == 3
        assert all(list(inst) == features for inst in body["instances"])


def test_payload_problems_are_explained(tmp_path: Path) -> None:
    with pytest.raises(PayloadError, match="lack the feature"):
        build_bodies([{"duration": 1}], ["duration", "secret"], 1)
    bad = tmp_path / "p.jsonl"
    bad.write_text('{"a": 1}\n[1]\n')
    with pytest.raises(PayloadError, match=":2: each line must be a JSON object"):
        load_rows(bad)
    with pytest.raises(PayloadError, match="cannot read payload"):
        load_rows(tmp_path / "absent.jsonl")


def test_payload_is_derived_deterministically(tmp_path: Path) -> None:
    import subprocess
    import sys

    script = DEFAULT_PAYLOAD.with_name("make_payload.py")
    source = Path("/work/shared/data/kdd99/kddcup.data_10_percent.gz")
    if not source.is_file():
        pytest.skip(f"the KDD Cup 99 source {source} is not on this machine")
    out = tmp_path / "payload.jsonl"
    subprocess.run(
        [sys.executable, str(script), str(source), "--out", str(out)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    assert out.read_bytes() == DEFAULT_PAYLOAD.read_bytes()
