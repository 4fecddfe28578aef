"""The study's schedule: when each stack's load starts and where its cold starts fall.

Pure arithmetic on the load generator's plans, apart from the processes that run them
(:mod:`study._run`), so that the schedule is tested by calling it, never by running a study.

Scenario 1 is staggered so that its cold starts are quiet: the first probe comes
``STARTUP_LEAD_S`` after the load generators start (their own start-up takes the CPUs first),
the study's stacks start ``STUDY_STAGGER_S`` (real seconds) apart, each framework stack
``FRAMEWORK_STAGGER_S`` after the previous stack, so that no two stacks' cold starts — an
evaluator's in a fraction of a second, TensorFlow's multi-second import at a 2-vCPU burst
that fills a 2-core host — share the machine's CPUs: what a cold start measures is the stack,
not how many started at once (:meth:`Schedule.cold_start_clashes` checks it).
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from contract import DEFAULT_KEEP_ALIVE_S
from loadgen import IdlePlan, StagedPlan, parse_duration_s, parse_stages

#: Real seconds between the scenario 1 starts of a framework stack and the stack before it:
#: more than a TensorFlow cold start takes on 2 cores (2.7-4.7 s measured under the emulator's
#: burst init, make run of 2026-12-01), so that no two inits overlap; short enough that the
#: last stack's cold probes still end before the first stack's next ones (the plan's cold
#: probes are 90 s apart at time scale 20; with the seven framework stacks the last one's
#: first cold window ends at 90 s, the first stack's second cold probe comes at 98 s).
FRAMEWORK_STAGGER_S = 10.0
#: Real seconds between the scenario 1 starts of two of the study's stacks: an evaluator's cold
#: start takes well under a second here (Init Duration ~0.1-0.3 s plus the 90 ms network path).
STUDY_STAGGER_S = 2.0
#: Real seconds before the first probe when several stacks run scenario 1: their load
#: generators start together, and their start-up (Python and its imports, ~0.7 s each) keeps
#: the host's CPUs busy for the first two seconds (make run of 2026-12-01: 100%, then 72%).
STARTUP_LEAD_S = 5.0
#: How long a cold start of a study stack (the evaluator) and of a framework stack may take
#: here, real seconds: the windows the schedule keeps apart (make run of 2026-12-01: evaluator
#: cold latency ≤ 0.52 s, TensorFlow's ≤ 4.7 s).
STUDY_COLD_START_S = 1.0
FRAMEWORK_COLD_START_S = 5.0


@dataclass(frozen=True, kw_only=True)
class Schedule:
    """The study's scenarios in time. Stacks are named as the study names them; times are
    real seconds (plan seconds divided by ``time_scale``) unless a name says plan time."""

    #: the study's stacks, started ``study_stagger_s`` apart
    study_stacks: tuple[str, ...]
    #: the framework stacks not among ``study_stacks``, each ``framework_stagger_s`` after the
    #: stack before it
    framework_stacks: tuple[str, ...] = ()
    #: plan seconds per real second
    time_scale: float = 1.0
    #: scenario 1's ``--offsets`` as given (None: the plan's own)
    offsets: str | None = None
    #: scenario 2's ``--stages`` as given (None: the plan's own)
    scenario2_stages: str | None = None
    study_stagger_s: float = STUDY_STAGGER_S
    framework_stagger_s: float = FRAMEWORK_STAGGER_S

    @property
    def stacks(self) -> tuple[str, ...]:
        """Every stack in scenario 1, in the order they start."""
        return (*self.study_stacks, *self.framework_stacks)

    def base_offsets_s(self) -> list[float]:
        """Scenario 1's probes, plan seconds from its start, before any stack's shift.

        Raises ValueError, saying why, on offsets that are not durations."""
        if self.offsets:
            return [parse_duration_s(part) for part in self.offsets.split(",") if part.strip()]
        return list(IdlePlan().offsets_s)

    def scenario1_length_s(self) -> float:
        """How long scenario 1 lasts (its plan's last offset; bisection comes after)."""
        plan = IdlePlan()
        try:
            offsets = tuple(self.base_offsets_s())
        except ValueError:
            offsets = ()  # the load generator says what is wrong with them
        if offsets:
            plan = IdlePlan(offsets_s=offsets)
        return plan.duration_s / self.time_scale

    def scenario2_length_s(self) -> float:
        """How long scenario 2 lasts on one stack (its plan's stages)."""
        plan = StagedPlan()
        if self.scenario2_stages:
            try:
                plan = StagedPlan(stages=parse_stages(self.scenario2_stages))
            except (ValueError, argparse.ArgumentTypeError):
                pass  # the load generator says what is wrong with them
        return plan.duration_s / self.time_scale

    def scenario1_shifts_s(self) -> dict[str, float]:
        """Each stack's first probe after the load generators start: after ``STARTUP_LEAD_S``
        (when several stacks start together), the study's stacks ``study_stagger_s`` apart,
        then each framework stack ``framework_stagger_s`` after the stack before it."""
        shifts: dict[str, float] = {}
        lead_s = STARTUP_LEAD_S if len(self.stacks) > 1 else 0.0
        at_s = lead_s
        for index, stack in enumerate(self.study_stacks):
            at_s = lead_s + index * self.study_stagger_s
            shifts[stack] = at_s
        for stack in self.framework_stacks:
            at_s += self.framework_stagger_s
            shifts[stack] = at_s
        return shifts

    def scenario1_offsets(self) -> dict[str, str | None]:
        """Each stack's ``--offsets`` (None: the plan's own): the plan shifted by the stack's
        start (:meth:`scenario1_shifts_s`, real seconds, so × the time scale in plan time)."""
        base = self.base_offsets_s()
        offsets: dict[str, str | None] = {}
        for stack, shift_s in self.scenario1_shifts_s().items():
            if shift_s == 0:
                offsets[stack] = self.offsets
            else:
                plan_shift_s = shift_s * self.time_scale
                offsets[stack] = ",".join(f"{o + plan_shift_s:g}" for o in base)
        return offsets

    def cold_start_times_s(
        self, keep_alive_s: float = DEFAULT_KEEP_ALIVE_S
    ) -> dict[str, list[float]]:
        """When (from scenario 1's start) each stack's probes may meet a new instance: its
        first, and every one after an idle gap (plan seconds) longer than ``keep_alive_s``."""
        base = self.base_offsets_s()
        # the gap runs from the previous request's start: its idle time is a little shorter
        cold = [o for i, o in enumerate(base) if i == 0 or o - base[i - 1] > keep_alive_s]
        return {
            stack: [o / self.time_scale + shift_s for o in cold]
            for stack, shift_s in self.scenario1_shifts_s().items()
        }

    def cold_start_clashes(self, keep_alive_s: float = DEFAULT_KEEP_ALIVE_S) -> list[str]:
        """Pairs of stacks whose scenario 1 cold starts may run together, in words (none: the
        schedule keeps them apart). A study stack's cold start is given
        ``STUDY_COLD_START_S``, a framework stack's ``FRAMEWORK_COLD_START_S``."""
        times = self.cold_start_times_s(keep_alive_s)
        framework = set(self.framework_stacks)
        width = {
            stack: (FRAMEWORK_COLD_START_S if stack in framework else STUDY_COLD_START_S)
            for stack in times
        }
        spans = sorted((t, t + width[stack], stack) for stack, ts in times.items() for t in ts)
        clashes = []
        for i, (begin, end, stack) in enumerate(spans):
            for other_begin, _other_end, other in spans[i + 1 :]:
                if other_begin >= end:
                    break
                if other != stack:
                    clashes.append(f"{stack} at {begin:.0f} s and {other} at {other_begin:.0f} s")
        return clashes
