"""summary.json's typed writers: byte-identical rewrites, write -> read -> equal, clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from resultfiles import (
    SUMMARY,
    BisectedBracket,
    ColdStartFigures,
    EvictionBracket,
    GeneratorFigures,
    HitsPerSecond,
    HostCpuFigures,
    IdleGap,
    InitFigures,
    LatencyFigures,
    LoopLag,
    RequestTotals,
    ResultsError,
    RunSummary,
    Scenario1Figures,
    StageRow,
    SummaryExtra,
    SweepSummary,
    read_summary,
    write_summary,
)

#: summary.json files written by the load generator, its merge and the sweep before the
#: writers were typed (only paths scrubbed): the typed writers must reproduce them exactly.
WRITTEN = Path(__file__).resolve().parent / "written"
CASES = sorted(p.name for p in WRITTEN.iterdir() if (p / SUMMARY).is_file())


def _read(folder: Path) -> RunSummary | SweepSummary:
    data = json.loads((folder / SUMMARY).read_text(encoding="utf-8"))
    return (
        SweepSummary if data.get("scenario") is None and "seconds" not in data else RunSummary
    ).from_json(data)


def test_every_kind_of_summary_is_among_the_written_files() -> None:
    assert {"scenario1", "scenario2", "rate", "merged", "merged-workers", "sweep"} <= set(CASES)


@pytest.mark.parametrize("case", CASES)
def test_a_written_summary_reads_and_rewrites_byte_for_byte(case: str, tmp_path: Path) -> None:
    summary = _read(WRITTEN / case)
    write_summary(tmp_path, summary)
    assert (tmp_path / SUMMARY).read_bytes() == (WRITTEN / case / SUMMARY).read_bytes()
    # ... and what was rewritten reads back as the same value.
    assert _read(tmp_path) == summary


def _latency(count: int, base: float) -> LatencyFigures:
    return LatencyFigures(
        count=count,
        mean=base + 0.25,
        min=base,
        p50=base + 0.125,
        p90=base + 0.5,
        p99=base + 1.0,
        p99_9=base + 2.0,
        max=base + 2.0,
    )


def _summary(extra: SummaryExtra) -> RunSummary:
    errors = {
        "timeout": 1,
        "refused": 0,
        "reset": 0,
        "http_status": 2,
        "bad_response": 0,
        "throttled": 1,
        "cancelled": 0,
    }
    return RunSummary(
        schema_version=1,
        complete=False,
        interrupted="stopped by SIGTERM",
        scenario="scenario2",
        target="python-512",
        run_id="r1",
        time_scale=1,
        started_at="2026-12-06T03:39:56Z",
        seconds=3,
        totals=RequestTotals(
            requests=14,
            ok=10,
            errors=errors,
            error_total=4,
            throttled=1,
            statuses={"200": 10, "429": 1, "500": 2},
            late=0,
            clamped=0,
            latency_ms=_latency(10, 1.5),
            warm_latency_ms=_latency(9, 1.5),
            cold_latency_ms=_latency(1, 250.0),
            restore_latency_ms=LatencyFigures(),
            failed_latency_ms=_latency(4, 3.0),
            cold_starts=ColdStartFigures(
                count=1, init_ms=InitFigures(count=1, p50=180.5, max=180.5)
            ),
            instances=1,
            model_versions={"m1": 10},
        ),
        hits_per_s=HitsPerSecond(mean=4.667, peak=6),
        stages=(
            StageRow(
                plan={"users": 2, "ramp_up_s": 1.0, "hold_s": 1.0, "steps": None},
                index=0,
                requests=14,
                ok=10,
                errors=4,
                cold_starts=1,
                latency_ms=_latency(10, 1.5),
            ),
            StageRow(plan={"rate_rps": 5.0, "duration_s": 2.0}, index=1),
        ),
        extra=extra,
    )


RUN_EXTRA = SummaryExtra(
    generator_saturated=True,
    dropped=2,
    notes=("a note",),
    generator=GeneratorFigures(
        cpu_s=0.5,
        cpu_us_per_request=35714.3,
        busy_seconds=1,
        seconds_sampled=3,
        loop_lag_ms=LoopLag(p50=0.25, p99=60.0, max=61.5, samples=40),
        saturated=True,
        reasons=("its event loop lagged 60.0 ms at p99",),
    ),
    host_cpu=HostCpuFigures(source="/proc/stat", cores=2, busy_share_per_s=(0.5, 1)),
    plan_duration_s=2.0,
    folder="results/r1/python-512/scenario2",
    scenario1=Scenario1Figures(
        gaps=(
            IdleGap(
                seq=3,
                phase="probe",
                planned_s=6.0,
                idle_s=6.0,
                idle_plan_s=6.0,
                latency_ms=1.25,
                cold_start=False,
                instance_id="i-1",
                previous_instance_id="i-1",
                init_ms=None,
                error=None,
                outcome="kept",
            ),
        ),
        bracket=EvictionBracket(kept_s=6.0, evicted_s=None, consistent=True),
        bisected=BisectedBracket(
            kept_s=6, evicted_s=7.5, probes=2, precision_s=2.0, narrow_enough=True
        ),
    ),
    write_error="cannot write requests.jsonl: No space left on device",
    records_lost=3,
)
MERGE_EXTRA = SummaryExtra(
    dropped=0,
    notes=(),
    generators=({"cpu_s": 0.5}, None),
    merged_from=("workers/w0", "workers/w1"),
    data_problems=("workers/w1: torn",),
    workers={"count": 2, "lost": []},
    scenario1_by_source=(None, {"gaps": []}),
)


@pytest.mark.parametrize(
    "extra", [RUN_EXTRA, MERGE_EXTRA, SummaryExtra()], ids=["run", "merge", "bare"]
)
def test_write_then_read_gives_the_same_summary(extra: SummaryExtra, tmp_path: Path) -> None:
    summary = _summary(extra)
    write_summary(tmp_path, summary)
    assert _read(tmp_path) == summary
    data = json.loads((tmp_path / SUMMARY).read_text(encoding="utf-8"))
    # Keys a writer adds only when it has them are absent, not null.
    absent = {
        key
        for key in ("write_error", "records_lost", "generators", "workers", "scenario1", "host_cpu")
        if getattr(extra, key) is None
    }
    assert not absent & set(data)
    # An int stays an int (time_scale 1 is not rewritten as 1.0): bytes depend on it.
    assert data["time_scale"] == 1 and isinstance(data["time_scale"], int)
    assert data["stages"][1] == {
        "rate_rps": 5.0,
        "duration_s": 2.0,
        "index": 1,
        "requests": 0,
        "ok": 0,
        "errors": 0,
        "cold_starts": 0,
        "latency_ms": LatencyFigures().to_json(),
    }


def test_the_tolerant_reader_reads_what_the_writer_wrote(tmp_path: Path) -> None:
    write_summary(tmp_path, _summary(RUN_EXTRA))
    read = read_summary(tmp_path)
    assert read.present and not read.complete and read.interrupted == "stopped by SIGTERM"
    assert (read.requests, read.error_total, read.records_lost) == (14, 4, 3)
    assert read.write_error == "cannot write requests.jsonl: No space left on device"
    assert read.generator_saturated and read.generator.cpu_s == 0.5
    assert read.host_cpu.busy_share_per_s == (0.5, 1.0) and read.notes == ("a note",)
    assert read.scenario1 is not None and read.scenario1.bracket.kept_s == 6.0


def test_a_sweep_summary_writes_the_six_keys_the_report_reads(tmp_path: Path) -> None:
    summary = SweepSummary(requests=3, error_total=1, notes=("memory sweep",))
    write_summary(tmp_path, summary)
    assert json.loads((tmp_path / SUMMARY).read_text(encoding="utf-8")) == {
        "schema_version": 1,
        "complete": True,
        "interrupted": None,
        "requests": 3,
        "error_total": 1,
        "notes": ["memory sweep"],
    }
    assert _read(tmp_path) == summary
    assert read_summary(tmp_path).requests == 3


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"requests": "14"}, "'requests' is not an integer"),
        ({"complete": 1}, "'complete' is not true or false"),
        ({"stages": {}}, "'stages' is not a list"),
        ({"notes": [1]}, "'notes' is not a list of strings"),
    ],
)
def test_a_damaged_summary_is_one_line_naming_the_key(
    change: dict[str, object], message: str
) -> None:
    data = {**_summary(RUN_EXTRA).to_json(), **change}
    with pytest.raises(ResultsError, match=message) as caught:
        RunSummary.from_json(data)
    assert "\n" not in str(caught.value)


def test_a_missing_key_is_named() -> None:
    data = _summary(RUN_EXTRA).to_json()
    del data["seconds"]
    with pytest.raises(ResultsError, match="'seconds' is missing"):
        RunSummary.from_json(data)
