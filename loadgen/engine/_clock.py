"""The run's clock: monotonic seconds since its start, and sleeping until a time on it."""

from __future__ import annotations

import time
from dataclasses import dataclass

import anyio

__all__ = ["RunClock"]


@dataclass(frozen=True, kw_only=True)
class RunClock:
    """Times on the run's clock; ``t0_ns`` is ``time.perf_counter_ns()`` at the start."""

    t0_ns: int

    def now_s(self) -> float:
        return (time.perf_counter_ns() - self.t0_ns) / 1e9

    def offset_s(self, ns: int) -> float:
        """``ns`` (a ``perf_counter_ns`` time) as seconds since the start."""
        return (ns - self.t0_ns) / 1e9

    def at_ns(self, t_s: float) -> int:
        """The ``perf_counter_ns`` time of ``t_s`` seconds since the start."""
        return self.t0_ns + int(t_s * 1e9)

    async def sleep_until_s(self, t_s: float) -> None:
        delay = t_s - self.now_s()
        if delay > 0:
            await anyio.sleep(delay)
