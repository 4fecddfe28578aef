"""Every problem with a set of a stack's settings: the checks all kinds share (names, choices,
ranges, runtime, cold-start mitigation, service limits, environment), then each kind's own."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from contract import (
    AUTHORIZATIONS,
    FUNCTION_RUNTIMES,
    LANGUAGES,
    LOG_FORMATS,
    MEMORY_MB_MAX,
    MEMORY_MB_MIN,
    MODEL_RUNTIMES,
    MODEL_STRATEGIES,
    RUNTIMES,
    STACK_KINDS,
    TIMEOUT_S_MAX,
    TIMEOUT_S_MIN,
)
from stack._functionsettings import function_problems
from stack._limits import (
    ARCHITECTURES,
    COLD_START_MITIGATIONS,
    ENVIRONMENT_BYTES_MAX,
    LOG_RETENTION_DAYS,
    PING_INTERVAL_MINUTES_MAX,
    PING_INTERVAL_MINUTES_MIN,
    RESERVED_ENVIRONMENT,
    SNAPSTART_RUNTIMES,
    VERSIONS_KEPT_MAX,
)
from stack._modelsettings import model_runtime_problems
from stack._names import name_problems
from stack._schema import choice, setting_key, within
from stack._workersettings import worker_problems

_ENV_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-\d+")


def problems_of(values: Mapping[str, Any]) -> list[str]:
    """Every problem with a (possibly partial) set of settings; keys that failed to parse are
    absent and are not checked again."""
    problems = name_problems(values)
    choice(problems, values, "kind", STACK_KINDS)
    choice(problems, values, "language", LANGUAGES)
    within(problems, values, "memory_mb", MEMORY_MB_MIN, MEMORY_MB_MAX, "MB")
    within(problems, values, "timeout_s", TIMEOUT_S_MIN, TIMEOUT_S_MAX, "seconds")
    choice(problems, values, "architecture", ARCHITECTURES)
    problems.extend(_runtime_problems(values))
    choice(problems, values, "model_strategy", MODEL_STRATEGIES)
    choice(problems, values, "model_runtime", MODEL_RUNTIMES)
    problems.extend(model_runtime_problems(values))
    choice(problems, values, "cold_start_mitigation", COLD_START_MITIGATIONS)
    choice(problems, values, "authorization", AUTHORIZATIONS)
    choice(problems, values, "log_format", LOG_FORMATS)
    problems.extend(_mitigation_problems(values))
    problems.extend(_service_problems(values))
    problems.extend(_environment_problems(values))
    problems.extend(worker_problems(values))
    problems.extend(function_problems(values))
    return problems


def _runtime_problems(values: Mapping[str, Any]) -> list[str]:
    """A runtime the function of the stack's language does not support."""
    language = values.get("language")
    runtime = values.get("runtime")
    runtimes = FUNCTION_RUNTIMES if values.get("kind") == "function" else RUNTIMES
    if (
        isinstance(language, str)
        and language in runtimes
        and runtime
        and runtime not in runtimes[language]
    ):
        return [
            (
                f"{setting_key('runtime')} is {runtime!r}, not a {language} runtime the "
                f"function supports; use one of: {', '.join(runtimes[language])}"
            )
        ]
    return []


def _mitigation_problems(values: Mapping[str, Any]) -> list[str]:
    """The cold-start mitigation's own settings: each with its mitigation, within its range."""
    problems: list[str] = []
    mitigation = values.get("cold_start_mitigation")
    provisioned = values.get("provisioned_concurrency")
    reserved = values.get("reserved_concurrency")
    runtime = values.get("runtime")
    if mitigation == "provisioned" and provisioned is None:
        problems.append(
            f"{setting_key('cold_start_mitigation')} is 'provisioned' but "
            f"{setting_key('provisioned_concurrency')}"
            " is not set; give the number of instances to keep initialised"
        )
    if provisioned is not None:
        problems.extend(_provisioned_problems(mitigation, provisioned, reserved))
    if mitigation == "snapstart" and runtime and runtime not in SNAPSTART_RUNTIMES:
        problems.append(
            f"SnapStart is not available on runtime {runtime!r}; AWS supports it on Java 11+ and "
            f"Python 3.12+ (here: {', '.join(sorted(SNAPSTART_RUNTIMES))})"
        )
    if values.get("ping_interval_minutes") is not None:
        if mitigation != "ping":
            problems.append(
                f"{setting_key('ping_interval_minutes')} is set but "
                f"{setting_key('cold_start_mitigation')} is {mitigation!r}; it is only used with "
                "'ping'"
            )
        within(
            problems, values, "ping_interval_minutes",
            PING_INTERVAL_MINUTES_MIN, PING_INTERVAL_MINUTES_MAX, "minutes",
        )  # fmt: skip
    if values.get("versions_kept") is not None:
        if mitigation not in ("provisioned", "snapstart"):
            problems.append(
                f"{setting_key('versions_kept')} is set but "
                f"{setting_key('cold_start_mitigation')} is {mitigation!r}; only provisioned and "
                "snapstart publish versions"
            )
        within(problems, values, "versions_kept", 1, VERSIONS_KEPT_MAX, "versions")
    return problems


