"""The one percentile rule of every figure written or read from result files: nearest rank.

The p-th percentile of n values is the value of rank ⌈p·n/100⌉ (at least 1) in ascending
order: the smallest value with at least p % of the values at or below it. It is always one of
the values measured (never an interpolation), so the same records give the same figure on any
machine. For p = 50 it is the lower median (the ``(n-1)//2``-th value from 0).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from fractions import Fraction

__all__ = ["percentile"]


def percentile(values: Iterable[float], pct: float) -> float | None:
    """Nearest-rank percentile of ``values`` (None for no values); ``pct`` from 0 to 100.

    The rank is computed exactly (``pct`` as written in decimal), so that no rounding of
    ``pct / 100`` moves a figure to the next value.
    """
    ordered = sorted(values)
    if not ordered:
        return None
    rank = math.ceil(Fraction(str(pct)) * len(ordered) / 100)
    return ordered[min(max(rank, 1), len(ordered)) - 1]
