"""Totals of a set of request records: the same code sums a live run and a merge."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

from resultfiles import (
    ERROR_KINDS,
    SCHEMA_VERSION,
    ColdStartFigures,
    InitFigures,
    MergedRunFile,
    Record,
    RequestTotals,
    RunFile,
    RunSummary,
    StageRow,
    SummaryExtra,
    hits_per_s_figures,
    percentile,
)

from ._hist import HIGHEST_US, LatencyHistogram, prepare

__all__ = ["LATE_MS", "Stats", "build_summary"]

#: An attempt started more than this after its intended time counts as late (the event
#: loop wakes timers with millisecond granularity, so smaller delays are its jitter).
LATE_MS = 10.0


def _pct_summary(values: list[float]) -> InitFigures:
    if not values:
        return InitFigures()
    return InitFigures(count=len(values), p50=percentile(values, 50), max=max(values))


class _StageStats:
    __slots__ = ("cold_starts", "errors", "latency", "ok", "requests")

    def __init__(self) -> None:
        self.requests = 0
        self.ok = 0
        self.errors = 0
        self.cold_starts = 0
        self.latency = LatencyHistogram()


class Stats:
    """Totals of a set of request records; the same code sums a live run and a merge."""

    def __init__(self) -> None:
        self.requests = 0
        self.ok = 0
        self.errors: Counter[str] = Counter()
        self.statuses: Counter[str] = Counter()
        self.latency = LatencyHistogram()
        self.warm = LatencyHistogram()
        self.cold = LatencyHistogram()
        self.restored = LatencyHistogram()
        self.failed = LatencyHistogram()
        self.cold_starts = 0
        self.init_ms: list[float] = []
        self.instances: set[str] = set()
        self.model_versions: Counter[str] = Counter()
        self.late = 0
        self.stages: dict[int, _StageStats] = {}

    def add(self, rec: Record) -> tuple[int, int, bool]:
        """Count one record; returns its prepared latency for the caller's histograms."""
        self.requests += 1
        stage = self.stages.get(rec.stage)
        if stage is None:
            stage = self.stages[rec.stage] = _StageStats()
        stage.requests += 1
        if rec.status is not None:
            self.statuses[str(rec.status)] += 1
        if rec.late_ms > LATE_MS:
            self.late += 1
        if rec.instance_id:
            self.instances.add(rec.instance_id)
        if rec.model_version:
            self.model_versions[rec.model_version] += 1
        cold = rec.cold_start is True
        if cold:
            self.cold_starts += 1
            stage.cold_starts += 1
            if rec.init_ms is not None:
                self.init_ms.append(rec.init_ms)
        recorded, index = prepare(rec.latency_us)
        clamped = rec.latency_us > HIGHEST_US
        if rec.error is None:
            self.ok += 1
            stage.ok += 1
            self.latency.record_prepared(recorded, index, clamped)
            stage.latency.record_prepared(recorded, index, clamped)
            # A SnapStart restore is neither warm nor a cold start (docs/api.md): its own histogram.
            kind = self.cold if cold else self.restored if rec.restore else self.warm
            kind.record_prepared(recorded, index, clamped)
        else:
            self.errors[rec.error] += 1
            stage.errors += 1
            self.failed.record_prepared(recorded, index, clamped)
        return recorded, index, clamped

    def summary(self) -> RequestTotals:
        errors = {kind: self.errors.get(kind, 0) for kind in ERROR_KINDS}
        return RequestTotals(
            requests=self.requests,
            ok=self.ok,
            errors=errors,
            error_total=sum(errors.values()),
            throttled=errors["throttled"],
            statuses=dict(sorted(self.statuses.items())),
            late=self.late,
            clamped=self.latency.clamped + self.failed.clamped,
            latency_ms=self.latency.summary_ms(),
            warm_latency_ms=self.warm.summary_ms(),
            cold_latency_ms=self.cold.summary_ms(),
            restore_latency_ms=self.restored.summary_ms(),
            failed_latency_ms=self.failed.summary_ms(),
            cold_starts=ColdStartFigures(
                count=self.cold_starts, init_ms=_pct_summary(self.init_ms)
            ),
            instances=len(self.instances),
            model_versions=dict(self.model_versions),
        )


def build_summary(
    stats: Stats,
    *,
    hits_per_s: list[int],
    run_info: RunFile | MergedRunFile,
    stages: Sequence[Mapping[str, object]],
    complete: bool,
    interrupted: str | None,
    extra: SummaryExtra,
) -> RunSummary:
    """summary.json of ``stats``: a live run's (``RunFile``) or a merge's (``MergedRunFile``)."""
    scenario: str | None
    time_scale: float | None
    if isinstance(run_info, RunFile):
        scenario, run_id = run_info.scenario, run_info.run_id
        time_scale, started_at = run_info.time_scale, run_info.started_at
    else:
        copied = run_info.copied
        scenario, run_id = _str(copied.get("scenario")), run_info.run_id
        time_scale, started_at = _number(copied.get("time_scale")), run_info.started_at
    rows = []
    for index, info in enumerate(stages):
        st = stats.stages.get(index)
        if st is None:
            rows.append(StageRow(plan=info, index=index))
            continue
        rows.append(
            StageRow(
                plan=info,
                index=index,
                requests=st.requests,
                ok=st.ok,
                errors=st.errors,
                cold_starts=st.cold_starts,
                latency_ms=st.latency.summary_ms(),
            )
        )
    return RunSummary(
        schema_version=SCHEMA_VERSION,
        complete=complete,
        interrupted=interrupted,
        scenario=scenario,
        target=run_info.target_name,
        run_id=run_id,
        time_scale=time_scale,
        started_at=started_at,
        seconds=len(hits_per_s),
        totals=stats.summary(),
        hits_per_s=hits_per_s_figures(hits_per_s),
        stages=tuple(rows),
        extra=extra,
    )


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _number(value: object) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    return None
