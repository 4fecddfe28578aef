"""What a memory sweep measured, per size, and which size to choose.

Reads only :class:`study.sweep._samples.Invocation` lists, so a local sweep and an AWS one are
analysed by the same code.

**Percentiles** are nearest-rank (the smallest sample with ``p`` % at or below it), as the
report's. **Confidence intervals** for a median are distribution-free: the order statistics
``x(k)`` and ``x(n-k+1)`` bound the median with probability ``1 - 2·P(B <= k-1)``, ``B`` binomial
``(n, 1/2)``; ``k`` is the largest rank that keeps at least 95 % (with 5 samples no rank does:
``[min, max]`` covers 93.75 %, and the interval says so). No resampling: the same samples give
the same interval on any machine. Two sizes whose intervals overlap are *indistinguishable* on
that figure.

**Cost** of one request: Lambda's request price, API Gateway's request price (HTTP API) and
``memory × billed duration`` GB-seconds at the architecture's price (``report._cost``). A cold
request's billed duration includes its init (AWS bills INIT for on-demand functions since
2025-08-01; ``contract.billed_duration_ms``). The cost per million requests mixes cold and warm
requests at ``cold_share`` (default 1 %); both are shown apart too.

**Strategies** (AWS Lambda Power Tuning's, ``lambda/analyzer.js`` at 262ecc2 of
alexcasalboni/aws-lambda-power-tuning, read, not copied):

- ``cost``: the cheapest size (PT: lowest average price, the faster one on equal price);
- ``speed``: the fastest size by warm Duration (PT: lowest average duration, the cheaper one on
  equal duration);
- ``balanced:w``: the lowest ``w·cost/max(cost) + (1-w)·duration/max(duration)`` (PT's formula;
  ``w`` in [0, 1], default 0.5; 0 is ``speed``, 1 is ``cost``).

Where PT compares averages of trimmed samples, this compares medians with their intervals: a
size whose interval on the strategy's figure overlaps the best one's is a tie, and ties go to
the faster size (for ``speed``, to the cheaper one, as PT). An **SLO** (``warm-p99=150ms,...``)
picks the cheapest size meeting every bound (ties to the faster), or says none does and names
the closest (the smallest worst ratio of measured to bound).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from contract import billed_duration_ms
from report import Estimate, Prices, gb_seconds, median_estimate, percentile

from ._samples import Invocation

#: Share of requests that meet a new instance, for the blended cost per million.
DEFAULT_COLD_SHARE = 0.01
STRATEGIES = ("cost", "speed", "balanced")
DEFAULT_BALANCED_WEIGHT = 0.5


class SweepInputError(ValueError):
    """A strategy or SLO the user wrote that cannot be read; the message says how to write it."""


def _pct(values: Sequence[float], pct: float) -> float | None:
    return percentile(values, pct)


@dataclass(frozen=True, kw_only=True)
class SizeStats:
    """One memory size of a sweep, from its invocations."""

    memory_mb: int
    cold_requests: int
    warm_requests: int
    #: warm-phase requests that met a new instance (parallel clients): in no figure but cost
    unforced_cold: int
    #: REPORT Init Duration of the cold requests, ms
    init_p50_ms: float | None
    init_p90_ms: float | None
    init_max_ms: float | None
    init: Estimate | None
    #: client latency of the cold requests (Duration + Init Duration where the client is unseen)
    cold_latency: Estimate | None
    cold_latency_p99_ms: float | None
    #: REPORT Duration of the warm requests
    warm_duration: Estimate | None
    warm_duration_p90_ms: float | None
    warm_duration_p99_ms: float | None
    #: mean warm Duration (Power Tuning's figure; under a CPU quota, total CPU time per request)
    warm_duration_mean_ms: float | None
    #: client latency of the warm requests (None when the backend has no client side)
    warm_latency: Estimate | None
    warm_latency_p90_ms: float | None
    warm_latency_p99_ms: float | None
    max_memory_used_mb: int | None
    #: failure kind → count, cold and warm together
    failures: Mapping[str, int]
    #: billed GB-seconds of every request of this size
    billed_gb_s: float
    #: cost per request from the median billed durations (interval from their intervals)
    warm_cost_usd: Estimate | None
    cold_cost_usd: Estimate | None
    #: cost per million requests with ``cold_share`` of them cold
    cost_per_million_usd: Estimate | None
    cold_share: float

    @property
    def failed(self) -> int:
        return sum(self.failures.values())

    @property
    def usable(self) -> bool:
        """Every request of this size succeeded, so the size can be chosen."""
        return self.failed == 0 and self.warm_duration is not None


def _cost_of(memory_mb: int, billed: Estimate, architecture: str, prices: Prices) -> Estimate:
    def one(ms: float) -> float:
        return (
            prices.lambda_request_usd
            + prices.api_request_usd
            + gb_seconds(memory_mb, ms) * prices.per_gb_second(architecture)
        )

    return Estimate(
        value=one(billed.value),
        low=one(billed.low),
        high=one(billed.high),
        coverage=billed.coverage,
        n=billed.n,
    )


def _billed(inv: Invocation) -> float | None:
    if inv.billed_ms is not None:
        return float(inv.billed_ms)
    if inv.duration_ms is None:
        return None
    return float(billed_duration_ms(inv.duration_ms, inv.init_ms))


def size_stats(
    memory_mb: int,
    invocations: Sequence[Invocation],
    *,
    architecture: str = "x86_64",
    prices: Prices | None = None,
    cold_share: float = DEFAULT_COLD_SHARE,
) -> SizeStats:
    """The figures of one size from its invocations (forced-cold ones are its cold requests)."""
    p = prices or Prices()
    cold = [i for i in invocations if i.forced_cold]
    # a warm-phase request that met a new instance (parallel clients) is neither cold nor warm
    unforced = [i for i in invocations if not i.forced_cold and i.cold]
    warm = [i for i in invocations if not i.forced_cold and not i.cold]
    ok_cold = [i for i in cold if i.failure is None]
    ok_warm = [i for i in warm if i.failure is None]
    inits = [i.init_ms for i in ok_cold if i.init_ms is not None]
    cold_lat = [
        i.client_ms if i.client_ms is not None else (i.duration_ms or 0.0) + (i.init_ms or 0.0)
        for i in ok_cold
        if i.client_ms is not None or i.duration_ms is not None
    ]
    durations = [i.duration_ms for i in ok_warm if i.duration_ms is not None]
    warm_lat = [i.client_ms for i in ok_warm if i.client_ms is not None]
    memories = [i.max_memory_mb for i in invocations if i.max_memory_mb is not None]
    billed_all = [b for b in (_billed(i) for i in invocations) if b is not None]
    warm_billed = median_estimate([b for b in (_billed(i) for i in ok_warm) if b is not None])
    cold_billed = median_estimate([b for b in (_billed(i) for i in ok_cold) if b is not None])
    warm_cost = _cost_of(memory_mb, warm_billed, architecture, p) if warm_billed else None
    cold_cost = _cost_of(memory_mb, cold_billed, architecture, p) if cold_billed else None
    per_million = None
    if warm_cost is not None:
        c = cold_cost or warm_cost
        share = cold_share if cold_cost is not None else 0.0

        def mix(w: float, k: float) -> float:
            return ((1.0 - share) * w + share * k) * 1_000_000

        per_million = Estimate(
            value=mix(warm_cost.value, c.value),
            low=mix(warm_cost.low, c.low),
            high=mix(warm_cost.high, c.high),
            coverage=warm_cost.coverage,
            n=warm_cost.n,
        )
    return SizeStats(
        memory_mb=memory_mb,
        cold_requests=len(cold),
        warm_requests=len(warm),
        unforced_cold=len(unforced),
        init_p50_ms=_pct(inits, 50),
        init_p90_ms=_pct(inits, 90),
        init_max_ms=max(inits) if inits else None,
        init=median_estimate(inits),
        cold_latency=median_estimate(cold_lat),
        cold_latency_p99_ms=_pct(cold_lat, 99),
        warm_duration=median_estimate(durations),
        warm_duration_p90_ms=_pct(durations, 90),
        warm_duration_p99_ms=_pct(durations, 99),
        warm_duration_mean_ms=sum(durations) / len(durations) if durations else None,
        warm_latency=median_estimate(warm_lat),
        warm_latency_p90_ms=_pct(warm_lat, 90),
        warm_latency_p99_ms=_pct(warm_lat, 99),
        max_memory_used_mb=max(memories) if memories else None,
        failures=dict(sorted(Counter(i.failure for i in invocations if i.failure).items())),
        billed_gb_s=sum(gb_seconds(memory_mb, b) for b in billed_all),
        warm_cost_usd=warm_cost,
        cold_cost_usd=cold_cost,
        cost_per_million_usd=per_million,
        cold_share=cold_share,
    )


# --- strategies ---------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Strategy:
    name: str
    #: balanced only: the weight of cost (0 = speed, 1 = cost)
    weight: float = DEFAULT_BALANCED_WEIGHT

    def __str__(self) -> str:
        return f"balanced:{self.weight:g}" if self.name == "balanced" else self.name


def parse_strategy(text: str) -> Strategy:
    """``cost``, ``speed``, ``balanced`` or ``balanced:W`` (W in 0..1)."""
    name, _, weight_text = text.strip().partition(":")
    if name not in STRATEGIES:
        raise SweepInputError(
            f"strategy {text!r}: write cost, speed, balanced or balanced:W "
            "(W from 0 = speed to 1 = cost)"
        )
    if weight_text and name != "balanced":
        raise SweepInputError(f"strategy {text!r}: only balanced takes a weight (balanced:0.3)")
    weight = DEFAULT_BALANCED_WEIGHT
    if weight_text:
        try:
            weight = float(weight_text)
        except ValueError:
            weight = math.nan
        if not 0.0 <= weight <= 1.0:
            raise SweepInputError(
                f"strategy {text!r}: the weight must be a number from 0 "
                "(speed) to 1 (cost), e.g. balanced:0.3"
            )
    return Strategy(name=name, weight=weight)


@dataclass(frozen=True, kw_only=True)
class Candidate:
    """What a strategy compares of one size: its cost and its warm Duration, with intervals."""

    memory_mb: int
    cost: Estimate
    duration: Estimate


def candidates(stats: Sequence[SizeStats]) -> list[Candidate]:
    """The sizes that can be chosen: every request succeeded."""
    return [
        Candidate(memory_mb=s.memory_mb, cost=s.cost_per_million_usd, duration=s.warm_duration)
        for s in stats
        if s.usable and s.cost_per_million_usd is not None and s.warm_duration is not None
    ]


@dataclass(frozen=True, kw_only=True)
class Choice:
    memory_mb: int | None
    #: the sizes indistinguishable from the chosen one on the strategy's figure (itself excluded)
    ties: tuple[int, ...] = ()
    #: the sentence that says why
    reason: str = ""
    #: SLO only: the size closest to meeting it when none does
    closest_mb: int | None = None
    scores: Mapping[int, float] = field(default_factory=dict)


def _scaled(e: Estimate, by: float) -> Estimate:
    return Estimate(
        value=e.value / by, low=e.low / by, high=e.high / by, coverage=e.coverage, n=e.n
    )


def _balanced(c: Candidate, weight: float, max_cost: float, max_duration: float) -> Estimate:
    cost, dur = _scaled(c.cost, max_cost), _scaled(c.duration, max_duration)
    return Estimate(
        value=weight * cost.value + (1 - weight) * dur.value,
        low=weight * cost.low + (1 - weight) * dur.low,
        high=weight * cost.high + (1 - weight) * dur.high,
        coverage=min(cost.coverage, dur.coverage),
        n=min(cost.n, dur.n),
    )


def choose(pool: Sequence[Candidate], strategy: Strategy) -> Choice:
    """The optimum of ``pool`` (``candidates(stats)``) under ``strategy``; ties (overlapping
    intervals) go to the faster size."""
    if not pool:
        return Choice(memory_mb=None, reason="no size served every request: nothing to choose")
    if strategy.name == "cost":
        figure = {c.memory_mb: c.cost for c in pool}
    elif strategy.name == "speed":
        figure = {c.memory_mb: c.duration for c in pool}
    else:
        max_cost = max(c.cost.value for c in pool) or 1.0
        max_dur = max(c.duration.value for c in pool) or 1.0
        figure = {c.memory_mb: _balanced(c, strategy.weight, max_cost, max_dur) for c in pool}
    best = min(pool, key=lambda c: (figure[c.memory_mb].value, c.duration.value, c.memory_mb))
    tied = [c for c in pool if figure[c.memory_mb].overlaps(figure[best.memory_mb])]
    if strategy.name == "speed":
        pick = min(tied, key=lambda c: (c.cost.value, c.duration.value, c.memory_mb))
        rule = "the cheaper"
    else:
        pick = min(tied, key=lambda c: (c.duration.value, figure[c.memory_mb].value, c.memory_mb))
        rule = "the faster"
    ties = tuple(sorted(c.memory_mb for c in tied if c.memory_mb != pick.memory_mb))
    reason = f"{strategy}: {pick.memory_mb} MB"
    if ties:
        on = {"cost": "cost", "speed": "warm Duration"}.get(strategy.name, "the balanced score")
        reason += (
            f" (indistinguishable on {on} from {', '.join(f'{m} MB' for m in ties)}: "
            f"{rule} one is chosen)"
        )
    return Choice(
        memory_mb=pick.memory_mb,
        ties=ties,
        reason=reason,
        scores={m: e.value for m, e in figure.items()},
    )


# --- SLO ----------------------------------------------------------------------------------------

#: SLO keys: which figure of a size each bounds.
SLO_FIGURES = {
    "warm-p50": "warm client latency p50",
    "warm-p90": "warm client latency p90",
    "warm-p99": "warm client latency p99",
    "duration-p50": "warm Duration p50",
    "duration-p90": "warm Duration p90",
    "duration-p99": "warm Duration p99",
    "cold-p50": "cold request latency p50",
    "cold-p99": "cold request latency p99",
    "init-p50": "Init Duration p50",
    "init-p90": "Init Duration p90",
    "init-max": "Init Duration max",
}
_SLO_ITEM = re.compile(r"^\s*([a-z0-9-]+)\s*=\s*([0-9]*\.?[0-9]+)\s*(ms|s)\s*$")


def parse_slo(text: str) -> dict[str, float]:
    """``warm-p99=150ms,cold-p99=1s`` → ``{"warm-p99": 150.0, "cold-p99": 1000.0}`` (ms)."""
    bounds: dict[str, float] = {}
    for item in text.split(","):
        if not item.strip():
            continue
        m = _SLO_ITEM.match(item)
        if m is None or m[1] not in SLO_FIGURES:
            raise SweepInputError(
                f"SLO item {item.strip()!r}: write KEY=NUMBERms or KEY=NUMBERs, KEY one of "
                f"{', '.join(SLO_FIGURES)} (e.g. --slo warm-p99=150ms,cold-p99=1s)"
            )
        bounds[m[1]] = float(m[2]) * (1000.0 if m[3] == "s" else 1.0)
    if not bounds:
        raise SweepInputError("empty SLO: give at least one bound, e.g. --slo warm-p99=150ms")
    return bounds


def slo_figure(s: SizeStats, key: str) -> float | None:
    """The measured figure an SLO key bounds (warm client latency falls back to Duration when
    the backend does not see the client side)."""
    warm_lat = (s.warm_latency, s.warm_latency_p90_ms, s.warm_latency_p99_ms)
    if s.warm_latency is None:
        warm_lat = (s.warm_duration, s.warm_duration_p90_ms, s.warm_duration_p99_ms)
    values: dict[str, float | None] = {
        "warm-p50": warm_lat[0].value if warm_lat[0] else None,
        "warm-p90": warm_lat[1],
        "warm-p99": warm_lat[2],
        "duration-p50": s.warm_duration.value if s.warm_duration else None,
        "duration-p90": s.warm_duration_p90_ms,
        "duration-p99": s.warm_duration_p99_ms,
        "cold-p50": s.cold_latency.value if s.cold_latency else None,
        "cold-p99": s.cold_latency_p99_ms,
        "init-p50": s.init_p50_ms,
        "init-p90": s.init_p90_ms,
        "init-max": s.init_max_ms,
    }
    return values[key]


def choose_by_slo(stats: Sequence[SizeStats], bounds: Mapping[str, float]) -> Choice:
    """The cheapest size meeting every bound (ties to the faster), or none with the closest."""

    def worst_ratio(s: SizeStats) -> float:
        ratios = []
        for key, bound in bounds.items():
            measured = slo_figure(s, key)
            ratios.append(math.inf if measured is None else measured / bound)
        return max(ratios)

    pool = [s for s in stats if s.usable and s.cost_per_million_usd is not None]
    ratios = {s.memory_mb: worst_ratio(s) for s in pool}
    meeting = [s for s in pool if ratios[s.memory_mb] <= 1.0]
    text = ",".join(f"{k}={v:g}ms" for k, v in bounds.items())
    if not meeting:
        if not pool:
            return Choice(
                memory_mb=None, reason=f"SLO {text}: none meets it (no size served every request)"
            )
        closest = min(pool, key=lambda s: (ratios[s.memory_mb], s.memory_mb))
        over = (ratios[closest.memory_mb] - 1.0) * 100.0
        return Choice(
            memory_mb=None,
            closest_mb=closest.memory_mb,
            scores=ratios,
            reason=f"SLO {text}: none meets it; closest {closest.memory_mb} MB "
            f"({over:.0f} % over its tightest bound)",
        )
    choice = choose(candidates(meeting), Strategy(name="cost"))
    return Choice(
        memory_mb=choice.memory_mb,
        ties=choice.ties,
        scores=ratios,
        reason=f"SLO {text}: {choice.memory_mb} MB is the cheapest meeting it"
        + (
            f" ({', '.join(f'{m} MB' for m in choice.ties)} cost the same within "
            "the intervals: the faster of them)"
            if choice.ties
            else ""
        ),
    )


def best_and_ties(stats: Sequence[SizeStats], figure: str) -> tuple[int, list[int]] | None:
    """The size with the lowest median of ``figure`` (a SizeStats field holding an Estimate,
    e.g. ``warm_duration``) and the sizes whose interval overlaps its (indistinguishable)."""
    have = [
        (s.memory_mb, e)
        for s in stats
        if s.usable and isinstance(e := getattr(s, figure), Estimate)
    ]
    if not have:
        return None
    best_mb, best = min(have, key=lambda item: (item[1].value, item[0]))
    return best_mb, [mb for mb, e in have if mb != best_mb and e.overlaps(best)]
