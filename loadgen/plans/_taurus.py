"""Read a Taurus YAML config into the plan Taurus would run, or refuse saying why.

The file is read as Taurus reads a config: every YAML document in it (and the files named
in ``included-configs``, after it) merged in order, mappings deeply, lists appended, a
``~key`` replacing and a ``^key`` deleting. Each ``execution:`` entry's load profile keys,
with the meaning Taurus gives them for its default executor (JMeter):

- ``concurrency``: target users (default 1; a ``{local: N, ...}`` mapping uses ``local``);
- ``ramp-up``: time to reach ``concurrency`` (users added evenly, or in ``steps``);
- ``hold-for``: time ``concurrency`` is held after the ramp;
- ``iterations``: requests per user at most; 1 when neither ``hold-for`` nor ``ramp-up`` is
  given (Taurus' default); an execution bounded by iterations alone ends when its users are
  done (here at most after ``ITERATIONS_ONLY_CAP_S``);
- ``throughput``: a cap on the execution's request rate, shaped as Taurus shapes it (ramped
  linearly with ``ramp-up``, or in ``steps``, then held); Taurus ignores it when neither
  ``ramp-up`` nor ``hold-for`` is given, and so does this reader (a note says so);
- the scenario's ``think-time``: the pause between a user's requests.

Several executions run at the same time, each with its own users; with
``modules.local.sequential: true`` one after another, each starting when the previous one is
over. Each keeps its own iterations, throughput and think time.

What cannot be honoured is refused in one line (a scenario whose load comes from its
script, a scenario the file does not define); what is run differently is said in a note
(the scenario's requests are never sent: the request is always ``POST /predict``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from .._errors import TaurusError
from ._staged_plan import Stage, StagedPlan, parse_duration_s

__all__ = ["load_taurus"]

#: Cap for an execution bounded only by its iterations (it ends when all are done).
ITERATIONS_ONLY_CAP_S = 3600.0
#: ``included-configs`` are followed this deep at most (a cycle is refused before).
MAX_INCLUDE_DEPTH = 8

_LOAD_KEYS = ("concurrency", "ramp-up", "hold-for", "steps", "iterations", "throughput")
_KNOWN_KEYS = {
    *_LOAD_KEYS,
    "scenario",
    "executor",
    "delay",
    "locations",
    "locations-weighted",
    "provisioning",
    "files",
    "write-xml-jtl",
    "properties",
    "system-properties",
}
_NOT_HONOURED = {
    "delay": "its users start with the others here, not after the delay",
    "locations": "the load runs on this machine only",
    "locations-weighted": "the load runs on this machine only",
    "provisioning": "the load runs on this machine only",
}


def _merge(into: dict[str, Any], src: dict[str, Any]) -> None:
    """Taurus' merge (BetterDict.merge): deep for mappings, lists appended, scalars replaced."""
    for raw_key, value in src.items():
        key = str(raw_key)
        if key.startswith("~"):
            key = key[1:]
            into.pop(key, None)
        elif key.startswith("^"):
            into.pop(key[1:], None)
            continue
        current = into.get(key)
        if isinstance(value, dict) and isinstance(current, dict):
            _merge(current, value)
        elif isinstance(value, dict):
            into[key] = {}
            _merge(into[key], value)
        elif isinstance(value, list) and isinstance(current, list):
            current.extend(value)
        elif isinstance(value, list):
            into[key] = list(value)
        else:
            into[key] = value


def _yaml_problem(exc: yaml.YAMLError) -> str:
    """PyYAML's error in one line: what, and where."""
    if isinstance(exc, yaml.MarkedYAMLError) and exc.problem_mark is not None:
        mark = exc.problem_mark
        return f"{exc.problem or exc.context} (line {mark.line + 1}, column {mark.column + 1})"
    return " ".join(str(exc).split())


def _read_config(file: Path, into: dict[str, Any], seen: list[Path]) -> None:
    if len(seen) > MAX_INCLUDE_DEPTH:
        raise TaurusError(f"{file}: included-configs nest more than {MAX_INCLUDE_DEPTH} deep")
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise TaurusError(f"cannot read Taurus file {file}: {exc.strerror or exc}") from exc
    try:
        documents = list(yaml.safe_load_all(text))
    except yaml.YAMLError as exc:
        raise TaurusError(f"{file} is not valid YAML: {_yaml_problem(exc)}") from None
    merged: dict[str, Any] = {}
    for number, document in enumerate(documents, start=1):
        if document is None:
            continue
        if not isinstance(document, dict):
            raise TaurusError(
                f"{file}: YAML document {number} is a {type(document).__name__}, "
                "not a mapping (Taurus merges mappings of settings)"
            )
        _merge(merged, document)
    includes = merged.pop("included-configs", None) or []
    _merge(into, merged)
    if isinstance(includes, str):
        includes = [includes]
    if not isinstance(includes, list):
        raise TaurusError(f"{file}: included-configs must be a list of file names")
    for name in includes:
        path = (file.parent / str(name)).resolve()
        if path in seen:
            raise TaurusError(f"{file}: included-configs includes {name} again (a cycle)")
        _read_config(path, into, [*seen, path])


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
    if isinstance(value, dict):
        value = value.get("local", next(iter(value.values()), None))
    try:
        rate = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        problems.append(f"{where} must be a number of requests per second, got {value!r}")
        return None
    if not rate > 0:
        problems.append(f"{where} must be > 0, got {value!r}")
        return None
    return rate


