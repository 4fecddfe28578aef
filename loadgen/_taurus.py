"""Read a Taurus YAML ``execution:`` into a staged plan, saying what cannot be honoured.

Taurus' load-profile keys and their meaning here:

- ``concurrency``: target users (default 1; a ``{local: N, ...}`` mapping uses ``local``);
- ``ramp-up``: time to reach ``concurrency``, users added evenly;
- ``hold-for``: time ``concurrency`` is held;
- ``steps``: the ramp-up in that many equal steps;
- ``iterations``: requests per user at most; Taurus' default of 1 iteration when neither
  ``hold-for`` nor ``ramp-up`` is given is kept;
- ``throughput``: a cap on the total request rate (Taurus ramps it along with ``ramp-up``;
  here it is a constant cap from the start: a note says so);
- the scenario's ``think-time`` becomes the pause between a user's requests.

Several executions run at the same time in Taurus; here they become consecutive stages (a
note says so). The scenario's requests, the executor and reporting settings are ignored:
the request is always ``POST /predict`` with the payload.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from ._errors import TaurusError
from ._plan import Plan, Stage, parse_duration_s

__all__ = ["load_taurus"]

#: Cap for an execution bounded only by its iterations (the run ends when all are done).
ITERATIONS_ONLY_CAP_S = 3600.0

_KNOWN_KEYS = {
    "concurrency", "ramp-up", "hold-for", "steps", "iterations", "throughput", "scenario",
    "executor", "delay", "locations", "provisioning", "files", "write-xml-jtl", "properties",
}


def _duration(value: object, where: str, problems: list[str]) -> float | None:
    if value is None:
        return None
    try:
        return parse_duration_s(value)  # type: ignore[arg-type]
    except ValueError as exc:
        problems.append(f"{where}: {exc}")
        return None


def _count(value: object, where: str, problems: list[str], *, minimum: int) -> int | None:
    if value is None:
        return None
    if isinstance(value, dict):
        # Taurus allows per-location values; the local one is what a single machine runs.
        value = value.get("local", next(iter(value.values()), None))
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        problems.append(f"{where} must be an integer >= {minimum}, got {value!r}")
        return None
    return value


def _rate(value: object, where: str, problems: list[str]) -> float | None:
    if value is None:
        return None
    try:
        rate = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        problems.append(f"{where} must be a number of requests per second, got {value!r}")
        return None
    if not rate > 0:
        problems.append(f"{where} must be > 0, got {value!r}")
        return None
    return rate


def _think_time_s(document: dict[str, Any], scenario: object, where: str, problems: list[str]) -> float | None:
    if isinstance(scenario, str):
        scenario = (document.get("scenarios") or {}).get(scenario)
    if not isinstance(scenario, dict):
        return None
    return _duration(scenario.get("think-time"), f"{where}.scenario think-time", problems)


def load_taurus(path: str | Path) -> tuple[Plan, list[str]]:
    """The staged plan of a Taurus YAML file and the notes on what it could not honour.

    Raises TaurusError (listing every problem) when the file cannot be used.
    """
    file = Path(path)
    try:
        document = yaml.safe_load(file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise TaurusError(f"cannot read Taurus file {file}: {exc.strerror or exc}") from exc
    except yaml.YAMLError as exc:
        raise TaurusError(f"{file} is not valid YAML: {exc}") from exc
    if not isinstance(document, dict) or "execution" not in document:
        raise TaurusError(f"{file} has no top-level 'execution:' (a Taurus config needs one)")
    executions = document["execution"]
    if isinstance(executions, dict):
        executions = [executions]
    if not isinstance(executions, list) or not executions:
        raise TaurusError(f"{file}: 'execution:' must be a mapping or a non-empty list of mappings")

    problems: list[str] = []
    notes: list[str] = []
    stages: list[Stage] = []
    iterations: int | None = None
    throughput: float | None = None
    think_s: float | None = None
    if len(executions) > 1:
        notes.append(
            f"{len(executions)} executions: Taurus runs them at the same time; "
            "here they run one after the other as consecutive stages"
        )
    for index, execution in enumerate(executions):
        where = f"execution[{index}]"
        if not isinstance(execution, dict):
            problems.append(f"{where} must be a mapping, got {type(execution).__name__}")
            continue
        unknown = sorted(set(execution) - _KNOWN_KEYS)
        if unknown:
            notes.append(f"{where}: ignored keys {', '.join(unknown)}")
        for ignored in ("executor", "locations", "provisioning", "delay"):
            if ignored in execution:
                notes.append(f"{where}.{ignored} is not honoured (local run, POST /predict only)")
        users = _count(execution.get("concurrency", 1), f"{where}.concurrency", problems, minimum=1)
        ramp_s = _duration(execution.get("ramp-up"), f"{where}.ramp-up", problems)
        hold_s = _duration(execution.get("hold-for"), f"{where}.hold-for", problems)
        steps = _count(execution.get("steps"), f"{where}.steps", problems, minimum=1)
        exec_iterations = _count(execution.get("iterations"), f"{where}.iterations", problems, minimum=1)
        exec_throughput = _rate(execution.get("throughput"), f"{where}.throughput", problems)
        exec_think_s = _think_time_s(document, execution.get("scenario"), where, problems)
        if users is None:
            continue
        if ramp_s is None and hold_s is None:
            if exec_iterations is None:
                exec_iterations = 1
                notes.append(f"{where}: no hold-for, ramp-up or iterations: 1 iteration per user (Taurus' default)")
            hold_s = ITERATIONS_ONLY_CAP_S
            notes.append(
                f"{where}: bounded by iterations only; the run ends when every user is done "
                f"(at most {ITERATIONS_ONLY_CAP_S:g} s)"
            )
        if exec_throughput is not None and ramp_s:
            notes.append(f"{where}.throughput is a constant cap here (Taurus ramps it with ramp-up)")
        if index == 0:
            iterations, throughput, think_s = exec_iterations, exec_throughput, exec_think_s
        elif (exec_iterations, exec_throughput, exec_think_s) != (iterations, throughput, think_s):
            notes.append(
                f"{where}: iterations, throughput and think-time apply to the whole run here; "
                "the first execution's values are used"
            )
        stages.append(Stage(users=users, ramp_up_s=ramp_s or 0.0, hold_s=hold_s or 0.0, steps=steps))
    if problems:
        raise TaurusError(f"cannot use Taurus file {file}", problems=problems)
    plan = Plan(stages=tuple(stages), think_s=think_s or 0.0, iterations=iterations, throughput_rps=throughput)
    plan_problems = plan.validate()
    if plan_problems:
        raise TaurusError(f"Taurus file {file} gives an invalid plan", problems=plan_problems)
    return plan, notes
