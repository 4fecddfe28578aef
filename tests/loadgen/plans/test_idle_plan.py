"""The idle plan (scenario 1): its gaps, its bisection's probes, its checks."""

from __future__ import annotations

from loadgen import IdlePlan


def test_idle_plan_gaps_and_validation() -> None:
    plan = IdlePlan()
    assert plan.gaps_s() == [360, 600, 900, 1800]
    assert plan.bisect_probes_max(900, 1800) == 0
    assert IdlePlan(bisect_precision_s=60).bisect_probes_max(900, 1800) == 4  # 900/2^4 < 60
    problems = IdlePlan(offsets_s=(0, 5, 5, 3), bisect_precision_s=0).validate()
    assert len(problems) == 3
    assert IdlePlan(offsets_s=(0,)).validate()
