"""Totals of a set of request records: the same code sums a live run and a merge."""

from __future__ import annotations

from collections import Counter
from typing import Any

from resultfiles import ERROR_KINDS, SCHEMA_VERSION, Record, hits_per_s_figures, percentile

from ._hist import HIGHEST_US, LatencyHistogram, prepare

__all__ = ["LATE_MS", "Stats", "build_summary"]

#: An attempt started more than this after its intended time counts as late (the event
#: loop wakes timers with millisecond granularity, so smaller delays are its jitter).
LATE_MS = 10.0


def _pct_summary(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"count": 0, "p50": None, "max": None}
    return {"count": len(values), "p50": percentile(values, 50), "max": max(values)}


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

    def summary(self) -> dict[str, Any]:
        errors = {kind: self.errors.get(kind, 0) for kind in ERROR_KINDS}
        return {
            "requests": self.requests,
            "ok": self.ok,
            "errors": errors,
            "error_total": sum(errors.values()),
            "throttled": errors["throttled"],
            "statuses": dict(sorted(self.statuses.items())),
            "late": self.late,
            "clamped": self.latency.clamped + self.failed.clamped,
            "latency_ms": self.latency.summary_ms(),
            "warm_latency_ms": self.warm.summary_ms(),
            "cold_latency_ms": self.cold.summary_ms(),
            "restore_latency_ms": self.restored.summary_ms(),
            "failed_latency_ms": self.failed.summary_ms(),
            "cold_starts": {"count": self.cold_starts, "init_ms": _pct_summary(self.init_ms)},
            "instances": len(self.instances),
            "model_versions": dict(self.model_versions),
        }


def build_summary(stats: Stats, *, hits_per_s: list[int], run_info: dict[str, Any],
                  stages: list[dict[str, Any]], complete: bool, interrupted: str | None,
                  extra: dict[str, Any]) -> dict[str, Any]:
    summary: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "complete": complete,
        "interrupted": interrupted,
        "scenario": run_info.get("scenario"),
        "target": run_info.get("target", {}).get("name"),
        "run_id": run_info.get("run_id"),
        "time_scale": run_info.get("time_scale"),
        "started_at": run_info.get("started_at"),
        "seconds": len(hits_per_s),
    }
    summary.update(stats.summary())
    summary["hits_per_s"] = hits_per_s_figures(hits_per_s)
    stage_rows = []
    for index, info in enumerate(stages):
        st = stats.stages.get(index)
        stage_rows.append({
            **info,
            "index": index,
            "requests": st.requests if st else 0,
            "ok": st.ok if st else 0,
            "errors": st.errors if st else 0,
            "cold_starts": st.cold_starts if st else 0,
            "latency_ms": (st.latency if st else LatencyHistogram()).summary_ms(),
        })
    summary["stages"] = stage_rows
    summary.update(extra)
    summary.setdefault("generator_saturated", False)
    return summary
