"""The study's schedule (study/_schedule.py): pure arithmetic on the plans, tested by calling it."""

from __future__ import annotations

import pytest

from study._schedule import STARTUP_LEAD_S, Schedule
from study._settings import FRAMEWORK_STACKS, QUICK_TIME_SCALE, STUDY_STACKS


def test_make_runs_schedule_keeps_every_cold_start_apart() -> None:
    # make run: the six study stacks and the seven framework stacks in scenario 1 at time scale 20.
    # Each stack's possibly cold probes (its first, and those after an idle gap longer than the
    # keep-alive) get a window of its stagger; no two stacks' windows may meet, or a cold start
    # would share the host's CPUs with another stack's init (TensorFlow's fills both cores).
    make_run = Schedule(
        study_stacks=STUDY_STACKS, framework_stacks=FRAMEWORK_STACKS, time_scale=QUICK_TIME_SCALE
    )
    assert make_run.cold_start_clashes() == []
    times = make_run.cold_start_times_s()
    assert times["python-256"] == [5.0, 98.0, 188.0] and times["java-256"] == [11.0, 104.0, 194.0]
    # the last framework stack's first cold probe, and its window (5 s), end before the first
    # stack's second cold probe (98 s)
    assert times["python-tf-1024"] == [85.0, 178.0, 268.0]
    # make run stays within its 10 minutes: scenario 1 with its staggers, scenario 2 stack by stack
    length_s = (
        make_run.scenario1_length_s()
        + max(make_run.scenario1_shifts_s().values())
        + len(STUDY_STACKS) * make_run.scenario2_length_s()
    )
    assert length_s <= 6 * 60
    # Started together, as before, the study's stacks' cold starts all meet.
    together = Schedule(
        study_stacks=STUDY_STACKS,
        framework_stacks=FRAMEWORK_STACKS,
        time_scale=QUICK_TIME_SCALE,
        study_stagger_s=0.0,
        framework_stagger_s=15.0,
    )
    assert any(clash.startswith("python-256 at 5 s and") for clash in together.cold_start_clashes())


def test_given_offsets_are_shifted_alike() -> None:
    schedule = Schedule(
        study_stacks=("python-512",),
        framework_stacks=("python-tf-512",),
        time_scale=60.0,
        offsets="0,1m",
        framework_stagger_s=20.0,
    )
    # 5 s and 25 s real are 300 s and 1,500 s of plan time at time scale 60
    assert schedule.scenario1_shifts_s() == {"python-512": STARTUP_LEAD_S, "python-tf-512": 25.0}
    assert schedule.scenario1_offsets() == {"python-512": "300,360", "python-tf-512": "1500,1560"}
    # one stack alone has no other generator to wait for: its plan is its own
    alone = Schedule(study_stacks=("python-512",), time_scale=60.0, offsets="0,1m")
    assert alone.scenario1_shifts_s() == {"python-512": 0.0}
    assert alone.scenario1_offsets() == {"python-512": "0,1m"}


def test_a_framework_stack_is_given_a_wider_cold_start_window() -> None:
    # 2 s apart: clear of a study stack's 1 s window, inside a framework stack's 5 s one
    apart = Schedule(study_stacks=("python-256", "python-512"), offsets="0")
    assert apart.cold_start_clashes() == []
    after_framework = Schedule(
        study_stacks=("python-256",),
        framework_stacks=("python-tf-256",),
        offsets="0",
        framework_stagger_s=2.0,
    )
    assert after_framework.cold_start_clashes() == []
    framework_first = Schedule(
        study_stacks=(),
        framework_stacks=("python-tf-256", "python-tf-512"),
        offsets="0",
        framework_stagger_s=2.0,
    )
    assert framework_first.cold_start_clashes() == ["python-tf-256 at 7 s and python-tf-512 at 9 s"]


def test_only_probes_after_the_keep_alive_may_be_cold() -> None:
    schedule = Schedule(study_stacks=("python-512",), offsets="0,5m,20m,21m,40m")
    # gaps of 5, 15, 1 and 19 minutes: the first probe and those after 15 and 19 minutes
    assert schedule.cold_start_times_s() == {"python-512": [0.0, 1200.0, 2400.0]}
    assert schedule.cold_start_times_s(keep_alive_s=1800.0) == {"python-512": [0.0]}


def test_the_scenarios_lengths_come_from_their_plans() -> None:
    study = Schedule(study_stacks=STUDY_STACKS, time_scale=20.0)
    # The study's plans: scenario 1 ends at 61 minutes, scenario 2 lasts five.
    assert study.scenario1_length_s() == 61 * 60 / 20.0
    assert study.scenario2_length_s() == 5 * 60 / 20.0
    short = Schedule(
        study_stacks=STUDY_STACKS,
        time_scale=2.0,
        offsets="0,90s",
        scenario2_stages="2:0:30s,4:10s:20s",
    )
    assert short.scenario1_length_s() == 45.0
    assert short.scenario2_length_s() == 30.0


def test_offsets_that_are_not_durations_are_refused_saying_which() -> None:
    schedule = Schedule(
        study_stacks=STUDY_STACKS, time_scale=20.0, offsets="0,soon", scenario2_stages="many"
    )
    with pytest.raises(ValueError, match="not a duration: 'soon'"):
        schedule.scenario1_offsets()
    # the lengths, only an estimate for progress lines, fall back to the plans' own
    assert schedule.scenario1_length_s() == 61 * 60 / 20.0
    assert schedule.scenario2_length_s() == 5 * 60 / 20.0
