"""A stack's settings: the validated type, checked once, when it is constructed.

``stack._loading`` turns a stack file or Pulumi config into one; AWS's limits are in
``stack._limits`` and what the functions support in ``contract``. No Pulumi here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from contract import (
    ACCOUNT_CONCURRENCY,
    API_GATEWAY_TIMEOUT_S,
    AUTHORIZATIONS,
    DEFAULT_RUNTIMES,
    FUNCTION_NAME_MAX,
    FUNCTION_RUNTIMES,
    HANDLERS,
    LANGUAGES,
    LOG_FORMATS,
    MEMORY_MB_MAX,
    MEMORY_MB_MIN,
    MODEL_FILE,
    MODEL_RUNTIMES,
    MODEL_STRATEGIES,
    PROJECT,
    RUNTIMES,
    STACK_KINDS,
    TIMEOUT_S_MAX,
    TIMEOUT_S_MIN,
    WORKER_HANDLER,
    log_group_name,
)
from stack._errors import SettingsError
from stack._limits import (
    ARCHITECTURES,
    COLD_START_MITIGATIONS,
    DEFAULT_API_THROTTLE_BURST,
    DEFAULT_API_THROTTLE_RATE,
    DEFAULT_PING_INTERVAL_MINUTES,
    DEFAULT_REGION,
    DEFAULT_WORKERS_MAX,
    ENVIRONMENT_BYTES_MAX,
    FRAMEWORK_RUNTIMES,
    LOG_RETENTION_DAYS,
    PING_INTERVAL_MINUTES_MAX,
    PING_INTERVAL_MINUTES_MIN,
    PING_RULE_SUFFIX,
    RESERVED_ENVIRONMENT,
    SNAPSTART_RUNTIMES,
    STACK_NAME_MAX,
    WORKER_ARCHITECTURES,
    WORKER_RUNTIMES,
)

# Pulumi names a stack's buckets after the stack (``<stack>-models-<random>``), so a stack name
# must be what S3 takes at the start of a bucket name: lower case letters, digits and '-',
# starting with a letter or digit, and not one of the prefixes S3 reserves.
_BUCKET_SAFE_NAME = re.compile(r"[a-z0-9][a-z0-9-]*")
_BUCKET_RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_NAME_PREFIX = re.compile(r"[a-z][a-z0-9-]*")
#: The longest ``name_prefix``: room for a stack name in Lambda's 64-character function names.
NAME_PREFIX_MAX = 32
#: Published versions kept by default: the one alias ``live`` serves and one to roll back to.
DEFAULT_VERSIONS_KEPT = 2
VERSIONS_KEPT_MAX = 100
#: The default ``name_prefix``: functions are named ``lambda-model-study-<stack>``.
DEFAULT_NAME_PREFIX = f"{PROJECT}-"
_ENV_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-\d+")


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
    A ``loadgen-worker`` stack runs the load generator's worker (``contract.WORKER_HANDLER``)
    and takes no model settings; ``workers_max`` defaults to 100 there.
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
    #: Who scores requests (Python only): ``artifact`` (the evaluator), ``litert``, ``tensorflow``,
    #: ``onnx``.
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
    #: The function's log format (Lambda's LoggingConfig): ``text`` (REPORT lines) or ``json``
    #: (platform.report records); the report reads both.
    log_format: str = "text"
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
    #: ``model`` (the model-serving function behind an HTTP API) or ``loadgen-worker``.
    kind: str = "model"
    #: ``loadgen-worker`` only: the most workers a run may start (each one Lambda instance).
    workers_max: int | None = None
    #: ``loadgen-worker`` only: the stacks whose HTTP APIs the workers may load, comma-separated
    #: (their role may ``execute-api:Invoke`` those APIs and no other); empty: none.
    invoke_targets: str = ""
    #: What the function, its log groups, layer, image repository and ping rule are named
    #: after: ``<name_prefix><stack>``. Two people deploying one stack into one account set
    #: different prefixes (e.g. ``alice-lms-``) so that these fixed names do not collide.
    name_prefix: str = DEFAULT_NAME_PREFIX
    #: ``provisioned`` and ``snapstart`` only: the published versions ``python -m stack
    #: prune-versions`` keeps (Pulumi deletes none; Python SnapStart bills each one's cache).
    versions_kept: int | None = None
    #: ``function`` only: the function's code, a directory or a .zip (a .jar for Java),
    #: relative to the project directory (or absolute).
    code: str = ""
    #: ``function`` only: the requirements file installed beside the code (default:
    #: ``<code>/requirements.txt`` when there is one), relative to the project directory.
    requirements: str = ""
    #: ``function`` only: a Dockerfile to build the function as a container image.
    image: str = ""
    #: ``function`` only: layer archives (.zip) or folders, comma-separated, mounted at /opt.
    layers: str = ""
    #: ``function`` only: the HTTP API's route keys (``GET /items,POST /items``), or
    #: ``$default`` (one proxy route taking every request: the default).
    routes: str = ""
    #: ``function`` only: the request set the load generator sends (contract.read_request_set).
    requests: str = ""
    #: ``function`` only: a top-level JSON field every answer's body must hold to count as
    #: correct (besides a 2xx status); empty: any 2xx answer is correct.
    expect_field: str = ""
    #: Settings that are valid but probably not what the user wants (e.g. timeout > 30 s).
    warnings: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        problems = _type_problems(values)
        if problems:
            raise SettingsError(self.name, problems)
        _complete(values)
        problems = problems_of(values)
        if problems:
            raise SettingsError(self.name, problems)
        values["environment"] = _FrozenEnvironment(values["environment"])
        for key, value in values.items():
            object.__setattr__(self, key, value)

    @property
    def function_name(self) -> str:
        """The Lambda function's name, ``<name_prefix><stack>``: fixed, so that its log group
        can exist before it."""
        return f"{self.name_prefix}{self.name}"

    @property
    def log_group_name(self) -> str:
        """The function's log group, the one Lambda writes to."""
        return log_group_name(self.function_name)

    @property
    def needs_alias(self) -> bool:
        """Provisioned concurrency and SnapStart apply to a published version, via alias
        ``live``."""
        return self.cold_start_mitigation in ("provisioned", "snapstart")

    @property
    def target_stacks(self) -> tuple[str, ...]:
        """``invoke_targets`` as stack names, in the order given."""
        return tuple(name.strip() for name in self.invoke_targets.split(",") if name.strip())

    @property
    def is_function(self) -> bool:
        """A ``function`` stack: a team's own function behind an HTTP API, no model."""
        return self.kind == "function"

    @property
    def route_keys(self) -> tuple[str, ...] | None:
        """``routes`` as route keys; None for the ``$default`` route (every request)."""
        keys = tuple(key.strip() for key in self.routes.split(",") if key.strip())
        return None if not keys or keys == ("$default",) else keys

    @property
    def layer_paths(self) -> tuple[str, ...]:
        """``layers`` as paths, in the order given (Lambda's layer order)."""
        return tuple(path.strip() for path in self.layers.split(",") if path.strip())

    @property
    def is_worker(self) -> bool:
        """A ``loadgen-worker`` stack: the load generator's worker function, no model, no API."""
        return self.kind == "loadgen-worker"


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
FUNCTION_SETTINGS = ("code", "requirements", "image", "layers", "routes", "requests",
                     "expect_field")
