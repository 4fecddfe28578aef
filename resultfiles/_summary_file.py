"""Typed writers of ``summary.json`` (docs/results.md): a run's, a merge's and a sweep size's.

Each type's ``to_json`` is the file's content exactly as the load generator and the study have
always written it (same keys, same types, same rounding: the values are computed by the writer
and carried unchanged); ``from_json`` reads a file written that way back into an equal value.
Keys a writer adds only in some cases (a failed write, a merge's sources, scenario 1's gaps)
are None here and absent from the file. The report reads these files through the tolerant
reader :func:`resultfiles.read_summary`.

The parts the load generator's components describe in their own words (the self-check's
``generator``, ``host_cpu``, scenario 1's gaps, the workers) stay JSON objects: their keys are
documented with the file, their producer is one class each.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ._atomic import write_json_atomic
from ._errors import ResultsError
from ._fields import (
    JsonObject,
    need,
    object_at,
    optional_float,
    optional_int,
    optional_str,
    req_bool,
    req_float,
    req_int,
    strs,
)

__all__ = [
    "ColdStartFigures",
    "HitsPerSecond",
    "InitFigures",
    "LatencyFigures",
    "RequestTotals",
    "RunSummary",
    "StageRow",
    "SummaryExtra",
    "SweepSummary",
    "hits_per_s_figures",
    "write_summary",
]

_WHERE = "summary.json"


@dataclass(frozen=True, kw_only=True)
class LatencyFigures:
    """A latency histogram's figures in milliseconds (``latency_ms`` and its kin)."""

    count: int = 0
    #: None, like every figure below, when ``count`` is 0
    mean: float | None = None
    min: float | None = None
    p50: float | None = None
    p90: float | None = None
    p99: float | None = None
    p99_9: float | None = None
    max: float | None = None

    def to_json(self) -> dict[str, object]:
        return {"count": self.count, "mean": self.mean, "min": self.min, "p50": self.p50,
                "p90": self.p90, "p99": self.p99, "p99_9": self.p99_9, "max": self.max}

    @classmethod
    def from_json(cls, data: JsonObject) -> LatencyFigures:
        w = f"{_WHERE} latency"
        return cls(count=req_int(data, "count", w), mean=optional_float(data, "mean", w),
                   min=optional_float(data, "min", w), p50=optional_float(data, "p50", w),
                   p90=optional_float(data, "p90", w), p99=optional_float(data, "p99", w),
                   p99_9=optional_float(data, "p99_9", w), max=optional_float(data, "max", w))


@dataclass(frozen=True, kw_only=True)
class InitFigures:
    """``cold_starts.init_ms``: the init durations the responses reported."""

    count: int = 0
    p50: float | None = None
    max: float | None = None

    def to_json(self) -> dict[str, object]:
        return {"count": self.count, "p50": self.p50, "max": self.max}

    @classmethod
    def from_json(cls, data: JsonObject) -> InitFigures:
        w = f"{_WHERE} cold_starts.init_ms"
        return cls(count=req_int(data, "count", w), p50=optional_float(data, "p50", w),
                   max=optional_float(data, "max", w))


@dataclass(frozen=True, kw_only=True)
class ColdStartFigures:
    """``cold_starts``: how many responses said cold, and their init durations."""

    count: int = 0
    init_ms: InitFigures = field(default_factory=InitFigures)

    def to_json(self) -> dict[str, object]:
        return {"count": self.count, "init_ms": self.init_ms.to_json()}

    @classmethod
    def from_json(cls, data: JsonObject) -> ColdStartFigures:
        w = f"{_WHERE} cold_starts"
        return cls(count=req_int(data, "count", w),
                   init_ms=InitFigures.from_json(object_at(data, "init_ms", w)))


@dataclass(frozen=True, kw_only=True)
class HitsPerSecond:
    """``hits_per_s``: timeline.csv's ``hits`` column's mean and peak (None without a second)."""

    mean: float | None = None
    peak: int | None = None

    def to_json(self) -> dict[str, object]:
        return {"mean": self.mean, "peak": self.peak}

    @classmethod
    def from_json(cls, data: JsonObject) -> HitsPerSecond:
        w = f"{_WHERE} hits_per_s"
        return cls(mean=optional_float(data, "mean", w), peak=optional_int(data, "peak", w))


