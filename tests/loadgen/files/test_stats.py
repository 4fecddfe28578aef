"""A run's statistics: how each request's latency is counted (warm, cold, restore)."""

from __future__ import annotations

from functools import partial

from loadgen.files._stats import Stats
from resultfiles import Record


def test_snapstart_restores_stay_out_of_the_warm_latency() -> None:
    # As in report.md: a restore's first request is neither warm nor a cold start.
    stats = Stats()
    record = partial(Record, seq=0, stage=0, start_s=0.0, status=200, error=None)
    stats.add(record(latency_us=5_000, cold_start=False))
    stats.add(record(latency_us=900_000, cold_start=False, restore=True))
    stats.add(record(latency_us=700_000, cold_start=True))
    totals = stats.summary()
    assert totals.latency_ms.count == 3
    warm_max = totals.warm_latency_ms.max
    assert totals.warm_latency_ms.count == 1 and warm_max is not None and warm_max < 6
    assert totals.restore_latency_ms.count == 1
    assert totals.cold_latency_ms.count == 1
