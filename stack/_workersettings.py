"""The settings of a ``loadgen-worker`` stack: what its worker needs (Python, the runtimes and
architecture its wheels are built for, the workers' count and the stacks it may load), what it
cannot have (a model's settings), and the worker settings no other kind takes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contract import ACCOUNT_CONCURRENCY
from stack._limits import ARCHITECTURES, WORKER_ARCHITECTURES, WORKER_RUNTIMES
from stack._names import BUCKET_SAFE_NAME
from stack._schema import setting_key, within


def worker_problems(values: Mapping[str, Any]) -> list[str]:
    """What a ``loadgen-worker`` stack cannot have, and ``workers_max`` anywhere else."""
    workers_max = values.get("workers_max")
    if values.get("kind") != "loadgen-worker":
        if values.get("invoke_targets"):
            return [
                f"{setting_key('invoke_targets')} is set but {setting_key('kind')} is "
                + f"{values.get('kind')!r}; it is only used with kind: loadgen-worker"
            ]
        if workers_max is not None:
            return [
                f"{setting_key('workers_max')} is set but {setting_key('kind')} is "
                + f"{values.get('kind')!r}; it is only used with kind: loadgen-worker"
            ]
        return []
    problems = []
    if values.get("language") not in (None, "python"):
        problems.append(
            f"{setting_key('kind')} is 'loadgen-worker', whose worker is the Python load "
            f"generator; set {setting_key('language')} to python"
        )
    runtime = values.get("runtime")
    if runtime and runtime not in WORKER_RUNTIMES:
        problems.append(
            f"{setting_key('runtime')} is {runtime!r}; the worker's wheels are built for "
            f"{', '.join(WORKER_RUNTIMES)}: use one of those"
        )
    architecture = values.get("architecture")
    if architecture in ARCHITECTURES and architecture not in WORKER_ARCHITECTURES:
        problems.append(
            f"{setting_key('architecture')} is {architecture!r} but hdrhistogram, which the "
            f"worker needs, has wheels for {', '.join(WORKER_ARCHITECTURES)} only; use that"
        )
    model_defaults = {
        "model_strategy": "bundled", "model_runtime": "artifact", "cold_start_mitigation": "none",
        "provisioned_concurrency": None, "ping_interval_minutes": None,
    }  # fmt: skip
    for key, default in model_defaults.items():
        if values.get(key, default) != default:
            problems.append(
                f"{setting_key(key)} is set but a loadgen-worker stack serves no model; remove it"
            )
    within(problems, values, "workers_max", 1, ACCOUNT_CONCURRENCY, "workers")
    targets = str(values.get("invoke_targets") or "")
    for target in (name.strip() for name in targets.split(",")):
        if target and not BUCKET_SAFE_NAME.fullmatch(target):
            problems.append(
                f"{setting_key('invoke_targets')}: {target!r} is not a stack name (lower-case "
                "letters, digits or '-'); list the stacks the workers may load, comma-separated"
            )
    reserved = values.get("reserved_concurrency")
    if isinstance(workers_max, int) and isinstance(reserved, int) and reserved < workers_max:
        problems.append(
            f"{setting_key('reserved_concurrency')} ({reserved}) is below "
            f"{setting_key('workers_max')} ({workers_max}): workers past it would be throttled; "
            "raise it or lower workers_max"
        )
    return problems
