"""The one percentile rule of every figure: nearest rank, on the exact rank."""

from __future__ import annotations

from resultfiles import percentile


def test_percentiles_are_nearest_rank() -> None:
    assert percentile([], 50) is None
    assert percentile([30.0, 10.0, 20.0, 40.0], 50) == 20.0  # the lower median
    assert percentile([30.0, 10.0, 20.0], 50) == 20.0
    assert percentile([10.0, 20.0, 30.0, 40.0], 90) == 40.0
    assert percentile([5.0], 0) == 5.0
    assert percentile(range(1, 101), 99) == 99
    assert percentile(range(1, 101), 100) == 100


def test_a_percentile_rank_is_exact_not_rounded() -> None:
    # 99.9 / 100 * 1000 is 999.0000000000001 in binary floating point: rounding up from it
    # would take the 1000th value where p99.9 of 1,000 values is the 999th.
    assert percentile(range(1, 1001), 99.9) == 999