#: Settings a stack file must give.
REQUIRED = ("language", "memory_mb")


def _type_problems(values: dict[str, Any]) -> list[str]:
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


def _key(name: str) -> str:
    """A setting's full key in a stack file: ``lambda-model-study:<name>``."""
    return f"{PROJECT}:{name}"


def _complete(values: dict[str, Any]) -> None:
    """Fill in what derives from other settings (in place; unknown languages left alone)."""
    function = values.get("kind") == "function"
    language = values.get("language")
    runtime = values.get("runtime")
    if function and not language and isinstance(runtime, str):
        # A function stack names its runtime; its language follows from it.
        language = values["language"] = "java" if runtime.startswith("java") else "python"
    if isinstance(language, str) and language in HANDLERS:
        if not values.get("runtime"):
            values["runtime"] = DEFAULT_RUNTIMES[language]
        if not function and not values.get("handler"):
            values["handler"] = HANDLERS[language]
    if function and not values.get("routes"):
        values["routes"] = "$default"
    worker = values.get("kind") == "loadgen-worker"
    if worker and values.get("handler") in (None, "", HANDLERS.get(str(language))):
        values["handler"] = WORKER_HANDLER
        if values.get("workers_max") is None:
            values["workers_max"] = DEFAULT_WORKERS_MAX
    if (
        values.get("cold_start_mitigation") == "ping"
        and values.get("ping_interval_minutes") is None
    ):
        values["ping_interval_minutes"] = DEFAULT_PING_INTERVAL_MINUTES
    if (
        values.get("cold_start_mitigation") in ("provisioned", "snapstart")
        and values.get("versions_kept") is None
    ):
        values["versions_kept"] = DEFAULT_VERSIONS_KEPT
    warnings = []
    timeout_s = values.get("timeout_s")
    if isinstance(timeout_s, int) and timeout_s > API_GATEWAY_TIMEOUT_S and not worker:
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


