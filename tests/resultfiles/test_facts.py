"""The typed run.json and summary.json: read into typed fields, missing files read as not
present, a file that is not a JSON object named, and every field a documented key."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pytest

from resultfiles import (
    BisectedBracket,
    Endpoints,
    EndpointsFile,
    EvictionBracket,
    HostedStack,
    IdleGap,
    InitCpuModel,
    PackageFacts,
    PythonInstances,
    ResultsError,
    RunInfo,
    RunTarget,
    StackEndpoint,
    StackLimits,
    Summary,
    WorkerStack,
    read_run_info,
    read_summary,
)

from ..support.paths import REPO

DOCS = REPO / "docs" / "results.md"


def test_missing_files_read_as_not_present(tmp_path: Path) -> None:
    run, summary = read_run_info(tmp_path), read_summary(tmp_path)
    assert not run.present and not summary.present
    assert run.time_scale == 1.0 and run.batch == 1 and run.target.name is None
    assert not summary.complete and summary.requests is None


def test_run_json_reads_into_typed_fields(tmp_path: Path) -> None:
    (tmp_path / "run.json").write_text(
        json.dumps(
            {
                "run_id": "r1",
                "scenario": "scenario2",
                "start_epoch_s": 1_700_000_000,
                "time_scale": 20,
                "batch": 4,
                "network_path": {"added_ms": 12, "note": "x"},
                "machine": {"hostname": "h", "cpu_count": 2},
                "target": {
                    "name": "python-512",
                    "settings": {"memory_mb": 512},
                    "cpu_limited": True,
                    "limits_check": {"run_anyway": True, "exceeded": ["concurrency 20 > 10"]},
                    "package": {"kind": "zip"},
                    "init_cpu": {"mode": "burst"},
                },
            }
        ),
        encoding="utf-8",
    )
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
    (tmp_path / "summary.json").write_text(
        json.dumps(
            {
                "complete": False,
                "interrupted": "stopped by SIGTERM",
                "requests": 10,
                "error_total": "many",
                "write_error": "requests.jsonl: disk full",
                "records_lost": 0,
                "data_problems": ["a.jsonl is torn"],
                "generator_saturated": True,
                "host_cpu": {"cores": 2, "busy_share_per_s": [0.5, "x", 1]},
                "generator": {"cpu_us_per_request": 40, "cpu_s": 1.5},
                "scenario1": {
                    "gaps": [{"seq": 3, "planned_s": 60, "cold_start": True}, "junk"],
                    "bracket": {"kept_s": 60, "evicted_s": None},
                },
                "notes": ["one"],
            }
        ),
        encoding="utf-8",
    )
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


@pytest.mark.parametrize(
    "kind",
    [
        RunInfo,
        RunTarget,
        Summary,
        Endpoints,
        StackEndpoint,
        EndpointsFile,
        HostedStack,
        WorkerStack,
        PackageFacts,
        StackLimits,
        InitCpuModel,
        PythonInstances,
        IdleGap,
        EvictionBracket,
        BisectedBracket,
    ],
)
def test_every_typed_field_is_a_documented_key(kind: type) -> None:
    # A field the readers know but docs/results.md does not name is a format nobody promised.
    documented = set(re.findall(r"`([a-z_0-9]+)`", DOCS.read_text(encoding="utf-8")))
    own = {"present", "entry", "name", "limits"}  # the reader's (a writer's), not the file's
    fields = {f.name for f in dataclasses.fields(kind)} - own
    assert fields - documented == set()
