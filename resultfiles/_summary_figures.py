"""The figures ``summary.json`` is made of (docs/results.md): latency histograms' figures, cold
starts, hits/s, a run's request totals, a stage's row, the generator's self-check and the
host's CPU; each with ``to_json`` (as written)
and a strict ``from_json`` (read back equal, or one line naming the key)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from ._fields import (
    JsonObject,
    numbers,
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
    "GeneratorFigures",
    "HitsPerSecond",
    "HostCpuFigures",
    "InitFigures",
    "LatencyFigures",
    "LoopLag",
    "RequestTotals",
    "StageRow",
    "hits_per_s_figures",
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
        return {
            "count": self.count,
            "mean": self.mean,
            "min": self.min,
            "p50": self.p50,
            "p90": self.p90,
            "p99": self.p99,
            "p99_9": self.p99_9,
            "max": self.max,
        }

    @classmethod
    def from_json(cls, data: JsonObject) -> LatencyFigures:
        w = f"{_WHERE} latency"
        return cls(
            count=req_int(data, "count", w),
            mean=optional_float(data, "mean", w),
            min=optional_float(data, "min", w),
            p50=optional_float(data, "p50", w),
            p90=optional_float(data, "p90", w),
            p99=optional_float(data, "p99", w),
            p99_9=optional_float(data, "p99_9", w),
            max=optional_float(data, "max", w),
        )


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
        return cls(
            count=req_int(data, "count", w),
            p50=optional_float(data, "p50", w),
            max=optional_float(data, "max", w),
        )


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
        return cls(
            count=req_int(data, "count", w),
            init_ms=InitFigures.from_json(object_at(data, "init_ms", w)),
        )


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
            requests=req_int(data, "requests", _WHERE),
            ok=req_int(data, "ok", _WHERE),
            errors=_counts(data, "errors"),
            error_total=req_int(data, "error_total", _WHERE),
            throttled=req_int(data, "throttled", _WHERE),
            statuses=_counts(data, "statuses"),
            late=req_int(data, "late", _WHERE),
            clamped=req_int(data, "clamped", _WHERE),
            latency_ms=latency("latency_ms"),
            warm_latency_ms=latency("warm_latency_ms"),
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
        return {
            **self.plan,
            "index": self.index,
            "requests": self.requests,
            "ok": self.ok,
            "errors": self.errors,
            "cold_starts": self.cold_starts,
            "latency_ms": self.latency_ms.to_json(),
        }

    @classmethod
    def from_json(cls, data: JsonObject) -> StageRow:
        w = f"{_WHERE} stages"
        return cls(
            plan={k: v for k, v in data.items() if k not in cls.STAT_KEYS},
            index=req_int(data, "index", w),
            requests=req_int(data, "requests", w),
            ok=req_int(data, "ok", w),
            errors=req_int(data, "errors", w),
            cold_starts=req_int(data, "cold_starts", w),
            latency_ms=LatencyFigures.from_json(object_at(data, "latency_ms", w)),
        )


@dataclass(frozen=True, kw_only=True)
class LoopLag:
    """``generator.loop_lag_ms``: how late the event loop woke a 50 ms timer, ms."""

    p50: float
    p99: float
    max: float
    samples: int

    def to_json(self) -> dict[str, object]:
        return {"p50": self.p50, "p99": self.p99, "max": self.max, "samples": self.samples}

    @classmethod
    def from_json(cls, data: JsonObject) -> LoopLag:
        w = f"{_WHERE} generator.loop_lag_ms"
        return cls(
            p50=req_float(data, "p50", w),
            p99=req_float(data, "p99", w),
            max=req_float(data, "max", w),
            samples=req_int(data, "samples", w),
        )


@dataclass(frozen=True, kw_only=True)
class GeneratorFigures:
    """``generator``: the load generator's self-check (``loadgen.engine._selfcheck``)."""

    #: the generator's CPU time over the run
    cpu_s: float
    #: None before the first request
    cpu_us_per_request: float | None
    #: seconds in which it used nearly a whole core, of the seconds sampled
    busy_seconds: int
    seconds_sampled: int
    loop_lag_ms: LoopLag
    saturated: bool
    #: why it is said saturated, in words
    reasons: tuple[str, ...] = ()

    def to_json(self) -> dict[str, object]:
        return {
            "cpu_s": self.cpu_s,
            "cpu_us_per_request": self.cpu_us_per_request,
            "busy_seconds": self.busy_seconds,
            "seconds_sampled": self.seconds_sampled,
            "loop_lag_ms": self.loop_lag_ms.to_json(),
            "saturated": self.saturated,
            "reasons": list(self.reasons),
        }

    @classmethod
    def from_json(cls, data: JsonObject) -> GeneratorFigures:
        w = f"{_WHERE} generator"
        return cls(
            cpu_s=req_float(data, "cpu_s", w),
            cpu_us_per_request=optional_float(data, "cpu_us_per_request", w),
            busy_seconds=req_int(data, "busy_seconds", w),
            seconds_sampled=req_int(data, "seconds_sampled", w),
            loop_lag_ms=LoopLag.from_json(object_at(data, "loop_lag_ms", w)),
            saturated=req_bool(data, "saturated", w),
            reasons=strs(data, "reasons", w),
        )


@dataclass(frozen=True, kw_only=True)
class HostCpuFigures:
    """``host_cpu``: the host's busy share, second by second (``loadgen.engine._hostcpu``)."""

    #: where it was read (``/proc/stat``); None where it could not be
    source: str | None
    cores: int
    busy_share_per_s: tuple[float, ...] = ()

    def to_json(self) -> dict[str, object]:
        return {
            "source": self.source,
            "cores": self.cores,
            "busy_share_per_s": list(self.busy_share_per_s),
        }

    @classmethod
    def from_json(cls, data: JsonObject) -> HostCpuFigures:
        w = f"{_WHERE} host_cpu"
        return cls(
            source=optional_str(data, "source", w),
            cores=req_int(data, "cores", w),
            busy_share_per_s=numbers(data, "busy_share_per_s", w),
        )
