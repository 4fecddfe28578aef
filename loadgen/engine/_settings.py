"""How a run is run (``RunSettings``) and what it gives back (``RunResult``)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..plans._idle_plan import IdlePlan
from ..plans._rate_plan import RatePlan
from ..plans._staged_plan import StagedPlan
from ..transport._payload import DEFAULT_PAYLOAD

__all__ = ["RunResult", "RunSettings", "Scenario", "scenario_name"]

Scenario = StagedPlan | IdlePlan | RatePlan


def scenario_name(plan: Scenario) -> str:
    if isinstance(plan, IdlePlan):
        return "scenario1"
    if isinstance(plan, StagedPlan):
        return "scenario2"
    return "rate"


@dataclass(frozen=True, kw_only=True)
class RunSettings:
    """How to run a scenario (the plan says when; these say how and where to write)."""

    results_dir: Path = Path("results")
    #: Folder name of the run under ``results_dir`` (default: UTC start time).
    run_id: str | None = None
    #: Every duration of the plan is divided by this.
    time_scale: float = 1.0
    #: Per-request limit (API Gateway's is 30 s).
    timeout_s: float = 30.0
    #: Instances per request.
    batch: int = 1
    payload: Path = DEFAULT_PAYLOAD
    #: Features to send (default: the target's GET /health ``features``).
    features: tuple[str, ...] | None = None
    #: Print a live progress line to stderr.
    progress: bool = False
    #: Notes recorded in run.json and the summary (e.g. what a Taurus file could not do).
    notes: tuple[str, ...] = ()
    #: Start the plan's clock at this absolute time (Unix seconds), waiting for it after every
    #: preparation, so that workers started together begin together; None: at once.
    start_at_epoch_s: float | None = None
    #: A request file (contract's request set: method, path, headers, body, weight) sent instead
    #: of the KDD payload; every 2xx answer counts as correct. None: the payload's rows.
    requests: Path | None = None
    #: With ``requests``: a top-level JSON field a correct answer's body holds.
    expect_field: str | None = None
    #: Stop the run when its first answer is not correct (one line says why).
    stop_at_first_failure: bool = False

    def validate(self) -> list[str]:
        problems = []
        if not (
            isinstance(self.time_scale, int | float)
            and math.isfinite(self.time_scale)
            and self.time_scale > 0
        ):
            problems.append(f"time scale must be a number > 0, got {self.time_scale!r}")
        if not (
            isinstance(self.timeout_s, int | float)
            and math.isfinite(self.timeout_s)
            and self.timeout_s > 0
        ):
            problems.append(f"timeout must be a number of seconds > 0, got {self.timeout_s!r}")
        if (
            isinstance(self.batch, bool)
            or not isinstance(self.batch, int)
            or not 1 <= self.batch <= 10_000
        ):
            problems.append(f"batch must be an integer 1..10000, got {self.batch!r}")
        if self.run_id is not None and (problem := run_id_problem(self.run_id)) is not None:
            problems.append(problem)
        if self.start_at_epoch_s is not None and not (
            isinstance(self.start_at_epoch_s, int | float) and math.isfinite(self.start_at_epoch_s)
        ):
            problems.append(f"start time must be Unix seconds, got {self.start_at_epoch_s!r}")
        return problems


def run_id_problem(run_id: str) -> str | None:
    """Why ``run_id`` cannot name a run folder (and a key prefix of the workers' bucket)."""
    if not run_id or "/" in run_id or "\\" in run_id or run_id.startswith("."):
        return f"run id must be a plain folder name, got {run_id!r}"
    return None


@dataclass(frozen=True)
class RunResult:
    folder: Path
    summary: dict[str, Any]
    #: The stop signal that ended the run early (see ``run_async``), else None.
    signal: int | None = None
    #: Why the result files could not all be written (the run stopped there), else None.
    write_error: str | None = None
    #: With ``stop_at_first_failure``: the first answer that was not correct, in one line.
    first_failure: str | None = None