def problems_of(values: Mapping[str, Any]) -> list[str]:
    """Every problem with a (possibly partial) set of settings; keys that failed to parse are
    absent and are not checked again."""
    problems: list[str] = []
    name = values.get("name", "")
    if (
        not isinstance(name, str)
        or not _BUCKET_SAFE_NAME.fullmatch(name)
        or name.startswith(_BUCKET_RESERVED_PREFIXES)
        or len(name) > STACK_NAME_MAX
    ):
        problems.append(
            f"stack name {name!r} must be 1 to {STACK_NAME_MAX} lower-case letters, digits or "
            "'-', starting with a letter or digit and not with "
            f"{', '.join(_BUCKET_RESERVED_PREFIXES)}: S3's rule for bucket names, which are "
            f"named after the stack, and the Lambda function {PROJECT}-<stack> takes at most "
            f"{FUNCTION_NAME_MAX} characters; rename the stack file"
        )
    problems.extend(_name_prefix_problems(values, name_is_valid=not problems))
    language = values.get("language")
    _choice(problems, values, "kind", STACK_KINDS)
    _choice(problems, values, "language", LANGUAGES)
    _within(problems, values, "memory_mb", MEMORY_MB_MIN, MEMORY_MB_MAX, "MB")
    _within(problems, values, "timeout_s", TIMEOUT_S_MIN, TIMEOUT_S_MAX, "seconds")
    _choice(problems, values, "architecture", ARCHITECTURES)
    runtime = values.get("runtime")
    runtimes = FUNCTION_RUNTIMES if values.get("kind") == "function" else RUNTIMES
    if (
        isinstance(language, str)
        and language in runtimes
        and runtime
        and runtime not in runtimes[language]
    ):
        problems.append(
            f"{_key('runtime')} is {runtime!r}, not a {language} runtime the function supports; "
            f"use one of: {', '.join(runtimes[language])}"
        )
    _choice(problems, values, "model_strategy", MODEL_STRATEGIES)
    _choice(problems, values, "model_runtime", MODEL_RUNTIMES)
    problems.extend(_model_runtime_problems(values))
    _choice(problems, values, "cold_start_mitigation", COLD_START_MITIGATIONS)
    _choice(problems, values, "authorization", AUTHORIZATIONS)
    _choice(problems, values, "log_format", LOG_FORMATS)
    mitigation = values.get("cold_start_mitigation")
    provisioned = values.get("provisioned_concurrency")
    reserved = values.get("reserved_concurrency")
    ping_minutes = values.get("ping_interval_minutes")
    if mitigation == "provisioned" and provisioned is None:
        problems.append(
            f"{_key('cold_start_mitigation')} is 'provisioned' but "
            f"{_key('provisioned_concurrency')}"
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
    versions_kept = values.get("versions_kept")
    if versions_kept is not None:
        if mitigation not in ("provisioned", "snapstart"):
            problems.append(
                f"{_key('versions_kept')} is set but {_key('cold_start_mitigation')} is "
                f"{mitigation!r}; only provisioned and snapstart publish versions"
            )
        _within(problems, values, "versions_kept", 1, VERSIONS_KEPT_MAX, "versions")
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
    problems.extend(_worker_problems(values))
    problems.extend(_function_problems(values))
    return problems


_PYTHON_HANDLER = re.compile(r"(?:[A-Za-z_][\w-]*/)*[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+")
_JAVA_HANDLER = re.compile(r"[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*(?:::[A-Za-z_$][\w$]*)?")
_ROUTE_METHODS = ("ANY", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT")


def _function_problems(values: Mapping[str, Any]) -> list[str]:
    """What a ``function`` stack needs, and the function settings anywhere else. The files it
    names are checked where the project directory is known (``stack._function``)."""
    kind = values.get("kind")
    if kind != "function":
        given = [key for key in FUNCTION_SETTINGS if values.get(key)]
        problems = [f"{_key(key)} is set but {_key('kind')} is {kind!r}; it is only used with "
                    "kind: function" for key in given]
        language = values.get("language")
        derived = WORKER_HANDLER if kind == "loadgen-worker" else HANDLERS.get(str(language))
        handler = values.get("handler")
        if handler and derived and handler != derived:
            problems.append(f"{_key('handler')} is set but {_key('kind')} is {kind!r}, whose "
                            "handler is the project's own; remove it (or use kind: function)")
        return problems
    problems = []
    if not values.get("code"):
        problems.append(f"{_key('code')} is missing; give your function's directory or .zip "
                        "(relative to the project directory)")
    handler = values.get("handler")
    language = values.get("language")
    if not handler:
        example = "app.lambda_handler" if language != "java" else "example.Handler::handleRequest"
        problems.append(f"{_key('handler')} is missing; give the handler Lambda loads, e.g. "
                        f"{example}")
    elif language == "python" and not _PYTHON_HANDLER.fullmatch(handler):
        problems.append(f"{_key('handler')} is {handler!r}; a Python handler is "
                        "module.function, e.g. app.lambda_handler")
    elif language == "java" and not _JAVA_HANDLER.fullmatch(handler):
        problems.append(f"{_key('handler')} is {handler!r}; a Java handler is "
                        "pkg.Class::method (or pkg.Class)")
    model_defaults = {"model_strategy": "bundled", "model_runtime": "artifact"}
    for key, default in model_defaults.items():
        if values.get(key, default) != default:
            problems.append(f"{_key(key)} is set but a function stack serves no model of the "
                            "study; remove it")
    if values.get("cold_start_mitigation") == "ping":
        problems.append(f"{_key('cold_start_mitigation')} ping sends the study's GET /health "
                        "event, which a function of yours need not answer; use none or "
                        "provisioned")
    if values.get("image") and values.get("layers"):
        problems.append(f"{_key('image')} and {_key('layers')} are both set, but Lambda gives a "
                        "container image function no layers; put the layers' files in the image")
    if values.get("image") and language == "java":
        problems.append(f"{_key('image')} is set for a Java function; build a fat jar instead "
                        "(code: the .jar)")
    routes = str(values.get("routes") or "")
    keys = [key.strip() for key in routes.split(",") if key.strip()]
    for key in keys:
        if key == "$default":
            if len(keys) > 1:
                problems.append(f"{_key('routes')}: $default takes every request; give it alone "
                                "or list the routes")
            continue
        method, _, path = key.partition(" ")
        if method not in _ROUTE_METHODS or not path.startswith("/") or " " in path.strip():
            problems.append(f"{_key('routes')}: {key!r} is not a route key; write 'METHOD /path' "
                            f"(METHOD one of {', '.join(_ROUTE_METHODS)}), comma-separated, or "
                            "$default")
    field_name = values.get("expect_field")
    if field_name and not re.fullmatch(r"[^\s.]+", str(field_name)):
        problems.append(f"{_key('expect_field')} is {field_name!r}; give one top-level JSON "
                        "field name, e.g. prediction")
    return problems


def name_prefix_problems(prefix: str) -> list[str]:
    """What is wrong with ``prefix`` as a ``name_prefix``, on its own (no stack name)."""
    if not _NAME_PREFIX.fullmatch(prefix) or len(prefix) > NAME_PREFIX_MAX:
        return [
            (
                f"{_key('name_prefix')} is {prefix!r}; use 1 to {NAME_PREFIX_MAX} lower-case "
                "letters, digits or '-', starting with a letter (e.g. alice-lms-)"
            )
        ]
    return []


def _name_prefix_problems(values: Mapping[str, Any], *, name_is_valid: bool) -> list[str]:
    """``name_prefix`` must make valid names of every resource named after it (with the stack
    name, once that is valid itself)."""
    prefix = values.get("name_prefix")
    if not isinstance(prefix, str):
        return []
    if name_prefix_problems(prefix) or not name_is_valid:
        return name_prefix_problems(prefix)
    key = _key("name_prefix")
    name = values.get("name", "")
    # The ping rule is named <function>-ping; EventBridge takes 64 characters, Lambda 64.
    longest = FUNCTION_NAME_MAX - (
        len(PING_RULE_SUFFIX) if values.get("cold_start_mitigation") == "ping" else 0
    )
    if isinstance(name, str) and len(prefix) + len(name) > longest:
        return [
            (
                f"{key} {prefix!r} and the stack name {name!r} make a "
                f"{len(prefix) + len(name)}-character function name; at most {longest} fit: "
                "shorten the prefix"
            )
        ]
    return []


def _worker_problems(values: Mapping[str, Any]) -> list[str]:
    """What a ``loadgen-worker`` stack cannot have, and ``workers_max`` anywhere else."""
    workers_max = values.get("workers_max")
    if values.get("kind") != "loadgen-worker":
        if values.get("invoke_targets"):
            return [
                f"{_key('invoke_targets')} is set but {_key('kind')} is {values.get('kind')!r}; "
                + "it is only used with kind: loadgen-worker"
            ]
        if workers_max is not None:
            return [
                f"{_key('workers_max')} is set but {_key('kind')} is {values.get('kind')!r}; "
                + "it is only used with kind: loadgen-worker"
            ]
        return []
    problems = []
    if values.get("language") not in (None, "python"):
        problems.append(
            f"{_key('kind')} is 'loadgen-worker', whose worker is the Python load generator; "
            f"set {_key('language')} to python"
        )
    runtime = values.get("runtime")
    if runtime and runtime not in WORKER_RUNTIMES:
        problems.append(
            f"{_key('runtime')} is {runtime!r}; the worker's wheels are built for "
            f"{', '.join(WORKER_RUNTIMES)}: use one of those"
        )
    architecture = values.get("architecture")
    if architecture in ARCHITECTURES and architecture not in WORKER_ARCHITECTURES:
        problems.append(
            f"{_key('architecture')} is {architecture!r} but hdrhistogram, which the worker needs, "
            f"has wheels for {', '.join(WORKER_ARCHITECTURES)} only; use that"
        )
    model_defaults = {
        "model_strategy": "bundled", "model_runtime": "artifact", "cold_start_mitigation": "none",
        "provisioned_concurrency": None, "ping_interval_minutes": None,
    }  # fmt: skip
    for key, default in model_defaults.items():
        if values.get(key, default) != default:
            problems.append(
                f"{_key(key)} is set but a loadgen-worker stack serves no model; remove it"
            )
    _within(problems, values, "workers_max", 1, ACCOUNT_CONCURRENCY, "workers")
    targets = str(values.get("invoke_targets") or "")
    for target in (name.strip() for name in targets.split(",")):
        if target and not _BUCKET_SAFE_NAME.fullmatch(target):
            problems.append(
                f"{_key('invoke_targets')}: {target!r} is not a stack name (lower-case letters, "
                "digits or '-'); list the stacks the workers may load, comma-separated"
            )
    reserved = values.get("reserved_concurrency")
    if isinstance(workers_max, int) and isinstance(reserved, int) and reserved < workers_max:
        problems.append(
            f"{_key('reserved_concurrency')} ({reserved}) is below {_key('workers_max')} "
            f"({workers_max}): workers past it would be throttled; raise it or lower workers_max"
        )
    return problems


def model_key(model_version: str) -> str:
    """The S3 key of the artifact: versioned, so a new model never overwrites a served one."""
    return f"models/{model_version}/{MODEL_FILE}"


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
            + (" or layer" if model_runtime != "tensorflow" else "")
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
