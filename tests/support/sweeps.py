"""A memory sweep's records for the tests of its outputs: one forced cold start, then warm
requests of the given Durations."""

from __future__ import annotations

from study.sweep._samples import Invocation
from study.sweep._stats import SizeStats, size_stats


def invocations(memory_mb: int, warm_ms: list[float]) -> list[Invocation]:
    cold = Invocation(
        memory_mb=memory_mb,
        forced_cold=True,
        cold=True,
        client_ms=150.0,
        duration_ms=12.0,
        billed_ms=140,
        init_ms=127.5,
        max_memory_mb=60,
    )
    warm = [
        Invocation(
            memory_mb=memory_mb,
            forced_cold=False,
            cold=False,
            client_ms=ms + 2.0,
            duration_ms=ms,
            billed_ms=int(ms) + 1,
            init_ms=None,
            max_memory_mb=61,
        )
        for ms in warm_ms
    ]
    return [cold, *warm]


def stats(memory_mb: int, warm_ms: list[float]) -> SizeStats:
    return size_stats(memory_mb, invocations(memory_mb, warm_ms))