def hits_per_s_figures(hits: Sequence[int]) -> HitsPerSecond:
    """``hits/s``, the one definition the summary, the merge and the report share.

    ``hits`` is timeline.csv's column: attempts (successes and failures) that completed in
    each second of the run. The mean is that column's mean (the last, partial second counts
    as one), the peak its largest value; both None for a run without a second.
    """
    if not hits:
        return HitsPerSecond()
    return HitsPerSecond(mean=round(sum(hits) / len(hits), 3), peak=max(hits))


@dataclass(frozen=True, kw_only=True)
class RequestTotals:
    """The totals of a set of request records (what ``loadgen.files._stats.Stats`` sums)."""

    requests: int
    ok: int
    #: every error kind of ``ERROR_KINDS``, in that order, with its count (0 included)
    errors: Mapping[str, int]
    error_total: int
    throttled: int
    #: HTTP status (as a string) -> responses, sorted by status
    statuses: Mapping[str, int]
    late: int
    clamped: int
    latency_ms: LatencyFigures
    warm_latency_ms: LatencyFigures
    cold_latency_ms: LatencyFigures
    restore_latency_ms: LatencyFigures
    failed_latency_ms: LatencyFigures
    cold_starts: ColdStartFigures
    instances: int
    model_versions: Mapping[str, int]

    def to_json(self) -> dict[str, object]:
        return {
            "requests": self.requests,
            "ok": self.ok,
            "errors": dict(self.errors),
            "error_total": self.error_total,
            "throttled": self.throttled,
            "statuses": dict(self.statuses),
            "late": self.late,
            "clamped": self.clamped,
            "latency_ms": self.latency_ms.to_json(),
            "warm_latency_ms": self.warm_latency_ms.to_json(),
            "cold_latency_ms": self.cold_latency_ms.to_json(),
            "restore_latency_ms": self.restore_latency_ms.to_json(),
            "failed_latency_ms": self.failed_latency_ms.to_json(),
            "cold_starts": self.cold_starts.to_json(),
            "instances": self.instances,
            "model_versions": dict(self.model_versions),
        }

    @classmethod
    def from_json(cls, data: JsonObject) -> RequestTotals:
        def latency(key: str) -> LatencyFigures:
            return LatencyFigures.from_json(object_at(data, key, _WHERE))

        return cls(
            requests=req_int(data, "requests", _WHERE), ok=req_int(data, "ok", _WHERE),
            errors=_counts(data, "errors"), error_total=req_int(data, "error_total", _WHERE),
            throttled=req_int(data, "throttled", _WHERE), statuses=_counts(data, "statuses"),
            late=req_int(data, "late", _WHERE), clamped=req_int(data, "clamped", _WHERE),
            latency_ms=latency("latency_ms"), warm_latency_ms=latency("warm_latency_ms"),
            cold_latency_ms=latency("cold_latency_ms"),
            restore_latency_ms=latency("restore_latency_ms"),
            failed_latency_ms=latency("failed_latency_ms"),
            cold_starts=ColdStartFigures.from_json(object_at(data, "cold_starts", _WHERE)),
            instances=req_int(data, "instances", _WHERE),
            model_versions=_counts(data, "model_versions"),
        )


def _counts(data: JsonObject, key: str) -> dict[str, int]:
    counts = object_at(data, key, _WHERE)
    return {name: req_int(counts, name, f"{_WHERE} {key}") for name in counts}


