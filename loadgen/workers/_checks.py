"""The checks before a workers run: the plan fits an invocation, the options, the request file."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from .._errors import PlanError
from ..engine._settings import run_id_problem
from ..plans._rate_plan import RatePlan
from ..plans._staged_plan import StagedPlan
from ._handler import MAX_LEAD_S, MAX_WORKER_S
from ._stack import WorkerStack

__all__ = ["REQUEST_TEXT_MAX_BYTES", "check_fits", "check_run", "request_event"]


def check_fits(plan: StagedPlan | RatePlan, *, time_scale: float, lead_s: float) -> None:
    """PlanError, in one line, for a plan a Lambda invocation cannot hold (no chaining)."""
    length_s = plan.duration_s / time_scale
    if length_s + lead_s > MAX_WORKER_S:
        raise PlanError(
            f"the plan lasts {length_s:.0f} s: a worker runs at most "
            f"{MAX_WORKER_S - lead_s:.0f} s (Lambda stops it at 15 minutes); plans "
            "are not chained: split it into shorter runs, or use one machine"
        )


def check_run(*, stack: WorkerStack, workers: int, run_id: str, lead_s: float) -> None:
    """PlanError, in one line, for options a workers run cannot take (before anything is sent)."""
    if stack.workers_max is not None and workers > stack.workers_max:
        raise PlanError(
            f"--workers {workers} is more than the worker stack {stack.name!r} "
            f"allows (workers_max {stack.workers_max}): use at most "
            f"{stack.workers_max}, or raise workers_max in Pulumi.{stack.name}.yaml "
            "and deploy it"
        )
    problem = run_id_problem(run_id)
    if problem is not None:
        raise PlanError(f"--run-id: {problem}")
    if not (math.isfinite(lead_s) and 0 <= lead_s <= MAX_LEAD_S):
        raise PlanError(
            f"--workers-lead {lead_s:g}s is more than the {MAX_LEAD_S:.0f} s a worker "
            "waits for its start: give at most "
            f"{MAX_LEAD_S:.0f}s (the default, 5s, covers their cold starts)"
        )


#: What a worker's event may hold of a request file: Lambda's synchronous payload (6 MB) less
#: room for the rest of the event.
REQUEST_TEXT_MAX_BYTES = 6 * 1024 * 1024 - 64 * 1024


def request_event(path: Path, *, expect_field: str | None) -> dict[str, Any]:
    """The ``requests`` of a worker's event: the request file's text, checked here first (the
    worker reads it as this machine does), and the field a correct answer holds."""
    from ..transport._requests import function_request_set

    function_request_set(path, expect_field=expect_field)  # one line per problem, if any
    text = path.read_text(encoding="utf-8")
    size = len(text.encode("utf-8"))
    if size > REQUEST_TEXT_MAX_BYTES:
        raise PlanError(
            f"the request file {path} is {size / 1e6:.1f} MB: a worker's event "
            f"carries at most {REQUEST_TEXT_MAX_BYTES / 1e6:.1f} MB (Lambda's 6 MB "
            "invocation payload); send fewer or smaller requests, or run without "
            "--workers"
        )
    return {"text": text, "expect_field": expect_field}
