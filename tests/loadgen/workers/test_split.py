"""Splitting a plan across workers: users over time add up to the single-machine plan."""

from __future__ import annotations

import itertools
import math

import pytest

from loadgen import RatePlan, RateStep, Stage, StagedPlan
from loadgen._errors import PlanError
from loadgen.workers._split import (
    RateShare,
    StagedSlice,
    WorkerSlice,
    plan_from_json,
    plan_to_json,
    split_plan,
)

PLANS = [
    StagedPlan(),  # the study's: 9 users ramp 3m hold 1m, then 18 users at once for 1m
    StagedPlan(
        stages=(
            Stage(users=7, ramp_up_s=10.0, hold_s=3.0),
            Stage(users=3, ramp_up_s=4.0, hold_s=2.0),
            Stage(users=10, ramp_up_s=5.0, hold_s=1.0, steps=3),
        )
    ),
    StagedPlan(stages=(Stage(users=13, ramp_up_s=7.5, hold_s=2.5),)),
]


def instants(plan: StagedPlan) -> list[float]:
    """Every whole second of the plan and every instant its user count changes."""
    seconds = [float(s) for s in range(math.ceil(plan.duration_s) + 2)]
    changes = [t for t, _ in plan.changes()]
    return sorted(set(seconds + changes + [t - 1e-9 for t in changes]))


def staged(piece: WorkerSlice) -> StagedSlice:
    """The slice of a staged plan (split_plan gives a staged plan's pieces such slices)."""
    assert isinstance(piece.plan, StagedSlice)
    return piece.plan


def share(piece: WorkerSlice) -> RateShare:
    """The share of a rate plan (split_plan gives a rate plan's pieces such shares)."""
    assert isinstance(piece.plan, RateShare)
    return piece.plan


@pytest.mark.parametrize("plan", PLANS)
@pytest.mark.parametrize("workers", [1, 2, 3, 4])
def test_staged_split_users_add_up_at_every_second_and_change(
    plan: StagedPlan, workers: int
) -> None:
    slices = split_plan(plan, workers)
    assert len(slices) == workers
    for t_s in instants(plan):
        assert sum(staged(s).users_at(t_s) for s in slices) == plan.users_at(t_s), t_s
    # Whole seconds, as the timeline counts: the most users within each second.
    for second in range(math.ceil(plan.duration_s)):
        inside = [t for t in instants(plan) if second <= t < second + 1]
        assert max(sum(staged(s).users_at(t) for s in slices) for t in inside) == max(
            plan.users_at(t) for t in inside
        )
    # Contiguous user ranges covering the plan's users once; every slice lasts the plan.
    ranges = [s.users for s in slices]
    assert ranges[0][0] == 0 and ranges[-1][1] == plan.max_users - 1
    assert all(b[0] == a[1] + 1 for a, b in itertools.pairwise(ranges))
    assert all(s.plan.duration_s == plan.duration_s for s in slices)


def test_staged_slice_users_run_the_windows_they_have_in_the_plan() -> None:
    plan = PLANS[1]
    whole = plan.user_windows()
    for piece in split_plan(plan, 3):
        first, last = piece.users
        assert staged(piece).user_windows() == whole[first : last + 1]


def test_rate_split_arrivals_are_the_plan_s_exactly() -> None:
    plan = RatePlan(
        steps=(
            RateStep(rate_rps=7.0, duration_s=3.0),
            RateStep(rate_rps=0.0, duration_s=1.0),
            RateStep(rate_rps=3.5, duration_s=2.0),
        ),
        max_in_flight=10,
    )
    slices = split_plan(plan, 4)
    merged = sorted(a for s in slices for a in share(s).arrival_times())
    assert merged == sorted(plan.arrival_times())
    counts = [len(list(share(s).arrival_times())) for s in slices]
    assert max(counts) - min(counts) <= 1
    assert [share(s).max_in_flight for s in slices] == [3, 3, 3, 3]


@pytest.mark.parametrize("plan", [PLANS[1], RatePlan(steps=(RateStep(rate_rps=5, duration_s=2),))])
def test_slices_travel_as_json(plan: StagedPlan | RatePlan) -> None:
    import json

    for piece in split_plan(plan, 2):
        again = plan_from_json(json.loads(json.dumps(plan_to_json(piece.plan))))
        assert again == piece.plan


def test_splits_that_cannot_be_exact_are_refused_in_one_sentence() -> None:
    with pytest.raises(PlanError, match="at most one worker per user"):
        split_plan(StagedPlan(stages=(Stage(users=2, hold_s=1),)), 3)
    with pytest.raises(PlanError, match="throughput cap"):
        split_plan(StagedPlan(throughput_rps=5.0), 2)
    with pytest.raises(PlanError, match="Taurus executions"):
        split_plan(StagedPlan(layout="concurrent"), 2)
    with pytest.raises(PlanError, match="not a plan"):
        plan_from_json({"kind": "staged", "stages": [{"users": 1}], "bogus": 1})
    assert isinstance(split_plan(PLANS[0], 2)[0].plan, StagedSlice)
