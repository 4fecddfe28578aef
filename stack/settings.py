"""A stack's settings: read from ``Pulumi.<stack>.yaml`` or from Pulumi config, validated once.

``Pulumi.<stack>.yaml`` is the single source of a stack's settings, for ``pulumi up`` (through
``pulumi.Config``, see ``from_config``) and for the local emulator (``load_stack_file``) alike;
both paths give the same ``StackSettings``. Every problem is collected before anything fails,
so a user fixes a stack file in one pass. This module must not import Pulumi: the emulator
uses it on machines where only PyYAML is needed.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import yaml

from stack._errors import SettingsError

__all__ = [
    "ARCHITECTURES",
    "AUTHORIZATIONS",
    "COLD_START_MITIGATIONS",
    "CONFIG_KEYS",
    "DEFAULT_RUNTIMES",
    "FRAMEWORK_RUNTIMES",
    "HANDLERS",
    "LANGUAGES",
    "LOG_RETENTION_DAYS",
    "MODEL_RUNTIMES",
    "MODEL_STRATEGIES",
    "PROJECT",
    "ROOT",
    "RUNTIMES",
    "SNAPSTART_RUNTIMES",
    "SettingsError",
    "StackSettings",
    "from_config",
    "list_stacks",
    "load_stack",
    "load_stack_file",
    "model_env",
    "model_key",
    "parse_settings",
    "ping_event",
]

#: The Pulumi project name (``Pulumi.yaml``), which is also the namespace of its config keys.
PROJECT = "lambda-model-study"
#: The repository root: where ``Pulumi.yaml`` and the stack files live.
ROOT = Path(__file__).resolve().parent.parent

LANGUAGES = ("java", "python")
# Managed runtimes the functions can run on. Python: the handler is written for 3.11+.
# Java: the classes are compiled with `javac --release 17`, so java17 and later.
RUNTIMES: Mapping[str, tuple[str, ...]] = {
    "java": ("java17", "java21", "java25"),
    "python": ("python3.11", "python3.12", "python3.13", "python3.14"),
}
DEFAULT_RUNTIMES: Mapping[str, str] = {"java": "java21", "python": "python3.12"}
# Fixed by the packaging contract with runtime/python (app.py) and runtime/java.
HANDLERS: Mapping[str, str] = {
    "java": "predictor.Handler::handleRequest",
    "python": "app.handler",
}
# AWS Lambda documentation, "Improving startup performance with Lambda SnapStart": Java 11 and
# later, Python 3.12 and later, .NET 8 and later; no provisioned concurrency; published
# versions only. Restricted here to the runtimes the functions support at all.
SNAPSTART_RUNTIMES = frozenset(
    {"java17", "java21", "java25", "python3.12", "python3.13", "python3.14"}
)
ARCHITECTURES = ("arm64", "x86_64")
# How API Gateway admits a request: ``iam`` (AWS_IAM on every route: SigV4-signed requests from
# principals allowed execute-api:Invoke) or ``none`` (a public endpoint anyone may call and bill).
AUTHORIZATIONS = ("iam", "none")
MODEL_STRATEGIES = ("bundled", "layer", "s3")
# Who computes the probabilities in the Python function (MODEL_RUNTIME, docs/api.md): the
# framework-free evaluator of model.zip, or a framework serving its export beside model.zip.
MODEL_RUNTIMES = ("artifact", "litert", "tensorflow")
# The Python runtimes a framework runtime may run on: the Amazon Linux 2023 ones (glibc 2.34),
# since ai-edge-litert 2.x wheels need glibc 2.27 and python3.11 runs on Amazon Linux 2 (2.26);
# wheels of ai-edge-litert and tensorflow exist for CPython 3.12 and 3.13.
FRAMEWORK_RUNTIMES = ("python3.12", "python3.13")
COLD_START_MITIGATIONS = ("none", "ping", "provisioned", "snapstart")
# The only values CloudWatch Logs' PutRetentionPolicy accepts (retentionInDays).
LOG_RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731,
    1096, 1827, 2192, 2557, 2922, 3288, 3653,
)  # fmt: skip
MEMORY_MB_MIN, MEMORY_MB_MAX = 128, 10_240
TIMEOUT_S_MIN, TIMEOUT_S_MAX = 1, 900
# An HTTP API stops waiting for its integration after 30 s (API Gateway quotas).
API_GATEWAY_TIMEOUT_S = 30
PING_INTERVAL_MINUTES_MIN, PING_INTERVAL_MINUTES_MAX = 1, 60
DEFAULT_PING_INTERVAL_MINUTES = 5
# Lambda caps a function's environment at 4 KB in total; the model variables need some of it.
ENVIRONMENT_BYTES_MAX = 4096 - 512
# Lambda function names are at most 64 characters; the function is named `<PROJECT>-<stack>`.
STACK_NAME_MAX = 64 - len(PROJECT) - 1
# Variables Lambda sets itself (and refuses to have overridden), plus the model variables
# that model_env derives from the strategy.
RESERVED_ENVIRONMENT = frozenset(
    {
        "_HANDLER", "_X_AMZN_TRACE_ID", "AWS_ACCESS_KEY", "AWS_ACCESS_KEY_ID",
        "AWS_DEFAULT_REGION", "AWS_EXECUTION_ENV", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
        "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_VERSION",
        "AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_LAMBDA_LOG_GROUP_NAME",
        "AWS_LAMBDA_LOG_STREAM_NAME", "AWS_LAMBDA_RUNTIME_API", "AWS_REGION",
        "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "LAMBDA_RUNTIME_DIR", "LAMBDA_TASK_ROOT",
        "MODEL_BUCKET", "MODEL_KEY", "MODEL_PATH", "MODEL_RUNTIME", "MODEL_VERSION",
    }
)  # fmt: skip
DEFAULT_REGION = "us-east-1"
# The stage throttle the study needs (see StackSettings): scenario 2's 18 users with headroom.
DEFAULT_API_THROTTLE_BURST = 100
DEFAULT_API_THROTTLE_RATE = 4000.0

_STACK_NAME = re.compile(r"[A-Za-z0-9_-]+")
_ENV_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-\d+")
_INTEGER = re.compile(r"[+-]?\d+")


class _FrozenEnvironment(Mapping[str, str]):
    """A read-only, hashable mapping of environment variables, sorted by name."""

    __slots__ = ("_items",)

    def __init__(self, items: Mapping[str, str] | None = None) -> None:
        self._items = dict(sorted((items or {}).items()))

    def __getitem__(self, key: str) -> str:
        return self._items[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __hash__(self) -> int:
        return hash(tuple(self._items.items()))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Mapping):
            return self._items == dict(other)
        return NotImplemented

    def __repr__(self) -> str:
        return f"{{{', '.join(f'{k!r}: {v!r}' for k, v in self._items.items())}}}"


@dataclass(frozen=True, kw_only=True)
class StackSettings:
    """One stack's validated settings. Constructing one validates it (``SettingsError``).

    ``runtime`` defaults from ``language``; ``handler`` is always derived from ``language``;
    ``ping_interval_minutes`` defaults to 5 when ``cold_start_mitigation`` is ``ping``.
    """

    #: The stack name, e.g. ``python-512``.
    name: str
    #: ``python`` or ``java``.
    language: str
    #: Function memory in MB (Lambda: 128 to 10,240); CPU share follows it.
    memory_mb: int
    #: Function timeout in seconds (Lambda: 1 to 900; API Gateway gives up after 30).
    timeout_s: int = API_GATEWAY_TIMEOUT_S
    #: ``x86_64`` or ``arm64``.
    architecture: str = "x86_64"
    #: The AWS managed runtime, e.g. ``python3.12``; defaults from ``language``.
    runtime: str = ""
    #: The handler string Lambda loads; derived from ``language``.
    handler: str = ""
    #: Where the function finds the model: ``bundled`` in the code archive, a ``layer``, ``s3``.
    model_strategy: str = "bundled"
    #: Who scores requests (Python only): ``artifact`` (the evaluator), ``litert``, ``tensorflow``.
    model_runtime: str = "artifact"
    #: ``none``, ``ping`` (scheduled invocations), ``provisioned`` or ``snapstart``.
    cold_start_mitigation: str = "none"
    #: Provisioned concurrency (instances kept initialised); only with ``provisioned``.
    provisioned_concurrency: int | None = None
    #: Minutes between pings; only with ``ping``.
    ping_interval_minutes: int | None = None
    #: Reserved concurrency (the function's own concurrency limit); None = account pool.
    reserved_concurrency: int | None = None
    #: Retention of the function's and the API's log groups, in days.
    log_retention_days: int = 14
    #: API Gateway stage throttling: bucket size (requests arriving at once). Scenario 2 is a
    #: closed loop of at most 18 users, so at most 18 requests arrive together: 100 is 5.5x that.
    api_throttle_burst: int = DEFAULT_API_THROTTLE_BURST
    #: API Gateway stage throttling: steady rate (requests per second). 18 users each waiting
    #: for its answer reach 4,000 req/s only at a 4.5 ms round trip; the highest rate the study
    #: measured is 1,776 hits/s (docs/example-report, emulator, no network), so 2.25x headroom.
    #: Well below the account maximum (10,000 req/s, 5,000 burst), which a stranger could drive.
    api_throttle_rate: float = DEFAULT_API_THROTTLE_RATE
    #: ``iam``: every route requires a SigV4-signed request (AWS_IAM); ``none``: a public
    #: endpoint, an explicit opt-out, since anyone who learns its URL can run up the bill.
    authorization: str = "iam"
    #: The AWS region (``aws:region``).
    region: str = DEFAULT_REGION
    #: Extra environment variables for the function, from the stack file.
    environment: Mapping[str, str] = field(default_factory=_FrozenEnvironment)
    #: Settings that are valid but probably not what the user wants (e.g. timeout > 30 s).
    warnings: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        problems = _type_problems(values)
        if problems:
            raise SettingsError(self.name, problems)
        _complete(values)
        problems = _problems(values)
        if problems:
            raise SettingsError(self.name, problems)
        values["environment"] = _FrozenEnvironment(values["environment"])
        for key, value in values.items():
            object.__setattr__(self, key, value)

    @property
    def function_name(self) -> str:
        """The Lambda function's name: fixed, so its log group can exist before it."""
        return f"{PROJECT}-{self.name}"

    @property
    def log_group_name(self) -> str:
        """The function's log group, the one Lambda writes to."""
        return f"/aws/lambda/{self.function_name}"

    @property
    def needs_alias(self) -> bool:
        """Provisioned concurrency and SnapStart apply to a published version, via alias ``live``."""
        return self.cold_start_mitigation in ("provisioned", "snapstart")


