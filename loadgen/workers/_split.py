"""Splitting a plan across load-generator workers (pure: no clock, no I/O).

A scenario-2 plan is split by user index: worker ``w`` of ``n`` runs a contiguous range of
the plan's users, each with the very windows it has in the single-machine plan (Taurus
ramps: user ``k`` of a ramp of ``d`` starts at ``k * ramp / d``; ramps down stop the highest
indices first). Summed over the workers, the users at every instant are the plan's.

A ``rate`` plan is split by arrival: worker ``w`` of ``n`` sends arrivals ``w, w + n, ...``
of the plan's schedule, so that the workers' arrivals together are exactly the plan's.

A slice travels to its worker as JSON (:func:`plan_to_json`, :func:`plan_from_json`).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from .._errors import PlanError
from ..plans._rate_plan import RatePlan, RateStep
from ..plans._staged_plan import Stage, StagedPlan

__all__ = [
    "RateShare",
    "StagedSlice",
    "WorkerSlice",
    "plan_from_json",
    "plan_to_json",
    "split_plan",
]


@dataclass(frozen=True, kw_only=True)
class StagedSlice(StagedPlan):
    """Users ``first_user..last_user`` (inclusive, plan-wide indices) of a staged plan."""

    first_user: int = 0
    last_user: int = 0

    def validate(self) -> list[str]:
        problems = super().validate()
        if self.layout != "stages":
            problems.append("only a plan of stages (not Taurus executions) can be split")
        if not 0 <= self.first_user <= self.last_user:
            problems.append(
                f"a slice needs 0 <= first_user <= last_user, got "
                f"{self.first_user}..{self.last_user}"
            )
        return problems

    @property
    def max_users(self) -> int:
        return self.last_user - self.first_user + 1

    def changes(self) -> list[tuple[float, int]]:
        # Users are added in index order and removed from the highest index down, so the
        # slice runs the plan's count minus the users below it, within its own size.
        size = self.last_user - self.first_user + 1
        out: list[tuple[float, int]] = []
        for t_s, users in StagedPlan.changes(self):
            mine = min(max(users - self.first_user, 0), size)
            if out and out[-1][0] == t_s:
                out[-1] = (t_s, mine)
            elif not out or out[-1][1] != mine:
                out.append((t_s, mine))
        return out


@dataclass(frozen=True, kw_only=True)
class RateShare(RatePlan):
    """Arrivals ``worker, worker + workers, ...`` of a rate plan's schedule."""

    worker: int = 0
    workers: int = 1

    def validate(self) -> list[str]:
        problems = super().validate()
        if not 0 <= self.worker < self.workers:
            problems.append(
                f"a share needs 0 <= worker < workers, got {self.worker} of {self.workers}"
            )
        return problems

    def arrival_times(self) -> Iterator[tuple[float, int]]:
        for index, arrival in enumerate(RatePlan.arrival_times(self)):
            if index % self.workers == self.worker:
                yield arrival


@dataclass(frozen=True, kw_only=True)
class WorkerSlice:
    """What one worker runs, and which users (or arrivals) of the plan those are."""

    worker: int
    plan: StagedSlice | RateShare
    #: Plan-wide user indices ``[first, last]``; for a rate share, ``[worker, workers]``.
    users: tuple[int, int]


def split_plan(plan: StagedPlan | RatePlan, workers: int) -> list[WorkerSlice]:
    """``plan`` cut into ``workers`` slices whose users (or arrivals) add up to the plan's.

    Raises PlanError, in one sentence, for a split that cannot be exact.
    """
    if workers < 1:
        raise PlanError(f"--workers must be at least 1, got {workers}")
    if isinstance(plan, StagedPlan):
        if plan.layout != "stages":
            raise PlanError(
                "a plan of several Taurus executions cannot be split across workers "
                "yet: give one execution, or --stages"
            )
        if plan.throughput_rps is not None or any(s.throughput_rps for s in plan.stages):
            # The cap is on the total rate, which no worker sees: each would have to guess.
            raise PlanError(
                "a throughput cap cannot be split across workers (each worker would "
                "cap only its own requests): drop --throughput or use one machine"
            )
        total = plan.max_users
        if workers > total:
            raise PlanError(
                f"{workers} workers for a plan of {total} users: give at most one worker per user"
            )
        bounds = [w * total // workers for w in range(workers + 1)]
        return [
            WorkerSlice(
                worker=w,
                users=(bounds[w], bounds[w + 1] - 1),
                plan=StagedSlice(
                    **_fields(plan), first_user=bounds[w], last_user=bounds[w + 1] - 1
                ),
            )
            for w in range(workers)
        ]
    arrivals = sum(
        math.ceil(s.duration_s * s.rate_rps - 1e-9) for s in plan.steps if s.rate_rps > 0
    )
    if workers > arrivals:
        raise PlanError(
            f"{workers} workers for a plan of {arrivals} arrivals: give at most one "
            "worker per arrival"
        )
    # The in-flight cap protects the generator: each worker gets its share, at least one.
    in_flight = max(1, math.ceil(plan.max_in_flight / workers))
    return [
        WorkerSlice(
            worker=w,
            users=(w, workers),
            plan=RateShare(steps=plan.steps, max_in_flight=in_flight, worker=w, workers=workers),
        )
        for w in range(workers)
    ]


def _fields(plan: StagedPlan) -> dict[str, Any]:
    return {f.name: getattr(plan, f.name) for f in dataclasses.fields(StagedPlan)}


def plan_to_json(plan: StagedSlice | RateShare) -> dict[str, Any]:
    """A worker's slice as JSON (the event's ``slice``; docs/results.md, Workers)."""
    kind = "staged" if isinstance(plan, StagedSlice) else "rate"
    return {"kind": kind, **dataclasses.asdict(plan)}


def plan_from_json(data: object) -> StagedSlice | RateShare:
    """The slice :func:`plan_to_json` wrote; PlanError says what is wrong with it."""
    if not isinstance(data, dict):
        raise PlanError("the worker's slice must be a JSON object")
    body = {k: v for k, v in data.items() if k != "kind"}
    try:
        if data.get("kind") == "staged":
            stages = tuple(Stage(**stage) for stage in body.pop("stages"))
            slice_plan: StagedSlice | RateShare = StagedSlice(stages=stages, **body)
        elif data.get("kind") == "rate":
            steps = tuple(RateStep(**step) for step in body.pop("steps"))
            slice_plan = RateShare(steps=steps, **body)
        else:
            raise PlanError(
                f"the slice's kind must be 'staged' or 'rate', got {data.get('kind')!r}"
            )
    except (KeyError, TypeError) as exc:
        raise PlanError(f"the worker's slice is not a plan: {exc}") from exc
    problems = slice_plan.validate()
    if problems:
        raise PlanError("the worker's slice is not a valid plan", problems=problems)
    return slice_plan
