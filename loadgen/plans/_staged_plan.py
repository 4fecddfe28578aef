"""Scenario plans: validated data with pure timing functions (no clock, no I/O).

Staged plans live here with the helpers every plan uses; the idle plan is in ``_idle_plan``,
the open-model plan in ``_rate_plan``. A plan answers "how many users (or what arrival rate)
at time t" without running anything, so the timing of every scenario is unit-tested by
calling it. Times are seconds from the start of the run; ``scaled(k)`` divides every duration
by ``k`` (``--time-scale``).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace

from .._errors import PlanError

__all__ = [
    "Stage",
    "StagedPlan",
    "format_duration",
    "parse_duration_s",
]

#: How the stages of a staged plan follow each other (see :class:`StagedPlan`).
LAYOUTS = ("stages", "sequential", "concurrent")

#: Upper bounds that keep every load loop bounded in count and time.
MAX_USERS = 10_000
MAX_DURATION_S = 7 * 24 * 3600.0
MAX_ARRIVALS = 50_000_000

_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ms|s|m|h|d)?")
_UNIT_S = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, None: 1.0}


def parse_duration_s(text: str | float) -> float:
    """Seconds from a duration like ``90``, ``"90s"``, ``"1m30s"``, ``"500ms"``, ``"1.5h"``.

    A bare number is seconds (Taurus' convention). Raises ValueError with the accepted forms.
    """
    if isinstance(text, bool):
        raise ValueError(f"not a duration: {text!r}")  # noqa: TRY004 (one error type for callers)
    if isinstance(text, int | float):
        if not math.isfinite(text) or text < 0:
            raise ValueError(f"a duration must be a finite number >= 0, got {text!r}")
        return float(text)
    cleaned = text.strip().replace(" ", "")
    pos = 0
    total_s = 0.0
    while pos < len(cleaned):
        match = _DURATION_PART.match(cleaned, pos)
        if match is None:
            break
        total_s += float(match.group(1)) * _UNIT_S[match.group(2)]
        pos = match.end()
    if not cleaned or pos != len(cleaned):
        raise ValueError(
            f"not a duration: {text!r} (use seconds, or units like 500ms, 90s, 3m, 1m30s, 1h)"
        )
    return total_s


def format_duration(seconds: float) -> str:
    """A short human form: ``3m``, ``1m30s``, ``4.5s``, ``250ms``."""
    if seconds < 1 and seconds != 0:
        return f"{seconds * 1000:.0f}ms"
    if seconds < 60 or seconds != int(seconds):
        return f"{seconds:g}s" if seconds < 60 else f"{int(seconds // 60)}m{seconds % 60:g}s"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    out = (f"{hours}h" if hours else "") + (f"{minutes}m" if minutes else "")
    return out + (f"{secs}s" if secs else "") or "0s"


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_rate(value: object) -> bool:
    return (
        not isinstance(value, bool)
        and isinstance(value, int | float)
        and math.isfinite(value)
        and value > 0
    )


def _check_duration(name: str, value: object, problems: list[str]) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        problems.append(f"{name} must be a number of seconds, got {value!r}")
    elif not math.isfinite(value) or value < 0:
        problems.append(f"{name} must be finite and >= 0, got {value!r}")
    elif value > MAX_DURATION_S:
        problems.append(f"{name} must be at most {MAX_DURATION_S:g} s (a week), got {value!r}")


@dataclass(frozen=True, kw_only=True)
class Stage:
    """One stage of a staged-concurrency plan, with Taurus' meaning.

    Users go from the previous stage's count to ``users`` during ``ramp_up_s`` (added evenly:
    the i-th added user of n starts at ``i * ramp_up_s / n``; with ``steps``, in that many
    equal steps), then ``users`` are held for ``hold_s``.
    """

    #: Target number of concurrent users at the end of the ramp.
    users: int
    #: Time to go from the previous stage's users to ``users``.
    ramp_up_s: float = 0.0
    #: Time the target is held after the ramp.
    hold_s: float = 0.0
    #: Taurus ``steps``: change users in this many equal steps instead of one by one.
    steps: int | None = None
    #: Taurus ``throughput`` of this stage: a request-rate cap shaped as Taurus shapes it
    #: (ramped with ``ramp_up_s`` from a low start, or in ``steps``; then held).
    throughput_rps: float | None = None
    #: Taurus ``iterations`` of this stage's execution (only in the sequential and concurrent
    #: layouts, where each stage is an execution with its own users).
    iterations: int | None = None
    #: The execution's think time (same layouts; None: the plan's).
    think_s: float | None = None

    @property
    def duration_s(self) -> float:
        return self.ramp_up_s + self.hold_s

    def throughput_at(self, t_s: float) -> float | None:
        """The shaped request-rate cap ``t_s`` after this stage starts (None: no cap).

        Taurus' JMeter shaper: with ``steps``, step k of n holds ``k/n`` of the rate for
        ``ramp_up_s / n``; without, the rate grows linearly from ``rate / duration`` (kept
        within 0.001..1 per second) to the rate over ``ramp_up_s``; it is held after.
        """
        rate = self.throughput_rps
        if rate is None:
            return None
        if t_s >= self.ramp_up_s or self.ramp_up_s <= 0:
            return rate
        t_s = max(t_s, 0.0)
        if self.steps:
            step = min(int(t_s * self.steps / self.ramp_up_s) + 1, self.steps)
            return rate * step / self.steps
        start = min(max(rate / self.duration_s, 0.001), 1.0)
        return start + (rate - start) * t_s / self.ramp_up_s


DEFAULT_STAGES: tuple[Stage, ...] = (
    Stage(users=9, ramp_up_s=180.0, hold_s=60.0),
    Stage(users=18, ramp_up_s=0.0, hold_s=60.0),
)


@dataclass(frozen=True, kw_only=True)
class StagedPlan:
    """Closed-model staged concurrency (scenario 2): users loop request → response → think.

    ``layout`` says how stages follow each other: ``stages`` (one after the other, users
    carried over from one stage's count to the next), or, for Taurus executions, each stage
    an execution with users of its own that ramp from 0: ``concurrent`` (all start at 0, as
    Taurus runs executions) or ``sequential`` (``modules.local.sequential``: an execution
    starts when the previous one is over, its time up or all its users done).
    """

    stages: tuple[Stage, ...] = DEFAULT_STAGES
    #: Pause of each user between a response and its next request.
    think_s: float = 0.0
    #: Taurus ``iterations``: requests per user at most (None: as many as time allows).
    iterations: int | None = None
    #: Taurus ``throughput``: a constant cap on the total request rate (None: no cap).
    throughput_rps: float | None = None
    #: ``stages``, ``sequential`` or ``concurrent`` (see above).
    layout: str = "stages"

    def validate(self) -> list[str]:
        """Every problem of this plan, as sentences; empty when the plan can run."""
        problems: list[str] = []
        if not isinstance(self.stages, tuple) or not self.stages:
            problems.append("a plan needs at least one stage (users, ramp-up, hold)")
            return problems
        for index, stage in enumerate(self.stages):
            name = f"stages[{index}]"
            if not _is_count(stage.users) or not 1 <= stage.users <= MAX_USERS:
                problems.append(
                    f"{name}.users must be an integer 1..{MAX_USERS}, got {stage.users!r}"
                )
            _check_duration(f"{name}.ramp_up_s", stage.ramp_up_s, problems)
            _check_duration(f"{name}.hold_s", stage.hold_s, problems)
            if stage.steps is not None and (not _is_count(stage.steps) or stage.steps < 1):
                problems.append(
                    f"{name}.steps must be an integer >= 1 or None, got {stage.steps!r}"
                )
            if stage.throughput_rps is not None and not _is_rate(stage.throughput_rps):
                problems.append(
                    f"{name}.throughput_rps must be a number > 0 or None, got "
                    f"{stage.throughput_rps!r}"
                )
            if stage.iterations is not None and (
                not _is_count(stage.iterations) or stage.iterations < 1
            ):
                problems.append(
                    f"{name}.iterations must be an integer >= 1 or None, got {stage.iterations!r}"
                )
            if stage.think_s is not None:
                _check_duration(f"{name}.think_s", stage.think_s, problems)
            if self.layout == "stages" and (
                stage.iterations is not None or stage.think_s is not None
            ):
                problems.append(
                    f"{name}: iterations and think time per stage need the sequential "
                    "or concurrent layout (each stage an execution of its own)"
                )
        if self.layout not in LAYOUTS:
            problems.append(f"layout must be one of {', '.join(LAYOUTS)}, got {self.layout!r}")
        _check_duration("think_s", self.think_s, problems)
        if self.iterations is not None and (not _is_count(self.iterations) or self.iterations < 1):
            problems.append(f"iterations must be an integer >= 1 or None, got {self.iterations!r}")
        if self.throughput_rps is not None and not _is_rate(self.throughput_rps):
            problems.append(
                f"throughput_rps must be a number > 0 or None, got {self.throughput_rps!r}"
            )
        if not problems:
            if self.max_users > MAX_USERS:
                problems.append(
                    f"the executions run {self.max_users} users at once, more than {MAX_USERS}"
                )
            if self.duration_s <= 0:
                problems.append("the plan lasts 0 s: give a stage a ramp-up or a hold time")
            elif self.duration_s > MAX_DURATION_S:
                problems.append(f"the plan lasts {self.duration_s:g} s, more than a week")
        return problems

    def check(self) -> StagedPlan:
        """This plan, or PlanError listing every problem."""
        problems = self.validate()
        if problems:
            raise PlanError("invalid staged plan", problems=problems)
        return self

    @property
    def duration_s(self) -> float:
        """The plan's length (for ``sequential``, at most: an execution may end early)."""
        if self.layout == "concurrent":
            return max(stage.duration_s for stage in self.stages)
        return sum(stage.duration_s for stage in self.stages)

    @property
    def max_users(self) -> int:
        if self.layout == "concurrent":
            return sum(stage.users for stage in self.stages)
        return max(stage.users for stage in self.stages)

    def stage_starts_s(self) -> list[float]:
        if self.layout == "concurrent":
            return [0.0 for _ in self.stages]
        starts, t = [], 0.0
        for stage in self.stages:
            starts.append(t)
            t += stage.duration_s
        return starts

    def overridden(
        self,
        *,
        think_s: float | None = None,
        iterations: int | None = None,
        throughput_rps: float | None = None,
    ) -> StagedPlan:
        """This plan with the values given (command-line options) for every stage."""
        plan = self
        if think_s is not None:
            plan = replace(
                plan, think_s=think_s, stages=tuple(replace(s, think_s=None) for s in plan.stages)
            )
        if iterations is not None:
            plan = replace(
                plan,
                iterations=iterations,
                stages=tuple(replace(s, iterations=None) for s in plan.stages),
            )
        if throughput_rps is not None:
            plan = replace(
                plan,
                throughput_rps=throughput_rps,
                stages=tuple(replace(s, throughput_rps=None) for s in plan.stages),
            )
        return plan

    def executions(self) -> list[StagedPlan]:
        """Each stage of a ``sequential`` or ``concurrent`` plan as a plan of its own.

        Its users ramp from 0; its iterations and think time are the stage's (or the plan's).
        """
        return [
            StagedPlan(
                stages=(replace(stage, iterations=None, think_s=None),),
                think_s=self.think_s if stage.think_s is None else stage.think_s,
                iterations=self.iterations if stage.iterations is None else stage.iterations,
                throughput_rps=self.throughput_rps,
            )
            for stage in self.stages
        ]

    def throughput_at(self, t_s: float) -> float | None:
        """The request-rate cap at ``t_s`` of a ``stages`` plan (None: no cap)."""
        if self.throughput_rps is not None:
            return self.throughput_rps
        index = self.stage_at(t_s)
        return self.stages[index].throughput_at(t_s - self.stage_starts_s()[index])

    def next_slot_s(self, slot_s: float) -> float:
        """When the request after one sent at ``slot_s`` may go, under the rate cap.

        One request per 1/rate seconds, the rate taken as the mean of its values at both ends
        of the gap (a ramped rate is not undercounted at its low start).
        """
        rate = self.throughput_at(slot_s)
        if rate is None:
            return slot_s
        guess = slot_s + 1.0 / rate
        later = self.throughput_at(guess) or rate
        return slot_s + 2.0 / (rate + later)

    def stage_at(self, t_s: float) -> int:
        """Index of the stage running at ``t_s`` (the last one at or after the end)."""
        for index, start in reversed(list(enumerate(self.stage_starts_s()))):
            if t_s >= start:
                return index
        return 0

    def changes(self) -> list[tuple[float, int]]:
        """Every change of the user count as ``(time_s, users from then on)``, in order.

        The last entry is ``(duration_s, 0)``: the plan's end.
        """
        if self.layout != "stages":
            # Executions of their own: their user counts add up, each from its start.
            deltas: dict[float, int] = {}
            for start, part in zip(self.stage_starts_s(), self.executions(), strict=True):
                before = 0
                for t_s, users in part.changes():
                    deltas[start + t_s] = deltas.get(start + t_s, 0) + users - before
                    before = users
            combined: list[tuple[float, int]] = []
            running = 0
            for t_s in sorted(deltas):
                running += deltas[t_s]
                if not combined or combined[-1][1] != running:
                    combined.append((t_s, running))
            return combined
        out: list[tuple[float, int]] = []
        previous = 0
        for start, stage in zip(self.stage_starts_s(), self.stages, strict=True):
            delta = stage.users - previous
            sign = 1 if delta > 0 else -1
            if delta == 0:
                pass
            elif stage.ramp_up_s == 0:
                out.append((start, stage.users))
            elif stage.steps is not None:
                for step in range(stage.steps):
                    users = previous + sign * (abs(delta) * (step + 1) // stage.steps)
                    out.append((start + step * stage.ramp_up_s / stage.steps, users))
            else:
                for added in range(abs(delta)):
                    out.append(
                        (
                            start + added * stage.ramp_up_s / abs(delta),
                            previous + sign * (added + 1),
                        )
                    )
            previous = stage.users
        out.append((self.duration_s, 0))
        # Collapse entries at the same instant and steps that do not change the count.
        merged: list[tuple[float, int]] = []
        for t_s, users in out:
            if merged and merged[-1][0] == t_s:
                merged[-1] = (t_s, users)
            elif not merged or merged[-1][1] != users:
                merged.append((t_s, users))
        return merged

    def users_at(self, t_s: float) -> int:
        """Number of users the plan wants running at ``t_s`` (0 before 0 and from the end on)."""
        users = 0
        for change_s, count in self.changes():
            if change_s > t_s:
                break
            users = count
        return users

    def user_windows(self) -> list[list[tuple[float, float]]]:
        """For each user index, the ``[start_s, stop_s)`` windows in which it runs.

        User ``i`` runs while ``users_at(t) > i``; it finishes its in-flight request after
        ``stop_s``.
        """
        windows: list[list[tuple[float, float]]] = [[] for _ in range(self.max_users)]
        started: dict[int, float] = {}
        current = 0
        for t_s, users in self.changes():
            for index in range(current, users):
                started[index] = t_s
            for index in range(users, current):
                windows[index].append((started.pop(index), t_s))
            current = users
        return windows

    def scaled(self, time_scale: float) -> StagedPlan:
        """This plan with every duration divided by ``time_scale`` (rates unchanged)."""
        return replace(
            self,
            stages=tuple(
                replace(
                    s,
                    ramp_up_s=s.ramp_up_s / time_scale,
                    hold_s=s.hold_s / time_scale,
                    think_s=None if s.think_s is None else s.think_s / time_scale,
                )
                for s in self.stages
            ),
            think_s=self.think_s / time_scale,
        )