# Config key → (parser, description of a valid value). The order is the order of the docs.
_Parser = Callable[[object], Any]


class _Unparsable(Exception):
    """A raw config value of the wrong form; its text says what was expected."""


def _parse_str(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _Unparsable("a non-empty string")
    return value.strip()


def _parse_int(value: object) -> int:
    if isinstance(value, bool):
        raise _Unparsable("a whole number")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and _INTEGER.fullmatch(value.strip()):
        return int(value.strip())
    raise _Unparsable("a whole number")


def _parse_optional_int(value: object) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return _parse_int(value)


def _parse_float(value: object) -> float:
    if isinstance(value, bool):
        raise _Unparsable("a number")
    number: float
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            raise _Unparsable("a number") from None
    else:
        raise _Unparsable("a number")
    if not math.isfinite(number):
        raise _Unparsable("a finite number")
    return number


def _parse_environment(value: object) -> dict[str, str]:
    # Pulumi hands structured config to a program as a JSON string; the stack file has a map.
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            raise _Unparsable('a map of NAME: "value" (or its JSON)') from None
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise _Unparsable('a map of NAME: "value"')
    result: dict[str, str] = {}
    for name, item in value.items():
        if not isinstance(name, str) or not isinstance(item, str):
            raise _Unparsable(
                f'a map of NAME: "value" with string values (quote {name!r}\'s value)'
            )
        result[name] = item
    return result


CONFIG_KEYS: Mapping[str, tuple[_Parser, str]] = {
    "language": (_parse_str, "python or java (required)"),
    "memory_mb": (_parse_int, f"MB, {MEMORY_MB_MIN} to {MEMORY_MB_MAX} (required)"),
    "timeout_s": (_parse_int, f"seconds, {TIMEOUT_S_MIN} to {TIMEOUT_S_MAX}"),
    "architecture": (_parse_str, " or ".join(ARCHITECTURES)),
    "runtime": (_parse_str, "an AWS managed runtime, e.g. python3.12, java21"),
    "model_strategy": (_parse_str, ", ".join(MODEL_STRATEGIES)),
    "model_runtime": (_parse_str, ", ".join(MODEL_RUNTIMES)),
    "cold_start_mitigation": (_parse_str, ", ".join(COLD_START_MITIGATIONS)),
    "provisioned_concurrency": (_parse_optional_int, "instances, with provisioned"),
    "ping_interval_minutes": (_parse_optional_int, "minutes, with ping"),
    "reserved_concurrency": (_parse_optional_int, "instances"),
    "log_retention_days": (_parse_int, "days, one of CloudWatch's values"),
    "api_throttle_burst": (_parse_int, "requests"),
    "api_throttle_rate": (_parse_float, "requests per second"),
    "authorization": (_parse_str, " or ".join(AUTHORIZATIONS)),
    "environment": (_parse_environment, "a map of extra environment variables"),
}
_REQUIRED = ("language", "memory_mb")


def _type_problems(values: dict[str, Any]) -> list[str]:
    """Wrong Python types given to ``StackSettings(...)`` directly (the parsers never make them)."""
    problems = []
    for key, (parse, expected) in CONFIG_KEYS.items():
        value = values[key]
        if key == "runtime" and value == "":
            continue
        kind: dict[_Parser, type] = {
            _parse_str: str,
            _parse_int: int,
            _parse_optional_int: int,
            _parse_float: float,
        }
        wanted = kind.get(parse)
        if wanted is None:
            if not isinstance(value, Mapping):
                problems.append(f"{key} must be a mapping of strings, not {value!r}")
            continue
        if value is None and parse is _parse_optional_int:
            continue
        if wanted is float and isinstance(value, int) and not isinstance(value, bool):
            values[key] = float(value)
            continue
        if not isinstance(value, wanted) or isinstance(value, bool):
            problems.append(f"{key} must be {wanted.__name__} ({expected}), not {value!r}")
    return problems


def _key(name: str) -> str:
    return f"{PROJECT}:{name}"


def _complete(values: dict[str, Any]) -> None:
    """Fill in what derives from other settings (in place; unknown languages left alone)."""
    language = values.get("language")
    if isinstance(language, str) and language in HANDLERS:
        if not values.get("runtime"):
            values["runtime"] = DEFAULT_RUNTIMES[language]
        values["handler"] = HANDLERS[language]
    if (
        values.get("cold_start_mitigation") == "ping"
        and values.get("ping_interval_minutes") is None
    ):
        values["ping_interval_minutes"] = DEFAULT_PING_INTERVAL_MINUTES
    warnings = []
    timeout_s = values.get("timeout_s")
    if isinstance(timeout_s, int) and timeout_s > API_GATEWAY_TIMEOUT_S:
        warnings.append(
            f"{_key('timeout_s')} is {timeout_s} s but API Gateway stops waiting after "
            f"{API_GATEWAY_TIMEOUT_S} s: HTTP callers get an error while the function runs on"
        )
    values["warnings"] = tuple(warnings)


def _choice(
    problems: list[str], values: Mapping[str, Any], key: str, allowed: Iterable[str]
) -> None:
    value = values.get(key)
    allowed = tuple(allowed)
    if value is not None and value not in allowed:
        problems.append(f"{_key(key)} is {value!r}; use one of: {', '.join(allowed)}")


def _within(
    problems: list[str], values: Mapping[str, Any], key: str, low: float, high: float, unit: str
) -> None:
    value = values.get(key)
    if value is not None and not low <= value <= high:
        problems.append(f"{_key(key)} is {value}; it must be {low:g} to {high:g} {unit}")


def _problems(values: Mapping[str, Any]) -> list[str]:
    """Every problem with a (possibly partial) set of settings; keys that failed to parse are
    absent and are not checked again."""
    problems: list[str] = []
    name = values.get("name", "")
    if not isinstance(name, str) or not _STACK_NAME.fullmatch(name) or len(name) > STACK_NAME_MAX:
        problems.append(
            f"stack name {name!r} must be 1 to {STACK_NAME_MAX} letters, digits, '-' or '_' "
            f"(it names the Lambda function {PROJECT}-<stack>, at most 64 characters)"
        )
    language = values.get("language")
    _choice(problems, values, "language", LANGUAGES)
    _within(problems, values, "memory_mb", MEMORY_MB_MIN, MEMORY_MB_MAX, "MB")
    _within(problems, values, "timeout_s", TIMEOUT_S_MIN, TIMEOUT_S_MAX, "seconds")
    _choice(problems, values, "architecture", ARCHITECTURES)
    runtime = values.get("runtime")
    if (
        isinstance(language, str)
        and language in RUNTIMES
        and runtime
        and runtime not in RUNTIMES[language]
    ):
        problems.append(
            f"{_key('runtime')} is {runtime!r}, not a {language} runtime the function supports; "
            f"use one of: {', '.join(RUNTIMES[language])}"
        )
    _choice(problems, values, "model_strategy", MODEL_STRATEGIES)
    _choice(problems, values, "model_runtime", MODEL_RUNTIMES)
    problems.extend(_model_runtime_problems(values))
    _choice(problems, values, "cold_start_mitigation", COLD_START_MITIGATIONS)
    _choice(problems, values, "authorization", AUTHORIZATIONS)
    mitigation = values.get("cold_start_mitigation")
    provisioned = values.get("provisioned_concurrency")
    reserved = values.get("reserved_concurrency")
    ping_minutes = values.get("ping_interval_minutes")
    if mitigation == "provisioned" and provisioned is None:
        problems.append(
            f"{_key('cold_start_mitigation')} is 'provisioned' but {_key('provisioned_concurrency')}"
            " is not set; give the number of instances to keep initialised"
        )
    if provisioned is not None:
        if mitigation == "snapstart":
            problems.append(
                "SnapStart does not support provisioned concurrency (AWS Lambda docs); remove "
                f"{_key('provisioned_concurrency')} or choose cold_start_mitigation: provisioned"
            )
        elif mitigation != "provisioned":
            problems.append(
                f"{_key('provisioned_concurrency')} is set but {_key('cold_start_mitigation')} is "
                f"{mitigation!r}; it is only used with 'provisioned'"
            )
        if provisioned < 1:
            problems.append(f"{_key('provisioned_concurrency')} is {provisioned}; it must be >= 1")
        elif reserved is not None and provisioned > reserved:
            problems.append(
                f"{_key('provisioned_concurrency')} ({provisioned}) exceeds "
                f"{_key('reserved_concurrency')} ({reserved}); Lambda refuses that"
            )
    if mitigation == "snapstart" and runtime and runtime not in SNAPSTART_RUNTIMES:
        problems.append(
            f"SnapStart is not available on runtime {runtime!r}; AWS supports it on Java 11+ and "
            f"Python 3.12+ (here: {', '.join(sorted(SNAPSTART_RUNTIMES))})"
        )
    if ping_minutes is not None:
        if mitigation != "ping":
            problems.append(
                f"{_key('ping_interval_minutes')} is set but {_key('cold_start_mitigation')} is "
                f"{mitigation!r}; it is only used with 'ping'"
            )
        _within(
            problems, values, "ping_interval_minutes",
            PING_INTERVAL_MINUTES_MIN, PING_INTERVAL_MINUTES_MAX, "minutes",
        )  # fmt: skip
    if reserved is not None and reserved < 1:
        problems.append(
            f"{_key('reserved_concurrency')} is {reserved}; it must be >= 1 (0 would throttle "
            "every request); leave it unset to use the account's pool"
        )
    retention = values.get("log_retention_days")
    if retention is not None and retention not in LOG_RETENTION_DAYS:
        problems.append(
            f"{_key('log_retention_days')} is {retention}; CloudWatch Logs accepts only: "
            f"{', '.join(map(str, LOG_RETENTION_DAYS))}"
        )
    burst = values.get("api_throttle_burst")
    if burst is not None and burst < 1:
        problems.append(f"{_key('api_throttle_burst')} is {burst}; it must be >= 1")
    rate = values.get("api_throttle_rate")
    if rate is not None and not rate > 0:
        problems.append(f"{_key('api_throttle_rate')} is {rate}; it must be > 0 requests/s")
    region = values.get("region")
    if region is not None and (not isinstance(region, str) or not _REGION.fullmatch(region)):
        problems.append(f"aws:region is {region!r}; use an AWS region name such as us-east-1")
    environment = values.get("environment")
    if isinstance(environment, Mapping):
        for env_name in environment:
            if not _ENV_NAME.fullmatch(env_name):
                problems.append(
                    f"{_key('environment')}: {env_name!r} is not a valid variable name "
                    "(letters, digits, '_', starting with a letter)"
                )
            elif env_name in RESERVED_ENVIRONMENT:
                problems.append(
                    f"{_key('environment')}: {env_name} is set by Lambda or derived from "
                    "model_strategy and model_runtime; remove it"
                )
        size = sum(len(k.encode()) + len(v.encode()) for k, v in environment.items())
        if size > ENVIRONMENT_BYTES_MAX:
            problems.append(
                f"{_key('environment')} is {size} bytes; Lambda allows 4 KB for all variables "
                f"and the model's need some, so keep it under {ENVIRONMENT_BYTES_MAX}"
            )
    return problems


def _model_runtime_problems(values: Mapping[str, Any]) -> list[str]:
    """What a framework model runtime cannot be combined with."""
    model_runtime = values.get("model_runtime")
    if model_runtime not in MODEL_RUNTIMES or model_runtime == "artifact":
        return []
    key = _key("model_runtime")
    problems = []
    if values.get("language") == "java":
        problems.append(
            f"{key} is {model_runtime!r} but the Java function serves the artifact only (the Java "
            "TensorFlow bindings are not obtainable here); use language: python or "
            "model_runtime: artifact"
        )
        return problems
    runtime = values.get("runtime")
    if runtime and runtime not in FRAMEWORK_RUNTIMES:
        problems.append(
            f"{key} is {model_runtime!r}, which needs an Amazon Linux 2023 runtime with the "
            f"framework's wheels; {_key('runtime')} is {runtime!r}: use one of "
            f"{', '.join(FRAMEWORK_RUNTIMES)}"
        )
    strategy = values.get("model_strategy")
    if strategy == "s3":
        problems.append(
            f"{key} is {model_runtime!r}, which serves the export shipped in the package; "
            f"{_key('model_strategy')} s3 is for the artifact runtime only: use bundled"
            + (" or layer" if model_runtime == "litert" else "")
        )
    if model_runtime == "tensorflow":
        # TensorFlow is beyond the 250 MB zip limit, so this runtime ships as a container image,
        # and Lambda gives an image function neither layers nor SnapStart.
        if strategy == "layer":
            problems.append(
                f"{key} 'tensorflow' is deployed as a container image, which cannot use layers; "
                f"set {_key('model_strategy')} to bundled"
            )
        if values.get("cold_start_mitigation") == "snapstart":
            problems.append(
                f"{key} 'tensorflow' is deployed as a container image, which SnapStart does not "
                "support; choose another cold_start_mitigation (none, ping, provisioned)"
            )
    return problems


def parse_settings(
    name: str,
    raw: Mapping[str, object],
    *,
    region: object = None,
    source: str = "",
    unknown_keys: Iterable[str] = (),
) -> StackSettings:
    """Settings from raw config values (strings from Pulumi, or YAML scalars), every problem
    reported at once. ``raw`` is keyed by bare key (``memory_mb``)."""
    problems: list[str] = []
    for key in sorted(unknown_keys):
        problems.append(f"unknown setting {_key(key)}; known: {', '.join(CONFIG_KEYS)}")
    values: dict[str, Any] = {
        f.name: f.default for f in fields(StackSettings) if isinstance(f.default, int | float | str)
    }
    values.update(name=name, environment={}, provisioned_concurrency=None)
    values.update(ping_interval_minutes=None, reserved_concurrency=None)
    for key in _REQUIRED:
        if raw.get(key) is None:
            values.pop(key, None)
            problems.append(f"{_key(key)} is missing; it is {CONFIG_KEYS[key][1]}")
    for key, (parse, expected) in CONFIG_KEYS.items():
        if key not in raw or (key in _REQUIRED and raw[key] is None):
            continue
        value = raw[key]
        if isinstance(value, Mapping) and "secure" in value:
            problems.append(f"{_key(key)} is a secret; this setting must be plain text")
            values.pop(key, None)
            continue
        try:
            values[key] = parse(value)
        except _Unparsable as error:
            problems.append(f"{_key(key)} is {value!r}; expected {error} ({expected})")
            values.pop(key, None)
    values["region"] = DEFAULT_REGION if region is None else region
    _complete(values)
    problems.extend(_problems(values))
    if problems:
        raise SettingsError(name, problems, source=source)
    values.pop("handler", None)
    values.pop("warnings", None)
    return StackSettings(**values)


def load_stack_file(path: Path) -> StackSettings:
    """Settings from a ``Pulumi.<stack>.yaml`` file (the stack name comes from the file name)."""
    path = Path(path)
    name = _stack_name_of(path)
    if name is None:
        raise SettingsError(
            path.name, [f"{path} is not a stack file; stack files are named Pulumi.<stack>.yaml"]
        )
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise SettingsError(name, [f"cannot read {path}: {error.strerror or error}"]) from None
    except yaml.YAMLError as error:
        raise SettingsError(name, [f"{path} is not valid YAML: {error}"]) from None
    if document is None:
        document = {}
    if not isinstance(document, Mapping):
        raise SettingsError(
            name, ["the file must be a YAML map with a `config:` map"], source=str(path)
        )
    config = document.get("config") or {}
    if not isinstance(config, Mapping):
        raise SettingsError(name, ["`config:` must be a map of key: value"], source=str(path))
    raw: dict[str, object] = {}
    unknown: list[str] = []
    region: object = None
    for full_key, value in config.items():
        namespace, _, key = str(full_key).rpartition(":")
        if namespace in ("", PROJECT):
            if key in CONFIG_KEYS:
                raw[key] = value
            else:
                unknown.append(key)
        elif full_key == "aws:region":
            region = value
        # Other namespaces (aws:profile, pulumi:tags, ...) belong to Pulumi and its providers.
    return parse_settings(name, raw, region=region, source=str(path), unknown_keys=unknown)


def load_stack(name: str, root: Path | None = None) -> StackSettings:
    """Settings of the stack ``name`` from ``<root>/Pulumi.<name>.yaml`` (root: the repo)."""
    root = ROOT if root is None else Path(root)
    path = root / f"Pulumi.{name}.yaml"
    if not path.is_file():
        known = ", ".join(list_stacks(root)) or "none"
        raise SettingsError(name, [f"no stack file {path}; stacks here: {known}"], source=str(root))
    return load_stack_file(path)


def list_stacks(root: Path | None = None) -> list[str]:
    """Names of every ``Pulumi.<stack>.yaml`` under ``root`` (the repo by default), sorted."""
    root = ROOT if root is None else Path(root)
    names = (_stack_name_of(path) for path in root.glob("Pulumi.*.yaml"))
    return sorted(name for name in names if name)


def from_config(
    name: str,
    get: Callable[[str], str | None],
    region: str | None,
    *,
    keys: Iterable[str] | None = None,
) -> StackSettings:
    """Settings from Pulumi config: ``get`` is ``pulumi.Config(PROJECT).get``.

    ``keys``, when given, are the project's config keys that are set (bare names), so that a
    misspelt key is reported as in ``load_stack_file``.
    """
    raw: dict[str, object] = {}
    for key in CONFIG_KEYS:
        value = get(key)
        if value is not None:
            raw[key] = value
    unknown = [key for key in (keys or ()) if key not in CONFIG_KEYS]
    return parse_settings(name, raw, region=region, source="Pulumi config", unknown_keys=unknown)


def model_key(model_version: str) -> str:
    """The S3 key of the artifact: versioned, so a new model never overwrites a served one."""
    return f"models/{model_version}/model.zip"


def model_env(
    settings: StackSettings,
    model_version: str,
    bucket: str | None = None,
    key: str | None = None,
    *,
    task_root: str = "/var/task",
    layer_root: str = "/opt",
) -> dict[str, str]:
    """The function's whole environment: the stack's extra variables plus the model's.

    ``bundled`` → ``MODEL_PATH=<task_root>/model.zip``; ``layer`` → ``<layer_root>/model.zip``
    (Lambda mounts layers at /opt); ``s3`` → ``MODEL_BUCKET`` and ``MODEL_KEY``. A framework
    model runtime adds ``MODEL_RUNTIME`` (the artifact runtime is the function's default, so its
    environment is unchanged). The emulator passes its own directories as
    ``task_root``/``layer_root``.
    """
    environment = dict(settings.environment)
    environment["MODEL_VERSION"] = model_version
    if settings.model_runtime != "artifact":
        environment["MODEL_RUNTIME"] = settings.model_runtime
    if settings.model_strategy == "bundled":
        environment["MODEL_PATH"] = f"{task_root}/model.zip"
    elif settings.model_strategy == "layer":
        environment["MODEL_PATH"] = f"{layer_root}/model.zip"
    else:
        if not bucket or not key:
            raise ValueError(
                f"stack {settings.name} loads its model from S3: model_env needs bucket and key"
            )
        environment["MODEL_BUCKET"] = bucket
        environment["MODEL_KEY"] = key
    return dict(sorted(environment.items()))


def ping_event() -> dict[str, Any]:
    """The event a ``ping`` schedule sends: an HTTP API payload-2.0 ``GET /health``, so the
    function answers it through its ordinary route and records nothing unusual."""
    return {
        "version": "2.0",
        "routeKey": "GET /health",
        "rawPath": "/health",
        "rawQueryString": "",
        "headers": {"user-agent": f"{PROJECT}-ping"},
        "requestContext": {
            "http": {
                "method": "GET",
                "path": "/health",
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": f"{PROJECT}-ping",
            },
            "requestId": "ping",
            "routeKey": "GET /health",
            "stage": "$default",
            "timeEpoch": 0,
        },
        "isBase64Encoded": False,
    }


def _stack_name_of(path: Path) -> str | None:
    file_name = path.name
    if file_name.startswith("Pulumi.") and file_name.endswith(".yaml"):
        name = file_name[len("Pulumi.") : -len(".yaml")]
        return name or None
    return None