def _provisioned_problems(mitigation: object, provisioned: int, reserved: int | None) -> list[str]:
    """``provisioned_concurrency``, given: with ``provisioned`` only, at least 1, at most the
    reserved concurrency."""
    problems: list[str] = []
    if mitigation == "snapstart":
        problems.append(
            "SnapStart does not support provisioned concurrency (AWS Lambda docs); remove "
            f"{setting_key('provisioned_concurrency')} or choose cold_start_mitigation: "
            "provisioned"
        )
    elif mitigation != "provisioned":
        problems.append(
            f"{setting_key('provisioned_concurrency')} is set but "
            f"{setting_key('cold_start_mitigation')} is {mitigation!r}; it is only used with "
            "'provisioned'"
        )
    if provisioned < 1:
        problems.append(
            f"{setting_key('provisioned_concurrency')} is {provisioned}; it must be >= 1"
        )
    elif reserved is not None and provisioned > reserved:
        problems.append(
            f"{setting_key('provisioned_concurrency')} ({provisioned}) exceeds "
            f"{setting_key('reserved_concurrency')} ({reserved}); Lambda refuses that"
        )
    return problems


def _service_problems(values: Mapping[str, Any]) -> list[str]:
    """Reserved concurrency, log retention, the stage's throttle and the region: values AWS
    refuses."""
    problems: list[str] = []
    reserved = values.get("reserved_concurrency")
    if reserved is not None and reserved < 1:
        problems.append(
            f"{setting_key('reserved_concurrency')} is {reserved}; it must be >= 1 (0 would "
            "throttle every request); leave it unset to use the account's pool"
        )
    retention = values.get("log_retention_days")
    if retention is not None and retention not in LOG_RETENTION_DAYS:
        problems.append(
            f"{setting_key('log_retention_days')} is {retention}; CloudWatch Logs accepts only: "
            f"{', '.join(map(str, LOG_RETENTION_DAYS))}"
        )
    burst = values.get("api_throttle_burst")
    if burst is not None and burst < 1:
        problems.append(f"{setting_key('api_throttle_burst')} is {burst}; it must be >= 1")
    rate = values.get("api_throttle_rate")
    if rate is not None and not rate > 0:
        problems.append(f"{setting_key('api_throttle_rate')} is {rate}; it must be > 0 requests/s")
    region = values.get("region")
    if region is not None and (not isinstance(region, str) or not _REGION.fullmatch(region)):
        problems.append(f"aws:region is {region!r}; use an AWS region name such as us-east-1")
    return problems


def _environment_problems(values: Mapping[str, Any]) -> list[str]:
    """Extra environment variables: valid names, none Lambda or the model sets, within size."""
    environment = values.get("environment")
    if not isinstance(environment, Mapping):
        return []
    problems: list[str] = []
    for env_name in environment:
        if not _ENV_NAME.fullmatch(env_name):
            problems.append(
                f"{setting_key('environment')}: {env_name!r} is not a valid variable name "
                "(letters, digits, '_', starting with a letter)"
            )
        elif env_name in RESERVED_ENVIRONMENT:
            problems.append(
                f"{setting_key('environment')}: {env_name} is set by Lambda or derived from "
                "model_strategy and model_runtime; remove it"
            )
    size = sum(len(k.encode()) + len(v.encode()) for k, v in environment.items())
    if size > ENVIRONMENT_BYTES_MAX:
        problems.append(
            f"{setting_key('environment')} is {size} bytes; Lambda allows 4 KB for all variables "
            f"and the model's need some, so keep it under {ENVIRONMENT_BYTES_MAX}"
        )
    return problems
