"""The rate plan: arrivals on an absolute schedule, the rate at a time, its checks."""

from __future__ import annotations

from loadgen import RatePlan, RateStep


def test_rate_plan_arrivals_on_an_absolute_schedule() -> None:
    plan = RatePlan(
        steps=(RateStep(rate_rps=4, duration_s=1), RateStep(rate_rps=2, duration_s=1.5))
    )
    arrivals = list(plan.arrival_times())
    assert arrivals == [(0, 0), (0.25, 0), (0.5, 0), (0.75, 0), (1.0, 1), (1.5, 1), (2.0, 1)]
    assert [plan.rate_at(t) for t in (-1, 0, 0.99, 1, 2.49, 2.5)] == [0, 4, 4, 2, 2, 0]
    problems = RatePlan(steps=(RateStep(rate_rps=-1, duration_s=0),), max_in_flight=0).validate()
    assert len(problems) == 2
