"""The recommendation: the stack the report names, by a stated rule, from the stacks' figures."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ._figures import StackFigures

__all__ = ["MAX_ERROR_RATE", "RecommendationRule", "recommend"]

#: A stack failing more than this share of its requests is not recommended, however cheap.
MAX_ERROR_RATE = 0.01


@dataclass(frozen=True, kw_only=True)
class RecommendationRule:
    """The cheapest stack whose warm p99 and mean throughput are within ``tolerance`` of the best.

    If no stack meets both, the tolerance is widened step by step (``widen``) until one does;
    the report states the tolerance that was used.
    """

    tolerance: float = 0.10
    widen: tuple[float, ...] = (0.25, 0.50, 1.00)

    def describe(self, used: float) -> str:
        return (
            f"the cheapest stack (estimated cost per million predictions) whose warm p99 is "
            f"within {used:.0%} of the best warm p99 and whose mean throughput is within "
            f"{used:.0%} of the best; stacks with more than {MAX_ERROR_RATE:.0%} failed "
            "requests, without a cost (no REPORT lines), with an incomplete run or with "
            "missing or damaged result files are not candidates"
        )


def recommend(
    figures: Sequence[StackFigures], rule: RecommendationRule | None = None
) -> tuple[StackFigures | None, float | None, str]:
    """(the stack, the tolerance used, the rule in words); (None, None, why) if none qualifies."""
    rule = rule or RecommendationRule()
    candidates = [
        f
        for f in figures
        if f.cost is not None
        and f.cost.per_million_predictions_usd is not None
        and f.warm_p99_ms is not None
        and f.hits_per_s_mean
        and not f.incomplete
        and not f.data_problems
        and f.requests
        and sum(f.errors.values()) <= MAX_ERROR_RATE * f.requests
    ]
    if not candidates:
        return (
            None,
            None,
            (
                "no stack qualifies: each needs a complete scenario 2 run, whole "
                f"result files, at most {MAX_ERROR_RATE:.0%} errors, warm "
                "latencies and a cost (REPORT lines)"
            ),
        )
    best_p99 = min(f.warm_p99_ms for f in candidates if f.warm_p99_ms is not None)
    best_rate = max(f.hits_per_s_mean or 0.0 for f in candidates)
    for tolerance in (rule.tolerance, *rule.widen):
        near = [
            f
            for f in candidates
            if f.warm_p99_ms is not None
            and f.warm_p99_ms <= best_p99 * (1 + tolerance)
            and (f.hits_per_s_mean or 0.0) >= best_rate * (1 - tolerance)
        ]
        if near:
            chosen = min(near, key=lambda f: (f.cost.per_million_predictions_usd, f.stack))  # type: ignore[union-attr]
            return chosen, tolerance, rule.describe(tolerance)
    return None, None, rule.describe(rule.widen[-1]) + "; none met it"