@dataclass(frozen=True, kw_only=True)
class StageRow:
    """One row of ``stages``: the plan's stage as the plan describes it, and its totals."""

    #: the stage as planned (``users``, ``ramp_up_s``, ... or ``rate_rps``, ...), written first
    plan: JsonObject
    index: int
    requests: int = 0
    ok: int = 0
    errors: int = 0
    cold_starts: int = 0
    latency_ms: LatencyFigures = field(default_factory=LatencyFigures)

    #: the keys a row adds to its stage's plan
    STAT_KEYS = frozenset({"index", "requests", "ok", "errors", "cold_starts", "latency_ms"})

    def to_json(self) -> dict[str, object]:
        return {**self.plan, "index": self.index, "requests": self.requests, "ok": self.ok,
                "errors": self.errors, "cold_starts": self.cold_starts,
                "latency_ms": self.latency_ms.to_json()}

    @classmethod
    def from_json(cls, data: JsonObject) -> StageRow:
        w = f"{_WHERE} stages"
        return cls(plan={k: v for k, v in data.items() if k not in cls.STAT_KEYS},
                   index=req_int(data, "index", w), requests=req_int(data, "requests", w),
                   ok=req_int(data, "ok", w), errors=req_int(data, "errors", w),
                   cold_starts=req_int(data, "cold_starts", w),
                   latency_ms=LatencyFigures.from_json(object_at(data, "latency_ms", w)))


@dataclass(frozen=True, kw_only=True)
class SummaryExtra:
    """What a run or a merge adds to the totals: always ``generator_saturated``, ``dropped``
    and ``notes``; the rest when the writer has it (None: absent from the file)."""

    generator_saturated: bool = False
    #: open-model arrivals that could not be sent
    dropped: int = 0
    notes: tuple[str, ...] = ()
    # A run's.
    #: the generator's self-check (``loadgen.engine._selfcheck``: cpu_s, loop_lag_ms, ...)
    generator: JsonObject | None = None
    #: the host's busy share per second (``loadgen.engine._hostcpu``)
    host_cpu: JsonObject | None = None
    plan_duration_s: float | None = None
    folder: str | None = None
    #: scenario 1's gaps and bracket (``loadgen.engine._state``)
    scenario1: JsonObject | None = None
    #: a failed write: which file and why, and the records it cost
    write_error: str | None = None
    records_lost: int | None = None
    # A merge's.
    #: each source's ``generator`` (None where a source had none)
    generators: tuple[object, ...] | None = None
    merged_from: tuple[str, ...] | None = None
    data_problems: tuple[str, ...] | None = None
    #: the workers the sources came from (as the controller described them)
    workers: JsonObject | None = None
    #: each source's ``scenario1`` (when any had one)
    scenario1_by_source: tuple[object, ...] | None = None

    def to_json(self) -> dict[str, object]:
        # A run's extras first, then a merge's, each in the order its writer always used.
        out: dict[str, object] = {}
        optional: dict[str, object] = {
            "generator": _copy(self.generator), "host_cpu": _copy(self.host_cpu),
            "generators": _listed(self.generators),
            "generator_saturated": self.generator_saturated, "dropped": self.dropped,
            "notes": list(self.notes), "plan_duration_s": self.plan_duration_s,
            "folder": self.folder, "merged_from": _listed(self.merged_from),
            "data_problems": _listed(self.data_problems), "workers": _copy(self.workers),
            "scenario1": _copy(self.scenario1),
            "scenario1_by_source": _listed(self.scenario1_by_source),
            "write_error": self.write_error, "records_lost": self.records_lost,
        }
        for key, value in optional.items():
            if value is not None:
                out[key] = value
        return out

    @classmethod
    def from_json(cls, data: JsonObject) -> SummaryExtra:
        def obj(key: str) -> JsonObject | None:
            return object_at(data, key, _WHERE) if data.get(key) is not None else None

        def texts(key: str) -> tuple[str, ...] | None:
            return strs(data, key, _WHERE) if key in data else None

        def values(key: str) -> tuple[object, ...] | None:
            if key not in data:
                return None
            listed = need(data, key, _WHERE)
            return tuple(listed) if isinstance(listed, list) else None

        return cls(
            generator_saturated=req_bool(data, "generator_saturated", _WHERE),
            dropped=req_int(data, "dropped", _WHERE), notes=strs(data, "notes", _WHERE),
            generator=obj("generator"), host_cpu=obj("host_cpu"),
            plan_duration_s=(req_float(data, "plan_duration_s", _WHERE)
                             if data.get("plan_duration_s") is not None else None),
            folder=optional_str(data, "folder", _WHERE) if "folder" in data else None,
            scenario1=obj("scenario1"),
            write_error=(optional_str(data, "write_error", _WHERE)
                         if "write_error" in data else None),
            records_lost=(optional_int(data, "records_lost", _WHERE)
                          if "records_lost" in data else None),
            generators=values("generators"), merged_from=texts("merged_from"),
            data_problems=texts("data_problems"), workers=obj("workers"),
            scenario1_by_source=values("scenario1_by_source"),
        )


