"""One line of requests.jsonl: the record type has the fields docs/results.md lists, in order,
reads back as written, and a damaged line is named."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pytest

from resultfiles import ERROR_KINDS, Record, RecordReader, ResultsError

from ..support.paths import REPO

DOCS = REPO / "docs" / "results.md"


def _documented_keys() -> list[str]:
    text = DOCS.read_text(encoding="utf-8")
    section = text.split("## `requests.jsonl`", 1)[1].split("\n## ", 1)[0]
    table = section.split("| key | type | meaning |", 1)[1].split("\n\n", 1)[0]
    keys: list[str] = []
    for line in table.splitlines():
        if line.startswith("| `"):
            keys += re.findall(r"`([a-z_]+)`", line.split("|")[1])
    return keys


def test_the_record_has_exactly_the_documented_fields_in_their_order() -> None:
    fields = [f.name for f in dataclasses.fields(Record) if f.name != "extra"]
    assert fields == _documented_keys()
    kinds = DOCS.read_text(encoding="utf-8").split("**Error kinds**", 1)[1].split("\n\n", 2)[1]
    assert [m for m in re.findall(r"^\| `([a-z_]+)` \|", kinds, re.MULTILINE)] == list(ERROR_KINDS)


def test_a_record_reads_back_as_written_unknown_keys_kept(tmp_path: Path) -> None:
    rec = Record(
        seq=3,
        user=None,
        stage=1,
        start_s=0.5,
        latency_us=1200,
        status=200,
        error=None,
        cold_start=True,
        restore=False,
        request_id="r-3",
        extra={"from_a_newer_writer": [1, 2]},
    )
    path = tmp_path / "requests.jsonl"
    path.write_text(json.dumps(rec.to_json()) + "\n")
    [back] = list(RecordReader(path))
    assert back == rec and "source" not in rec.to_json()
    assert dataclasses.replace(back, source=1).to_json()["source"] == 1


def test_an_older_file_without_restore_reads_as_no_restore(tmp_path: Path) -> None:
    path = tmp_path / "requests.jsonl"
    path.write_text(
        json.dumps(
            {"seq": 0, "stage": 0, "start_s": 0.0, "latency_us": 5, "status": 200, "error": None}
        )
        + "\n"
    )
    [back] = list(RecordReader(path))
    assert back.restore is False and back.cold_start is None and back.ok


def test_a_damaged_record_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "requests.jsonl"
    path.write_text(
        '{"seq": 0, "stage": 0, "start_s": 0.0, "latency_us": -1, "status": 200, "error": null}\n'
    )
    with pytest.raises(ResultsError, match=r"requests.jsonl:1: 'latency_us' is -1"):
        list(RecordReader(path))
