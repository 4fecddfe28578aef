"""A stack's settings: the validated type (and its frozen environment), checked once, when it
is constructed.

``stack._loading`` turns a stack file or Pulumi config into one; the settings a file may give
are in ``stack._schema``, their defaults in ``stack._defaults``, their checks in
``stack._checks``; AWS's limits are in ``stack._limits`` and what the functions support in
``contract``. No Pulumi here.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, fields

from contract import API_GATEWAY_TIMEOUT_S, log_group_name
from stack._checks import problems_of
from stack._defaults import complete
from stack._errors import SettingsError
from stack._limits import (
    DEFAULT_API_THROTTLE_BURST,
    DEFAULT_API_THROTTLE_RATE,
    DEFAULT_NAME_PREFIX,
    DEFAULT_REGION,
)
from stack._schema import type_problems


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
        problems = type_problems(values)
        if problems:
            raise SettingsError(self.name, problems)
        complete(values)
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