def _copy(value: JsonObject | None) -> dict[str, object] | None:
    return None if value is None else dict(value)


def _listed(value: tuple[object, ...] | None) -> list[object] | None:
    return None if value is None else list(value)


@dataclass(frozen=True, kw_only=True)
class RunSummary:
    """``summary.json`` of a load generator's run or of a merge of runs."""

    schema_version: int
    complete: bool
    #: why the run stopped early, in words; None when complete or still running
    interrupted: str | None
    # Copied from run.json (None where it has none).
    scenario: str | None
    #: the target's name
    target: str | None
    run_id: str | None
    time_scale: float | None
    started_at: str | None
    #: seconds in the timeline (the last, partial one included)
    seconds: int
    totals: RequestTotals
    hits_per_s: HitsPerSecond
    stages: tuple[StageRow, ...]
    extra: SummaryExtra = field(default_factory=SummaryExtra)

    def to_json(self) -> dict[str, object]:
        return {
            "schema_version": self.schema_version,
            "complete": self.complete,
            "interrupted": self.interrupted,
            "scenario": self.scenario,
            "target": self.target,
            "run_id": self.run_id,
            "time_scale": self.time_scale,
            "started_at": self.started_at,
            "seconds": self.seconds,
            **self.totals.to_json(),
            "hits_per_s": self.hits_per_s.to_json(),
            "stages": [row.to_json() for row in self.stages],
            **self.extra.to_json(),
        }

    @classmethod
    def from_json(cls, data: JsonObject) -> RunSummary:
        rows = need(data, "stages", _WHERE)
        if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
            raise ResultsError(f"{_WHERE}: 'stages' is not a list of JSON objects")
        return cls(
            schema_version=req_int(data, "schema_version", _WHERE),
            complete=req_bool(data, "complete", _WHERE),
            interrupted=optional_str(data, "interrupted", _WHERE),
            scenario=optional_str(data, "scenario", _WHERE),
            target=optional_str(data, "target", _WHERE),
            run_id=optional_str(data, "run_id", _WHERE),
            time_scale=optional_float(data, "time_scale", _WHERE),
            started_at=optional_str(data, "started_at", _WHERE),
            seconds=req_int(data, "seconds", _WHERE),
            totals=RequestTotals.from_json(data),
            hits_per_s=HitsPerSecond.from_json(object_at(data, "hits_per_s", _WHERE)),
            stages=tuple(StageRow.from_json(row) for row in rows),
            extra=SummaryExtra.from_json(data),
        )


@dataclass(frozen=True, kw_only=True)
class SweepSummary:
    """``summary.json`` of one memory size of a sweep (``<run>/<variant>/sweep/``)."""

    schema_version: int = 1
    complete: bool = True
    interrupted: str | None = None
    requests: int
    error_total: int
    notes: tuple[str, ...] = ()

    def to_json(self) -> dict[str, object]:
        return {"schema_version": self.schema_version, "complete": self.complete,
                "interrupted": self.interrupted, "requests": self.requests,
                "error_total": self.error_total, "notes": list(self.notes)}

    @classmethod
    def from_json(cls, data: JsonObject) -> SweepSummary:
        return cls(schema_version=req_int(data, "schema_version", _WHERE),
                   complete=req_bool(data, "complete", _WHERE),
                   interrupted=optional_str(data, "interrupted", _WHERE),
                   requests=req_int(data, "requests", _WHERE),
                   error_total=req_int(data, "error_total", _WHERE),
                   notes=strs(data, "notes", _WHERE))


def write_summary(folder: Path, summary: RunSummary | SweepSummary) -> None:
    """Replace ``folder``'s summary.json with ``summary`` (atomically: never half a file)."""
    from ._layout import SUMMARY

    write_json_atomic(folder / SUMMARY, summary.to_json())

