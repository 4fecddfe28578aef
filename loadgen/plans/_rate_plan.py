"""The open-model plan (``rate``): arrivals on an absolute schedule; pure timing, no clock."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

from .._errors import PlanError
from ._staged_plan import MAX_ARRIVALS, MAX_USERS, _check_duration, _is_count

__all__ = ["RatePlan", "RateStep"]


@dataclass(frozen=True, kw_only=True)
class RateStep:
    """A constant arrival rate held for a duration."""

    rate_rps: float
    duration_s: float


@dataclass(frozen=True, kw_only=True)
class RatePlan:
    """Open model: requests start on an absolute schedule, whatever the responses do.

    Latency is measured from the intended start. An arrival that finds ``max_in_flight``
    requests already running is dropped and counted; one that starts late is counted as late.
    """

    steps: tuple[RateStep, ...] = field(default=(RateStep(rate_rps=10.0, duration_s=60.0),))
    max_in_flight: int = 256

    def validate(self) -> list[str]:
        problems: list[str] = []
        if not isinstance(self.steps, tuple) or not self.steps:
            problems.append("a rate plan needs at least one step (rate, duration)")
            return problems
        for index, step in enumerate(self.steps):
            rate = step.rate_rps
            if (
                isinstance(rate, bool)
                or not isinstance(rate, int | float)
                or not math.isfinite(rate)
                or rate < 0
            ):
                problems.append(
                    f"steps[{index}].rate_rps must be a finite number >= 0, got {rate!r}"
                )
            _check_duration(f"steps[{index}].duration_s", step.duration_s, problems)
        if not _is_count(self.max_in_flight) or not 1 <= self.max_in_flight <= MAX_USERS:
            problems.append(
                f"max_in_flight must be an integer 1..{MAX_USERS}, got {self.max_in_flight!r}"
            )
        if not problems:
            if self.duration_s <= 0:
                problems.append("the rate plan lasts 0 s: give a step a duration")
            arrivals = sum(s.rate_rps * s.duration_s for s in self.steps)
            if arrivals > MAX_ARRIVALS:
                problems.append(
                    f"the plan asks for {arrivals:.0f} requests, more than {MAX_ARRIVALS}"
                )
        return problems

    def check(self) -> RatePlan:
        problems = self.validate()
        if problems:
            raise PlanError("invalid rate plan", problems=problems)
        return self

    @property
    def duration_s(self) -> float:
        return sum(step.duration_s for step in self.steps)

    def stage_at(self, t_s: float) -> int:
        start = 0.0
        for index, step in enumerate(self.steps):
            if t_s < start + step.duration_s:
                return index
            start += step.duration_s
        return len(self.steps) - 1

    def rate_at(self, t_s: float) -> float:
        """Arrival rate (requests/s) wanted at ``t_s``; 0 outside the plan."""
        if t_s < 0:
            return 0.0
        start = 0.0
        for step in self.steps:
            if t_s < start + step.duration_s:
                return step.rate_rps
            start += step.duration_s
        return 0.0

    def arrival_times(self) -> Iterator[tuple[float, int]]:
        """Intended start times ``(t_s, step index)``, evenly spaced within each step."""
        start = 0.0
        for index, step in enumerate(self.steps):
            if step.rate_rps > 0:
                count = math.ceil(step.duration_s * step.rate_rps - 1e-9)
                for n in range(count):
                    yield start + n / step.rate_rps, index
            start += step.duration_s

    def scaled(self, time_scale: float) -> RatePlan:
        return replace(
            self,
            steps=tuple(replace(s, duration_s=s.duration_s / time_scale) for s in self.steps),
        )
