"""How Lambda bills one invocation's duration: the emulator writes it, the report relies on it."""

from __future__ import annotations

import math


def billed_duration_ms(duration_ms: float, init_duration_ms: float | None = None) -> int:
    """Lambda's billed duration: rounded up to the millisecond, at least 1 ms, and on a cold
    start the init phase included (on-demand functions since August 2025: AWS's own example
    bills 15.74 ms + 130.49 ms init as 147 ms)."""
    total_ms = duration_ms + (init_duration_ms or 0.0)
    if not math.isfinite(total_ms) or duration_ms < 0 or (init_duration_ms or 0.0) < 0:
        raise ValueError(
            f"a duration must be a finite number >= 0, not {duration_ms!r} "
            f"(init {init_duration_ms!r})"
        )
    # Round to the two decimals AWS prints first, so a 2.00 ms REPORT bills 2 ms and not 3.
    return max(1, math.ceil(round(total_ms, 2)))
