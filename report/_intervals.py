"""A median with its confidence interval, distribution-free.

The order statistics ``x(k)`` and ``x(n-k+1)`` of ``n`` samples bound the median with probability
``1 - 2·P(B <= k-1)``, ``B`` binomial ``(n, 1/2)``, whatever the distribution; ``k`` is the
largest rank that keeps at least the level asked (95 %). With 5 samples no rank does: the
interval is ``[min, max]`` and says it covers 93.75 %. No resampling, so the same samples give
the same interval on any machine. Shared by the memory sweep (``study``) and ``report compare``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["CI_METHOD", "CONFIDENCE", "Estimate", "median_estimate"]

#: The confidence the intervals aim at.
CONFIDENCE = 0.95
CI_METHOD = (
    "distribution-free order-statistic interval for the median (binomial, n, 1/2), "
    "95 % or the widest available with few samples"
)


@dataclass(frozen=True, kw_only=True)
class Estimate:
    """A median with its confidence interval (``low``..``high``, ``coverage`` its probability)."""

    value: float
    low: float
    high: float
    coverage: float
    n: int

    def overlaps(self, other: Estimate) -> bool:
        return self.low <= other.high and other.low <= self.high


def median_estimate(values: Sequence[float], confidence: float = CONFIDENCE) -> Estimate | None:
    """The median of ``values`` (nearest rank, as the report's percentiles) with its
    order-statistic interval; None without values. Exact integer arithmetic: any ``n``."""
    if not values:
        return None
    ordered = sorted(values)
    n = len(ordered)
    total = 1 << n
    # below = sum of C(n, i) for i < k, i.e. 2**n · P(B <= k-1); term = C(n, k-1)
    below, term = 0, 1
    best_k, best_coverage = 1, 0.0
    for k in range(1, n // 2 + 1):
        below += term
        coverage = (total - 2 * below) / total
        if k > 1 and coverage < confidence:
            break
        if k == 1 or coverage >= confidence:
            best_k, best_coverage = k, coverage
        term = term * (n - (k - 1)) // k
    # The median is the nearest-rank p50, resultfiles' one rule (the lower median).
    mid = ordered[(n - 1) // 2]
    return Estimate(
        value=mid,
        low=ordered[best_k - 1],
        high=ordered[n - best_k],
        coverage=best_coverage if n > 1 else 0.0,
        n=n,
    )
