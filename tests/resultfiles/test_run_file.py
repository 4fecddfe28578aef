"""run.json's typed writers: byte-identical rewrites, write -> read -> equal, clear errors."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from resultfiles import (
    MERGE_COPIED,
    RUN_INFO,
    Machine,
    MergedRunFile,
    MergedSource,
    ResultsError,
    RunFile,
    SweepRunFile,
    SweepTarget,
    read_run_info,
    write_run_file,
)

#: run.json files written by the load generator, its merge and the sweep before the writers
#: were typed (only paths scrubbed): the typed writers must reproduce them exactly.
WRITTEN = Path(__file__).resolve().parent / "written"
CASES = sorted(p.name for p in WRITTEN.iterdir() if (p / RUN_INFO).is_file())


def _read(folder: Path) -> RunFile | MergedRunFile | SweepRunFile:
    data = json.loads((folder / RUN_INFO).read_text(encoding="utf-8"))
    if data.get("scenario") == "sweep":
        return SweepRunFile.from_json(data)
    if "merged_from" in data:
        return MergedRunFile.from_json(data)
    return RunFile.from_json(data)


@pytest.mark.parametrize("case", CASES)
def test_a_written_run_json_reads_and_rewrites_byte_for_byte(case: str, tmp_path: Path) -> None:
    run = _read(WRITTEN / case)
    write_run_file(tmp_path, run)
    assert (tmp_path / RUN_INFO).read_bytes() == (WRITTEN / case / RUN_INFO).read_bytes()
    assert _read(tmp_path) == run


def test_the_written_files_cover_each_writer() -> None:
    kinds = {type(_read(WRITTEN / case)) for case in CASES}
    assert kinds == {RunFile, MergedRunFile, SweepRunFile}


RUN = RunFile(
    schema_version=1,
    run_id="r1",
    scenario="scenario2",
    plan={"layout": "stages", "stages": [{"users": 2}]},
    plan_scaled={"layout": "stages"},
    plan_duration_s=2.0,
    time_scale=1.0,
    target={"name": "python-512", "url": "http://h"},
    health={"model_version": "m1"},
    features=("duration", "src_bytes"),
    batch=1,
    timeout_s=30.0,
    payload="loadgen/data/payload.jsonl",
    payload_rows=2000,
    versions={"python": "3.11.7"},
    machine=Machine(hostname="h", platform="Linux", cpu_model="", cpu_count=None, cpus_usable=2),
    command=("python", "-m", "loadgen"),
    notes=("a note",),
    latency_unit="microseconds",
    client="asyncio Protocol",
    network_path=None,
)


def test_a_run_json_at_the_start_states_network_path_and_leaves_the_end_out(tmp_path: Path) -> None:
    write_run_file(tmp_path, RUN)
    data = json.loads((tmp_path / RUN_INFO).read_text(encoding="utf-8"))
    assert data["network_path"] is None and data["machine"]["cpu_count"] is None
    for later in (
        "request_set",
        "start_epoch_s",
        "started_at",
        "ended_at",
        "duration_s",
        "write_error",
        "summary_missing",
    ):
        assert later not in data
    assert _read(tmp_path) == RUN


def test_write_then_read_gives_the_same_finished_run(tmp_path: Path) -> None:
    run = dataclasses.replace(
        RUN,
        network_path={"added_ms": 12.5},
        request_set={"requests": 2000},
        start_epoch_s=1796528396.879936,
        started_at="2026-12-06T03:39:56Z",
        ended_at="2026-12-06T03:39:58Z",
        duration_s=1.301,
        write_error="cannot write x",
        summary_missing=True,
    )
    write_run_file(tmp_path, run)
    assert _read(tmp_path) == run
    read = read_run_info(tmp_path)
    assert (read.run_id, read.scenario, read.start_epoch_s) == (
        "r1",
        "scenario2",
        1796528396.879936,
    )
    assert read.network_path == {"added_ms": 12.5} and read.target.name == "python-512"
    assert read.machine is not None and read.machine.cpus_usable == 2


def test_a_merged_run_json_copies_its_first_source_and_lists_every_source(tmp_path: Path) -> None:
    merged = MergedRunFile(
        copied={
            **dict.fromkeys(MERGE_COPIED),
            "scenario": "scenario2",
            "time_scale": 1.0,
            "target": {"name": "python-512"},
        },
        start_epoch_s=1796500000.0,
        started_at="2026-12-06T03:39:56Z",
        merged_from=(
            MergedSource(folder="workers/w0", run_id="w0", time_scale=1.0),
            MergedSource(folder="workers/w1"),
        ),
        workers={"count": 2},
    )
    write_run_file(tmp_path, merged)
    data = json.loads((tmp_path / RUN_INFO).read_text(encoding="utf-8"))
    # A key the first source lacked is written as null, as the merge always did.
    assert data["plan"] is None and data["run_id"] == "merged"
    assert _read(tmp_path) == merged
    read = read_run_info(tmp_path)
    assert read.merged_from == ("workers/w0", "workers/w1") and read.target.name == "python-512"


def test_a_sweep_run_json_writes_network_path_only_when_known(tmp_path: Path) -> None:
    run = SweepRunFile(
        run_id="run1",
        start_epoch_s=1796500000.25,
        batch=1,
        target=SweepTarget(name="v", settings={"memory_mb": 512}, memory_mb=512),
        cold=1,
        warm=2,
    )
    write_run_file(tmp_path, run)
    assert "network_path" not in json.loads((tmp_path / RUN_INFO).read_text(encoding="utf-8"))
    assert _read(tmp_path) == run
    with_path = dataclasses.replace(run, network_path={"added_ms": 12.5})
    write_run_file(tmp_path, with_path)
    assert _read(tmp_path) == with_path
    assert read_run_info(tmp_path).network_path == {"added_ms": 12.5}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"batch": 1.5}, "'batch' is not an integer"),
        ({"features": "duration"}, "'features' is not a list"),
        ({"machine": []}, "'machine' is not a JSON object"),
        ({"run_id": None}, "'run_id' is not a string"),
    ],
)
def test_a_damaged_run_json_is_one_line_naming_the_key(
    change: dict[str, object], message: str
) -> None:
    with pytest.raises(ResultsError, match=message) as caught:
        RunFile.from_json({**RUN.to_json(), **change})
    assert "\n" not in str(caught.value)
