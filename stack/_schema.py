"""Every setting a stack file may give: its key, its type and its valid values in words, and
the checks of one value against them (its type, a choice, a range) that each kind's checks use.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from contract import (
    ACCOUNT_CONCURRENCY,
    AUTHORIZATIONS,
    LOG_FORMATS,
    MEMORY_MB_MAX,
    MEMORY_MB_MIN,
    MODEL_RUNTIMES,
    MODEL_STRATEGIES,
    PROJECT,
    STACK_KINDS,
    TIMEOUT_S_MAX,
    TIMEOUT_S_MIN,
)
from stack._limits import ARCHITECTURES, COLD_START_MITIGATIONS, NAME_PREFIX_MAX

#: Every setting a stack file may give: key → (its Python type, a valid value in words). The
#: order is the order of the docs. ``int | None`` settings may be left unset.
SETTINGS: Mapping[str, tuple[object, str]] = {
    "kind": (str, " or ".join(STACK_KINDS)),
    "language": (str, "python or java (required)"),
    "memory_mb": (int, f"MB, {MEMORY_MB_MIN} to {MEMORY_MB_MAX} (required)"),
    "timeout_s": (int, f"seconds, {TIMEOUT_S_MIN} to {TIMEOUT_S_MAX}"),
    "architecture": (str, " or ".join(ARCHITECTURES)),
    "runtime": (str, "an AWS managed runtime, e.g. python3.12, java21"),
    "model_strategy": (str, ", ".join(MODEL_STRATEGIES)),
    "model_runtime": (str, ", ".join(MODEL_RUNTIMES)),
    "cold_start_mitigation": (str, ", ".join(COLD_START_MITIGATIONS)),
    "provisioned_concurrency": (int | None, "instances, with provisioned"),
    "ping_interval_minutes": (int | None, "minutes, with ping"),
    "reserved_concurrency": (int | None, "instances"),
    "log_retention_days": (int, "days, one of CloudWatch's values"),
    "log_format": (str, " or ".join(LOG_FORMATS)),
    "api_throttle_burst": (int, "requests"),
    "api_throttle_rate": (float, "requests per second"),
    "authorization": (str, " or ".join(AUTHORIZATIONS)),
    "environment": (Mapping, "a map of extra environment variables"),
    "workers_max": (int | None, f"workers, 1 to {ACCOUNT_CONCURRENCY}, with loadgen-worker"),
    "invoke_targets": (str, "stack names, comma-separated, with loadgen-worker"),
    "name_prefix": (str, f"lower-case letters, digits and '-', at most {NAME_PREFIX_MAX}"),
    "versions_kept": (int | None, "published versions, with provisioned or snapstart"),
    "code": (str, "the function's directory or .zip (.jar), with function"),
    "handler": (str, "module.function (Python) or pkg.Class::method (Java), with function"),
    "requirements": (str, "a requirements.txt, with function"),
    "image": (str, "a Dockerfile, with function"),
    "layers": (str, "layer .zip files or folders, comma-separated, with function"),
    "routes": (str, "route keys 'GET /path', comma-separated, or $default, with function"),
    "requests": (str, "a request file (JSON or JSON lines), with function"),
    "expect_field": (str, "a JSON field every correct answer holds, with function"),
}
#: The settings only a ``function`` stack takes.
FUNCTION_SETTINGS = (
    "code",
    "requirements",
    "image",
    "layers",
    "routes",
    "requests",
    "expect_field",
)
#: Settings a stack file must give.
REQUIRED = ("language", "memory_mb")


def type_problems(values: dict[str, Any]) -> list[str]:
    """Wrong Python types given to ``StackSettings(...)`` directly (the loaders never make them)."""
    problems = []
    for key, (kind, expected) in SETTINGS.items():
        value = values[key]
        if key == "runtime" and value == "":
            continue
        if kind is Mapping:
            if not isinstance(value, Mapping):
                problems.append(f"{key} must be a mapping of strings, not {value!r}")
            continue
        if value is None and kind == int | None:
            continue
        wanted = int if kind == int | None else kind
        assert isinstance(wanted, type)
        if wanted is float and isinstance(value, int) and not isinstance(value, bool):
            values[key] = float(value)
            continue
        if not isinstance(value, wanted) or isinstance(value, bool):
            problems.append(f"{key} must be {wanted.__name__} ({expected}), not {value!r}")
    return problems


def setting_key(name: str) -> str:
    """A setting's full key in a stack file: ``lambda-model-study:<name>``."""
    return f"{PROJECT}:{name}"


def choice(
    problems: list[str], values: Mapping[str, Any], key: str, allowed: Iterable[str]
) -> None:
    """A problem in ``problems`` if ``key`` is given and is none of ``allowed``."""
    value = values.get(key)
    allowed = tuple(allowed)
    if value is not None and value not in allowed:
        problems.append(f"{setting_key(key)} is {value!r}; use one of: {', '.join(allowed)}")


def within(
    problems: list[str], values: Mapping[str, Any], key: str, low: float, high: float, unit: str
) -> None:
    """A problem in ``problems`` if ``key`` is given and outside ``low`` to ``high``."""
    value = values.get(key)
    if value is not None and not low <= value <= high:
        problems.append(f"{setting_key(key)} is {value}; it must be {low:g} to {high:g} {unit}")
