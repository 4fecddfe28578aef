"""The public surface: a few names, sorted, each importable; the error tree."""

from __future__ import annotations

from types import ModuleType

import loadgen


def test_all_is_sorted_and_complete() -> None:
    assert loadgen.__all__ == sorted(loadgen.__all__)
    for name in loadgen.__all__:
        assert hasattr(loadgen, name), name
    public = {name for name in dir(loadgen) if not name.startswith("_")}
    # The subpackages (plans, engine, ...) are folders of private modules, not API.
    subpackages = {
        name
        for name in public
        if isinstance(getattr(loadgen, name), ModuleType)
        and getattr(loadgen, name).__name__ == f"loadgen.{name}"
    }
    assert public - set(loadgen.__all__) - subpackages <= {"annotations"}
    for name in subpackages:
        inside = {n for n in dir(getattr(loadgen, name)) if not n.startswith("_")}
        assert inside <= {"annotations"}, f"loadgen.{name} exposes {sorted(inside)}"


def test_error_tree() -> None:
    for name in ("PlanError", "TargetError", "PayloadError", "ResultsError", "TaurusError"):
        assert issubclass(getattr(loadgen, name), loadgen.LoadgenError)
    assert issubclass(loadgen.TaurusError, loadgen.PlanError)


def test_the_retired_name_plan_is_gone() -> None:
    # the staged plan is StagedPlan, beside IdlePlan and RatePlan; the old alias was removed
    assert not hasattr(loadgen, "Plan")
