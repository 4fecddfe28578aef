"""The figures summary.json is made of: hits/s's one definition, and each figure's JSON."""

from __future__ import annotations

import pytest

from resultfiles import (
    ColdStartFigures,
    HitsPerSecond,
    InitFigures,
    LatencyFigures,
    ResultsError,
    StageRow,
    hits_per_s_figures,
)


def test_hits_per_s_is_the_timeline_columns_mean_and_peak() -> None:
    assert hits_per_s_figures([]) == HitsPerSecond(mean=None, peak=None)
    assert hits_per_s_figures([3, 4, 4]) == HitsPerSecond(mean=3.667, peak=4)


def test_an_empty_histogram_writes_count_zero_and_nulls() -> None:
    assert LatencyFigures().to_json() == {
        "count": 0,
        "mean": None,
        "min": None,
        "p50": None,
        "p90": None,
        "p99": None,
        "p99_9": None,
        "max": None,
    }
    assert ColdStartFigures().to_json() == {
        "count": 0,
        "init_ms": {"count": 0, "p50": None, "max": None},
    }


def test_a_stage_row_is_its_plan_then_its_totals_and_reads_back_apart() -> None:
    row = StageRow(
        plan={"users": 3, "ramp_up_s": 1.5},
        index=0,
        requests=5,
        ok=4,
        errors=1,
        cold_starts=1,
        latency_ms=LatencyFigures(
            count=4, mean=1.25, min=1.0, p50=1.0, p90=2.0, p99=2.0, p99_9=2.0, max=2.0
        ),
    )
    data = row.to_json()
    assert list(data)[:2] == ["users", "ramp_up_s"]
    assert StageRow.from_json(data) == row
    assert InitFigures.from_json({"count": 1, "p50": 180, "max": 180.5}) == InitFigures(
        count=1, p50=180, max=180.5
    )


def test_a_figure_of_the_wrong_type_is_named() -> None:
    with pytest.raises(ResultsError, match="'p50' is not a number"):
        LatencyFigures.from_json({**LatencyFigures().to_json(), "p50": "1.0"})
