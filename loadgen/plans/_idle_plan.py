"""The timed-idle plan (scenario 1): one request at each offset; pure timing, no clock."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from .._errors import PlanError
from ._staged_plan import _check_duration

__all__ = ["IdlePlan"]


@dataclass(frozen=True, kw_only=True)
class IdlePlan:
    """Timed idle (scenario 1): one user, one request at each offset from the start.

    The gaps between requests show whether an idle instance was kept or evicted; with
    ``bisect_precision_s`` the run goes on probing gaps inside the eviction bracket.
    """

    #: Absolute send times, seconds from the start (the study's: 0, 6, 16, 31, 61 minutes).
    offsets_s: tuple[float, ...] = (0.0, 360.0, 960.0, 1860.0, 3660.0)
    #: Bisect the bracket until it is narrower than this (None: no bisection).
    bisect_precision_s: float | None = None

    def validate(self) -> list[str]:
        problems: list[str] = []
        if not isinstance(self.offsets_s, tuple) or len(self.offsets_s) < 2:
            problems.append("scenario1 needs at least two offsets (a gap between two requests)")
            return problems
        for index, offset in enumerate(self.offsets_s):
            _check_duration(f"offsets_s[{index}]", offset, problems)
        if not problems:
            for index in range(1, len(self.offsets_s)):
                if self.offsets_s[index] <= self.offsets_s[index - 1]:
                    problems.append(
                        f"offsets must increase: offsets_s[{index}]={self.offsets_s[index]:g} "
                        f"is not after {self.offsets_s[index - 1]:g}"
                    )
        if self.bisect_precision_s is not None:
            value = self.bisect_precision_s
            if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
                problems.append(f"bisect_precision_s must be a number > 0, got {value!r}")
            elif not math.isfinite(value):
                problems.append(f"bisect_precision_s must be finite, got {value!r}")
        return problems

    def check(self) -> IdlePlan:
        problems = self.validate()
        if problems:
            raise PlanError("invalid scenario1 plan", problems=problems)
        return self

    @property
    def duration_s(self) -> float:
        """Time of the last scheduled request (bisection, if any, comes after)."""
        return self.offsets_s[-1]

    def gaps_s(self) -> list[float]:
        """Planned idle gaps between consecutive requests."""
        return [b - a for a, b in zip(self.offsets_s, self.offsets_s[1:], strict=False)]

    def users_at(self, t_s: float) -> int:
        return 1 if 0 <= t_s <= self.duration_s else 0

    def bisect_probes_max(self, kept_s: float, evicted_s: float) -> int:
        """How many probes bisecting ``(kept_s, evicted_s)`` takes at most."""
        if self.bisect_precision_s is None or evicted_s - kept_s <= self.bisect_precision_s:
            return 0
        return math.ceil(math.log2((evicted_s - kept_s) / self.bisect_precision_s))

    def scaled(self, time_scale: float) -> IdlePlan:
        precision = self.bisect_precision_s
        return replace(
            self,
            offsets_s=tuple(o / time_scale for o in self.offsets_s),
            bisect_precision_s=None if precision is None else precision / time_scale,
        )
