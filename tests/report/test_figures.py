"""A stack's figures: the nearest-rank percentile they are computed with."""

from __future__ import annotations

from report._figures import percentile


def test_nearest_rank_percentiles() -> None:
    assert percentile([], 50) is None
    assert percentile([10, 20, 30, 40], 50) == 20
    assert percentile([10, 20, 30, 40], 90) == 40
    assert percentile([5, 1, 3], 50) == 3
    assert percentile([7.0], 99) == 7.0
