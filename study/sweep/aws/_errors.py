"""What stops a memory sweep on AWS: its two errors, and the checks of the sizes and counts it
is asked for (the estimate and the sweep refuse the same input with the same line)."""

from __future__ import annotations

import signal
from collections.abc import Sequence

from contract import MEMORY_MB_MAX, MEMORY_MB_MIN

from .._samples import Invocation


class AwsSweepError(Exception):
    """What stopped a sweep on AWS, in one line: what was wrong and what to do."""


class AwsSweepInterrupted(AwsSweepError):
    """SIGINT or SIGTERM stopped the sweep; the function was restored and cleaned up first.

    ``measured`` holds the sizes measured before the signal (complete sizes only).
    """

    def __init__(self, signum: int, measured: dict[int, list[Invocation]] | None = None) -> None:
        name = signal.Signals(signum).name
        super().__init__(
            f"the sweep was stopped by {name}; the function's configuration was "
            "restored and the versions and aliases it made were deleted"
        )
        self.signum = signum
        self.measured: dict[int, list[Invocation]] = measured or {}


def checked_sizes(memory_sizes: Sequence[int]) -> tuple[int, ...]:
    """The sizes, each a whole MB within Lambda's range and named once (AwsSweepError)."""
    sizes = tuple(memory_sizes)
    if not sizes:
        raise AwsSweepError("no memory size to sweep: name at least one (128 to 10,240 MB)")
    bad = [
        m
        for m in sizes
        if isinstance(m, bool) or not isinstance(m, int) or not MEMORY_MB_MIN <= m <= MEMORY_MB_MAX
    ]
    if bad:
        raise AwsSweepError(
            f"memory sizes {bad} are outside Lambda's range: use whole MB from "
            f"{MEMORY_MB_MIN} to {MEMORY_MB_MAX:,}"
        )
    if len(set(sizes)) != len(sizes):
        raise AwsSweepError(f"memory sizes {list(sizes)} name a size twice: name each once")
    return sizes


def check_counts(cold: int, warm: int) -> None:
    """At least one invocation per size, no count below 0 (AwsSweepError)."""
    if cold < 0 or warm < 0 or cold + warm < 1:
        raise AwsSweepError(
            f"cold {cold} and warm {warm} must be >= 0 with at least one invocation per size"
        )
