"""How Lambda bills one invocation's duration: the emulator writes it, the report relies on it."""

from __future__ import annotations

import math


def _check(name: str, value_ms: float | None) -> float:
    value = 0.0 if value_ms is None else value_ms
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite number >= 0, not {value_ms!r}")
    return value


def _ceil_ms(total_ms: float) -> int:
    # Round to the two decimals AWS prints first, so a 2.00 ms REPORT bills 2 ms and not 3.
    return max(1, math.ceil(round(total_ms, 2)))


def billed_duration_ms(
    duration_ms: float,
    init_duration_ms: float | None = None,
    billed_restore_ms: int | None = None,
) -> int:
    """Lambda's billed duration: rounded up to the millisecond, at least 1 ms; on a cold start
    the init phase included (on-demand functions since August 2025: AWS's own example bills
    15.74 ms + 130.49 ms init as 147 ms), on a SnapStart restore its billed part (AWS: 306.34
    ms + 303 ms billed restore → 610 ms)."""
    total_ms = (
        _check("a duration", duration_ms)
        + _check("an init duration", init_duration_ms)
        + _check("a billed restore", billed_restore_ms)
    )
    return _ceil_ms(total_ms)


def billed_restore_ms(restore_duration_ms: float) -> int:
    """The billed part of a SnapStart restore, rounded up to the millisecond, at least 1 ms."""
    return _ceil_ms(_check("a restore duration", restore_duration_ms))
