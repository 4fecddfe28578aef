"""The run folder's names, the one percentile rule, and the typed run.json / summary.json."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pytest

from resultfiles import (
    RESULT_FILES,
    Endpoints,
    RequestSet,
    ResultsError,
    RunInfo,
    RunTarget,
    StackEndpoint,
    Summary,
    access_log_path,
    cpu_samples_path,
    events_path,
    log_path,
    new_run_id,
    percentile,
    read_endpoints,
    read_run_info,
    read_summary,
    run_folder,
    write_endpoints,
)

from ..support.paths import REPO

DOCS = REPO / "docs" / "results.md"


def test_the_result_files_are_the_five_the_docs_list() -> None:
    text = DOCS.read_text(encoding="utf-8")
    layout = text.split("```", 2)[1]
    listed = re.findall(r"^\s+(\S+\.(?:json|jsonl|hlog|csv))\s", layout, flags=re.MULTILINE)
    assert sorted(listed) == sorted(RESULT_FILES)


def test_a_run_folder_is_run_target_scenario(tmp_path: Path) -> None:
    assert run_folder(tmp_path, "r1", "python-512", "scenario2") == (
        tmp_path / "r1" / "python-512" / "scenario2")


def test_the_default_run_id_is_the_utc_start_time() -> None:
    assert new_run_id(epoch_s=0) == "19700101T000000Z"
    assert new_run_id(prefix="sweep-", epoch_s=86_400 + 3_661) == "sweep-19700102T010101Z"
    assert re.fullmatch(r"\d{8}T\d{6}Z", new_run_id())


def test_a_stacks_logs_sit_side_by_side(tmp_path: Path) -> None:
    names = [p.name for p in (log_path(tmp_path, "java-512"), access_log_path(tmp_path, "java-512"),
                              cpu_samples_path(tmp_path, "java-512"),
                              events_path(tmp_path, "java-512"))]
    assert names == ["java-512.log", "java-512.access.jsonl", "java-512.cpu.jsonl",
                     "java-512.events.jsonl"]


def test_percentiles_are_nearest_rank() -> None:
    assert percentile([], 50) is None
    assert percentile([30.0, 10.0, 20.0, 40.0], 50) == 20.0  # the lower median
    assert percentile([30.0, 10.0, 20.0], 50) == 20.0
    assert percentile([10.0, 20.0, 30.0, 40.0], 90) == 40.0
    assert percentile([5.0], 0) == 5.0
    assert percentile(range(1, 101), 99) == 99
    assert percentile(range(1, 101), 100) == 100


def test_a_percentile_rank_is_exact_not_rounded() -> None:
    # 99.9 / 100 * 1000 is 999.0000000000001 in binary floating point: rounding up from it
    # would take the 1000th value where p99.9 of 1,000 values is the 999th.
    assert percentile(range(1, 1001), 99.9) == 999


def test_missing_files_read_as_not_present(tmp_path: Path) -> None:
    run, summary = read_run_info(tmp_path), read_summary(tmp_path)
    assert not run.present and not summary.present
    assert run.time_scale == 1.0 and run.batch == 1 and run.target.name is None
    assert not summary.complete and summary.requests is None


def test_run_json_reads_into_typed_fields(tmp_path: Path) -> None:
    (tmp_path / "run.json").write_text(json.dumps({
        "run_id": "r1", "scenario": "scenario2", "start_epoch_s": 1_700_000_000,
        "time_scale": 20, "batch": 4, "network_path": {"added_ms": 12, "note": "x"},
        "machine": {"hostname": "h", "cpu_count": 2},
        "target": {"name": "python-512", "settings": {"memory_mb": 512}, "cpu_limited": True,
                   "limits_check": {"run_anyway": True, "exceeded": ["concurrency 20 > 10"]},
                   "package": {"kind": "zip"}, "init_cpu": {"mode": "burst"}},
    }), encoding="utf-8")
    run = read_run_info(tmp_path)
    assert run.present and run.run_id == "r1" and run.scenario == "scenario2"
    assert run.start_epoch_s == 1_700_000_000.0 and run.time_scale == 20.0 and run.batch == 4
    assert run.network_path == {"added_ms": 12}
    assert run.machine is not None and run.machine.hostname == "h" and run.machine.cpu_count == 2
    assert run.target.name == "python-512" and run.target.settings == {"memory_mb": 512}
    assert run.target.cpu_limited is True
    assert run.target.limits_check is not None
    assert run.target.limits_check.exceeded == ("concurrency 20 > 10",)
    assert run.target.package == {"kind": "zip"} and run.target.init_cpu == {"mode": "burst"}


def test_summary_json_reads_into_typed_fields_and_tolerates_wrong_types(tmp_path: Path) -> None:
    (tmp_path / "summary.json").write_text(json.dumps({
        "complete": False, "interrupted": "stopped by SIGTERM", "requests": 10,
        "error_total": "many", "write_error": "requests.jsonl: disk full", "records_lost": 0,
        "data_problems": ["a.jsonl is torn"], "generator_saturated": True,
        "host_cpu": {"cores": 2, "busy_share_per_s": [0.5, "x", 1]},
        "generator": {"cpu_us_per_request": 40, "cpu_s": 1.5},
        "scenario1": {"gaps": [{"seq": 3, "planned_s": 60, "cold_start": True}, "junk"],
                      "bracket": {"kept_s": 60, "evicted_s": None}},
        "notes": ["one"],
    }), encoding="utf-8")
    s = read_summary(tmp_path)
    assert s.present and not s.complete and s.interrupted == "stopped by SIGTERM"
    assert s.requests == 10 and s.error_total is None  # a wrong type reads as absent
    assert s.write_error == "requests.jsonl: disk full" and s.records_lost == 0
    assert s.data_problems == ("a.jsonl is torn",) and s.generator_saturated
    assert s.host_cpu.cores == 2 and s.host_cpu.busy_share_per_s == (0.5, 1.0)
    assert s.generator.cpu_us_per_request == 40.0 and s.generator.cpu_s == 1.5
    assert s.scenario1 is not None and len(s.scenario1.gaps) == 1
    assert s.scenario1.gaps[0].seq == 3 and s.scenario1.gaps[0].cold_start is True
    assert s.scenario1.bracket.kept_s == 60.0 and s.scenario1.bracket.evicted_s is None
    assert s.notes == ("one",)


@pytest.mark.parametrize("text", ["[1, 2]", "{not json"])
def test_a_file_that_is_not_a_json_object_is_named(tmp_path: Path, text: str) -> None:
    (tmp_path / "summary.json").write_text(text, encoding="utf-8")
    with pytest.raises(ResultsError, match=re.escape(str(tmp_path / "summary.json"))):
        read_summary(tmp_path)


def test_endpoints_written_read_back_typed(tmp_path: Path) -> None:
    path = tmp_path / "build" / "endpoints.json"
    document = {
        "stacks": {
            "python-512": {"url": "http://127.0.0.1:9001", "authorization": "none",
                           "settings": {"memory_mb": 512}, "log": "build/logs/python-512.log",
                           "api_throttle_rate": 10},
            "my-fn": {"url": "http://127.0.0.1:9002", "package": {"kind": "zip"},
                      "requests": {"file": "examples/requests.json", "expect_field": "label"}},
            "workers": {"kind": "loadgen-workers", "bucket": "b"},
        },
        "cpu_limited": True, "hosted_by": {"python": "3.11.7", "java": None}, "pid": 42,
        "init_cpu": {"mode": "burst"},
    }
    written = write_endpoints(path, document)
    read = read_endpoints(path)
    assert read == written
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
    with pytest.raises(ResultsError, match="has no 'stacks' mapping"):
        write_endpoints(path, {"pid": 1})
    path.write_text("{", encoding="utf-8")
    with pytest.raises(ResultsError, match="cannot read the emulator's endpoints file"):
        read_endpoints(path)


@pytest.mark.parametrize("kind", [RunInfo, RunTarget, Summary, Endpoints, StackEndpoint])
def test_every_typed_field_is_a_documented_key(kind: type) -> None:
    # A field the readers know but docs/results.md does not name is a format nobody promised.
    documented = set(re.findall(r"`([a-z_0-9]+)`", DOCS.read_text(encoding="utf-8")))
    own = {"present", "entry", "name"}  # the reader's, not the file's
    fields = {f.name for f in dataclasses.fields(kind)} - own
    assert fields - documented == set()
