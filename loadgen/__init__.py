"""Load generator of the study: timed-idle and staged-concurrency scenarios, HDR histograms.

Run from the command line (``python -m loadgen --help``) or from Python::

    from loadgen import RunSettings, Stage, StagedPlan, run, target_from_url
    plan = StagedPlan(stages=(Stage(users=4, ramp_up_s=10, hold_s=20),))
    result = run(plan, target=target_from_url("http://127.0.0.1:8080"),
                 settings=RunSettings(time_scale=10))
    print(result.summary["latency_ms"]["p99"])

Result files are described in docs/results.md.
"""

from __future__ import annotations

from resultfiles import ERROR_KINDS

from ._cli_options import parse_stages
from ._errors import (
    LimitsError,
    LoadgenError,
    PayloadError,
    PlanError,
    ResultsError,
    TargetError,
    TaurusError,
)
from ._version import __version__ as __version__
from .engine._runner import RunResult, RunSettings, eviction_bracket, run, run_async
from .files._merge import merge_results
from .plans._idle_plan import IdlePlan
from .plans._limits import TargetLimits, check_limits
from .plans._rate_plan import RatePlan, RateStep
from .plans._staged_plan import Stage, StagedPlan, parse_duration_s
from .plans._taurus import load_taurus
from .transport._target import Target, resolve_stack, sign_target, target_from_url

__all__ = [
    "ERROR_KINDS",
    "IdlePlan",
    "LimitsError",
    "LoadgenError",
    "PayloadError",
    "PlanError",
    "RatePlan",
    "RateStep",
    "ResultsError",
    "RunResult",
    "RunSettings",
    "Stage",
    "StagedPlan",
    "Target",
    "TargetError",
    "TargetLimits",
    "TaurusError",
    "check_limits",
    "eviction_bracket",
    "load_taurus",
    "merge_results",
    "parse_duration_s",
    "parse_stages",
    "resolve_stack",
    "run",
    "run_async",
    "sign_target",
    "target_from_url",
]
