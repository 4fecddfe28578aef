"""Plan timing is a pure function of time: tested by calling it, never by sleeping. The staged
plan (scenario 2), the durations every plan reads, and the time scale every plan takes.
"""

from __future__ import annotations

import pytest

from loadgen import IdlePlan, PlanError, RatePlan, RateStep, Stage, StagedPlan, parse_duration_s


def test_default_plan_is_the_studys_two_stages() -> None:
    plan = StagedPlan()
    assert plan.stages == (
        Stage(users=9, ramp_up_s=180, hold_s=60),
        Stage(users=18, ramp_up_s=0, hold_s=60),
    )
    assert plan.duration_s == 300
    # User i of 9 starts at i * 180 / 9 = 20 i seconds.
    times = (0, 19.999, 20, 40, 159.9, 160, 179.9)
    assert [plan.users_at(t) for t in times] == [1, 1, 2, 3, 8, 9, 9]
    assert plan.users_at(-0.001) == 0
    assert plan.users_at(239.999) == 9  # the hold of stage 1
    assert plan.users_at(240) == 18  # stage 2: ramp 0, all nine extra users at once
    assert plan.users_at(299.999) == 18
    assert plan.users_at(300) == 0  # the end
    assert [plan.stage_at(t) for t in (0, 239.9, 240, 299)] == [0, 0, 1, 1]


def test_user_windows_follow_the_ramp() -> None:
    plan = StagedPlan()
    windows = plan.user_windows()
    assert len(windows) == 18
    assert [w[0][0] for w in windows[:9]] == [20.0 * i for i in range(9)]
    assert all(w == [(240.0, 300.0)] for w in windows[9:])
    assert all(w[0][1] == 300.0 for w in windows)


def test_ramp_from_previous_stage_and_down() -> None:
    plan = StagedPlan(
        stages=(
            Stage(users=2, hold_s=10),
            Stage(users=6, ramp_up_s=8, hold_s=2),
            Stage(users=1, ramp_up_s=5, hold_s=5),
        )
    )
    # Four users added over 8 s: at 10, 12, 14, 16.
    assert [plan.users_at(t) for t in (9.9, 10, 11.9, 12, 14, 16, 19.9)] == [2, 3, 3, 4, 5, 6, 6]
    # Five removed over 5 s: one at 20, 21, 22, 23, 24.
    assert [plan.users_at(t) for t in (20, 21, 24, 29.9, 30)] == [5, 4, 1, 1, 0]
    windows = plan.user_windows()
    assert windows[5] == [(16.0, 20.0)]  # the last added is the first to stop
    assert windows[0] == [(0.0, 30.0)]


def test_steps_change_users_in_equal_steps() -> None:
    plan = StagedPlan(stages=(Stage(users=10, ramp_up_s=100, hold_s=10, steps=5),))
    assert [plan.users_at(t) for t in (0, 19.9, 20, 40, 80, 99, 100)] == [2, 2, 4, 6, 10, 10, 10]


def test_validate_returns_every_problem_at_once() -> None:
    plan = StagedPlan(
        stages=(Stage(users=0, ramp_up_s=-1, hold_s=float("nan")), Stage(users=True, steps=0)),
        think_s=-2,
        iterations=0,
        throughput_rps=0,
    )
    problems = plan.validate()
    joined = "\n".join(problems)
    for fragment in (
        "stages[0].users",
        "stages[0].ramp_up_s",
        "stages[0].hold_s",
        "stages[1].users",
        "stages[1].steps",
        "think_s",
        "iterations",
        "throughput_rps",
    ):
        assert fragment in joined
    with pytest.raises(PlanError) as info:
        plan.check()
    assert info.value.problems == problems
    assert StagedPlan(stages=(Stage(users=3),)).validate() == [
        "the plan lasts 0 s: give a stage a ramp-up or a hold time"
    ]
    assert StagedPlan().validate() == []


def test_time_scale_divides_every_duration() -> None:
    plan = StagedPlan(think_s=2).scaled(10)
    assert plan.duration_s == 30
    assert plan.think_s == 0.2
    assert plan.users_at(2) == 2
    idle = IdlePlan(bisect_precision_s=60).scaled(60)
    assert idle.offsets_s == (0, 6, 16, 31, 61)
    assert idle.bisect_precision_s == 1
    rate = RatePlan(steps=(RateStep(rate_rps=5, duration_s=10),)).scaled(2)
    assert rate.duration_s == 5
    assert rate.steps[0].rate_rps == 5


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("90", 90),
        ("90s", 90),
        ("1m30s", 90),
        ("500ms", 0.5),
        ("1.5h", 5400),
        (" 3m ", 180),
        (7, 7),
    ],
)
def test_parse_duration(text: str | int, seconds: float) -> None:
    assert parse_duration_s(text) == seconds


@pytest.mark.parametrize("bad", ["", "abc", "3x", "1m-2s", -1, True])
def test_parse_duration_rejects_with_the_accepted_forms(bad: object) -> None:
    with pytest.raises(ValueError):
        parse_duration_s(bad)  # type: ignore[arg-type]