def _scenario(config: dict[str, Any], execution: dict[str, Any], where: str) -> dict[str, Any]:
    """The execution's scenario as a mapping; TaurusError when Taurus could not find it."""
    scenario = execution.get("scenario")
    if scenario is None:
        return {}
    if isinstance(scenario, dict):
        return scenario
    if isinstance(scenario, str):
        scenarios = config.get("scenarios") or {}
        if isinstance(scenarios, dict) and isinstance(scenarios.get(scenario), dict):
            return scenarios[scenario]  # type: ignore[no-any-return]
        if Path(scenario).suffix:
            # Taurus takes a scenario name that is a file as that file's script.
            return {"script": scenario}
        raise TaurusError(
            f"{where}.scenario {scenario!r} is not under 'scenarios:' in this file (Taurus would "
            "refuse it too, unless another config file given with it defines it): add it here"
        )
    raise TaurusError(
        f"{where}.scenario must be a name or a mapping, got {type(scenario).__name__}"
    )


def load_taurus(path: str | Path) -> tuple[StagedPlan, list[str]]:
    """The plan of a Taurus YAML file and notes on what is run differently.

    Raises TaurusError (listing every problem, each in one line) when the file cannot be used.
    """
    file = Path(path)
    config: dict[str, Any] = {}
    _read_config(file, config, [file.resolve()])
    if "execution" not in config:
        raise TaurusError(f"{file} has no top-level 'execution:' (a Taurus config needs one)")
    executions = config["execution"]
    if isinstance(executions, dict):
        executions = [executions]
    if not isinstance(executions, list) or not executions:
        raise TaurusError(f"{file}: 'execution:' must be a mapping or a non-empty list of mappings")
    modules = config.get("modules")
    local = ((modules or {}).get("local") or {}) if isinstance(modules, dict) else {}
    sequential = bool(isinstance(local, dict) and local.get("sequential"))

    problems: list[str] = []
    notes: list[str] = []
    stages: list[Stage] = []
    requests_noted = False
    for index, execution in enumerate(executions):
        where = f"execution[{index}]"
        if not isinstance(execution, dict):
            problems.append(f"{where} must be a mapping, got {type(execution).__name__}")
            continue
        scenario = _scenario(config, execution, f"{file}: {where}")
        script = scenario.get("script")
        if script is not None:
            missing = [k for k in ("concurrency",) if k not in execution]
            if not any(k in execution for k in ("hold-for", "ramp-up", "iterations")):
                missing.append("hold-for, ramp-up or iterations")
            if missing:
                raise TaurusError(
                    f"{file}: {where}: the load would come from the script {script} (its thread "
                    "groups), "
                    f"which loadgen does not read; give {' and '.join(missing)} in the execution"
                )
            notes.append(
                f"{where}: the script {script} is not run (its requests, timers and "
                "properties); its thread groups get this execution's load, as in Taurus"
            )
        elif not requests_noted and (scenario.get("requests") or execution.get("executor")):
            requests_noted = True
            notes.append(
                "the scenarios' requests are not sent: every request is POST /predict "
                "with the payload"
            )
        unknown = sorted(set(execution) - _KNOWN_KEYS)
        if unknown:
            notes.append(f"{where}: ignored keys {', '.join(unknown)}")
        for key, what in _NOT_HONOURED.items():
            if key in execution:
                notes.append(f"{where}.{key} is not honoured: {what}")
        users = _count(execution.get("concurrency", 1), f"{where}.concurrency", problems, minimum=1)
        ramp_s = _duration(execution.get("ramp-up"), f"{where}.ramp-up", problems)
        hold_s = _duration(execution.get("hold-for"), f"{where}.hold-for", problems)
        steps = _count(execution.get("steps"), f"{where}.steps", problems, minimum=1)
        iterations = _count(execution.get("iterations"), f"{where}.iterations", problems, minimum=1)
        throughput = _rate(execution.get("throughput"), f"{where}.throughput", problems)
        think_s = _duration(scenario.get("think-time"), f"{where}.scenario think-time", problems)
        if users is None:
            continue
        if not ramp_s and not hold_s:
            if throughput is not None:
                notes.append(
                    f"{where}.throughput is ignored without ramp-up or hold-for "
                    "(as Taurus ignores it)"
                )
                throughput = None
            if iterations is None:
                iterations = 1
                notes.append(
                    f"{where}: no hold-for, ramp-up or iterations: 1 iteration per user "
                    "(Taurus' default)"
                )
            ramp_s, hold_s = 0.0, ITERATIONS_ONLY_CAP_S
            notes.append(
                f"{where}: bounded by iterations only; it ends when every user is done, "
                f"as in Taurus (here at most after {ITERATIONS_ONLY_CAP_S:g} s)"
            )
        stages.append(
            Stage(
                users=users,
                ramp_up_s=ramp_s or 0.0,
                hold_s=hold_s or 0.0,
                steps=steps,
                throughput_rps=throughput,
                iterations=iterations,
                think_s=think_s,
            )
        )
    if problems:
        raise TaurusError(f"cannot use Taurus file {file}", problems=problems)
    if len(stages) == 1:
        (stage,) = stages
        plan = StagedPlan(
            stages=(
                Stage(
                    users=stage.users,
                    ramp_up_s=stage.ramp_up_s,
                    hold_s=stage.hold_s,
                    steps=stage.steps,
                    throughput_rps=stage.throughput_rps,
                ),
            ),
            think_s=stage.think_s or 0.0,
            iterations=stage.iterations,
        )
    else:
        plan = StagedPlan(stages=tuple(stages), layout="sequential" if sequential else "concurrent")
    plan_problems = plan.validate()
    if plan_problems:
        raise TaurusError(f"Taurus file {file} gives an invalid plan", problems=plan_problems)
    return plan, notes
