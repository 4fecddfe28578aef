"""The generator's self-check: is the load generator itself the bottleneck?

Two signs, sampled while the run goes: the share of seconds in which the process used
nearly a whole core, and the event loop's lag (a timer's wake-up late by how much).
"""

from __future__ import annotations

import time

import anyio

from resultfiles import GeneratorFigures, LoopLag

from ..files._hist import LatencyHistogram

__all__ = ["BUSY_CPU_FRACTION", "BUSY_SHARE", "LAG_P99_LIMIT_MS", "SelfCheck"]

#: A second in which the generator used this much of one core counts as busy.
BUSY_CPU_FRACTION = 0.9
#: Saturated when busy in at least this share of the seconds...
BUSY_SHARE = 0.10
#: ...or when the event loop's lag reaches this at the 99th percentile.
LAG_P99_LIMIT_MS = 10.0
LAG_PERIOD_S = 0.05


class SelfCheck:
    """CPU use per second and event-loop lag of this process, from its creation on."""

    def __init__(self) -> None:
        self.lag = LatencyHistogram()
        self.cpu_fractions: list[float] = []
        self._cpu0 = time.process_time()
        self._last_cpu = self._cpu0
        self._last_wall = time.perf_counter()

    async def sample_lag(self) -> None:
        """Sample the event loop's lag every LAG_PERIOD_S until cancelled."""
        while True:
            before = time.perf_counter_ns()
            await anyio.sleep(LAG_PERIOD_S)
            lag_us = (time.perf_counter_ns() - before) // 1000 - int(LAG_PERIOD_S * 1e6)
            self.lag.record(max(0, lag_us))

    def second_done(self) -> None:
        """Note the CPU share used since the previous call (once a second)."""
        cpu, wall = time.process_time(), time.perf_counter()
        self.cpu_fractions.append((cpu - self._last_cpu) / max(wall - self._last_wall, 1e-9))
        self._last_cpu, self._last_wall = cpu, wall

    def figures(self, requests: int) -> GeneratorFigures:
        """summary.json's ``generator`` (docs/results.md) after ``requests`` attempts."""
        cpu_s = time.process_time() - self._cpu0
        busy = sum(1 for f in self.cpu_fractions if f >= BUSY_CPU_FRACTION)
        lag = self.lag.percentiles_us((50.0, 99.0))
        lag_p99_ms = lag[99.0] / 1000.0
        reasons = []
        if self.cpu_fractions and busy >= max(1, BUSY_SHARE * len(self.cpu_fractions)):
            reasons.append(
                f"it used >= {BUSY_CPU_FRACTION:.0%} of a core in {busy} of "
                f"{len(self.cpu_fractions)} seconds"
            )
        if self.lag.count and lag_p99_ms >= LAG_P99_LIMIT_MS:
            reasons.append(f"its event loop lagged {lag_p99_ms:.1f} ms at p99")
        return GeneratorFigures(
            cpu_s=round(cpu_s, 3),
            cpu_us_per_request=round(cpu_s * 1e6 / requests, 1) if requests else None,
            busy_seconds=busy,
            seconds_sampled=len(self.cpu_fractions),
            loop_lag_ms=LoopLag(
                p50=lag[50.0] / 1000.0,
                p99=lag_p99_ms,
                max=self.lag.max_us / 1000.0,
                samples=self.lag.count,
            ),
            saturated=bool(reasons),
            reasons=tuple(reasons),
        )
