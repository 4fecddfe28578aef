"""What the emulator hosts (a function spec) and how (the emulator's options).

A :class:`FunctionSpec` is everything Lambda and API Gateway need to know about one stack's
function: it is built from a stack's settings and package by
:func:`emulator._stacks.spec_from_stack`, or directly (tests, benchmarks) from a code archive.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from contract import (
    API_GATEWAY_TIMEOUT_S,
    AUTHORIZATIONS,
    DEFAULT_KEEP_ALIVE_S,
    DEFAULT_RUNTIMES,
    INIT_TIMEOUT_S,
    LANGUAGES,
    LOG_FORMATS,
    MEMORY_MB_MAX,
    MEMORY_MB_MIN,
    MODEL_RUNTIMES,
    ROUTE_KEYS,
    STACK_KINDS,
    TIMEOUT_S_MAX,
)

from ._errors import EmulatorConfigError
from .gateway._sigv4 import StaticCredentials

#: A connection is closed when no complete request head has arrived this long after it opened
#: or after its previous response (idle keep-alive and half-sent heads alike), or when a
#: request's body takes longer than this. API Gateway documents no such value: this is ours.
CONNECTION_TIMEOUT_S = 60.0
#: Lambda: default account concurrency is 1,000; a laptop cannot hold that many processes.
DEFAULT_ACCOUNT_CONCURRENCY = 100
#: SeBS (2020) saw AWS reclaim about half of the idle instances every 6 minutes.
SEBS_PERIOD_S = 360.0
#: The client's round trip to the region for the study's setting, a client outside AWS calling
#: a region over the internet: 78.75 ms measured from eu-west-1 to ca-central-1 (Charette,
#: June 2021; docs/emulator.md, "The network path"), rounded to 80.
DEFAULT_CLIENT_RTT_MS = 80.0
#: API Gateway HTTP API's own processing per request (CloudWatch ``Latency`` minus
#: ``IntegrationLatency``); the source and how to measure yours: docs/emulator.md.
DEFAULT_GATEWAY_LATENCY_MS = 10.0

_POLICIES = ("fixed", "sebs")
#: the init phase's CPU: ``burst`` (the model calibrated on AWS's measurements) or ``share``
INIT_CPU_MODES = ("burst", "share")
#: ``burst``: init runs with this many vCPUs (or the memory share, if larger); then the quota
#: falls to the memory share before the first invocation. docs/emulator.md, "The init phase's CPU"
INIT_BURST_VCPU = 2.0


@dataclass(frozen=True, kw_only=True)
class S3Object:
    """An artifact the emulator serves on its local S3 endpoint (model strategy ``s3``)."""

    bucket: str
    key: str
    path: Path


@dataclass(frozen=True, kw_only=True)
class FunctionSpec:
    """One function behind one HTTP API, as Lambda and API Gateway see it."""

    #: the stack's name; also the function name in logs and ARNs
    name: str
    language: str
    memory_mb: int
    timeout_s: float
    #: ``module.function`` (Python) or ``package.Class::method`` (Java)
    handler: str
    #: the package: a code archive, or a folder (an unzipped archive, an image context's function
    #: folder), unpacked (copied) once per run into the read-only tree the instances' task root is
    code_zip: Path
    #: the layer archive, unpacked once per run into the instances' ``opt`` tree (Lambda's ``/opt``)
    layer_zip: Path | None = None
    runtime: str = ""
    architecture: str = "x86_64"
    region: str = "us-east-1"
    environment: Mapping[str, str] = field(default_factory=dict)
    reserved_concurrency: int | None = None
    provisioned_concurrency: int = 0
    #: SnapStart: init runs once at start (the version's publish); every instance then starts
    #: as a restore (init type ``snap-start``, ``Restore Duration`` on its first REPORT)
    snapstart: bool = False
    #: invoke the function on a schedule to keep an instance warm (mitigation ``ping``)
    ping_interval_minutes: float | None = None
    api_throttle_burst: int | None = None
    api_throttle_rate: float | None = None
    #: ``None``: the ``$default`` route takes every request; else "METHOD /path" route keys
    routes: tuple[str, ...] | None = ROUTE_KEYS
    #: artifacts served on the local S3 endpoint
    s3_objects: tuple[S3Object, ...] = ()
    #: ``artifact`` (standard library only), ``litert``, ``tensorflow`` or ``onnx``: the others
    #: get a dependency folder built for the host's Python unless ``dependencies_dir`` names one
    model_runtime: str = "artifact"
    #: third-party packages for the package, ahead of it on the path (docs/emulator.md)
    dependencies_dir: Path | None = None
    #: the platform's log lines: ``text`` (START, END, REPORT) or ``json`` (platform.start,
    #: platform.runtimeDone, platform.report records), as the stack's ``log_format`` says
    log_format: str = "text"
    #: ``iam``: the front door admits only requests SigV4-signed with the emulator's
    #: credentials (API Gateway's AWS_IAM routes); ``none``: every request
    authorization: str = "none"
    #: ``model`` or ``function``: behind its own HTTP API (a front door); ``loadgen-worker``:
    #: the load generator's worker, which has no HTTP API (invoked through the Lambda API, as
    #: every function can be)
    kind: str = "model"
    #: buckets created at start on the emulator's local S3 (moto's server, started only when a
    #: function names one); the function's instances get its endpoint (AWS_ENDPOINT_URL_S3)
    #: and the emulator's credentials, so boto3 in them writes there
    buckets: tuple[str, ...] = ()
    #: the third-party distributions the package carries built for AWS's Python (python3.12,
    #: manylinux): the instances get them for the host's Python, from the emulator's installed
    #: versions (``_pyruntime``), ahead of the package's own copies
    host_distributions: tuple[str, ...] = ()
    #: the stacks (front doors) whose HTTP APIs this function's role may ``execute-api:Invoke``
    #: (a worker stack's ``invoke_targets``); its instances sign with the role's credentials
    invoke_targets: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        problems = validate_spec(self)
        if problems:
            raise EmulatorConfigError(
                f"function spec {self.name!r} is invalid: " + "; ".join(problems)
            )
        object.__setattr__(self, "environment", MappingProxyType(dict(self.environment)))
        if not self.runtime:
            # The stacks' default, so a spec built by hand names what a stack file would.
            object.__setattr__(self, "runtime", DEFAULT_RUNTIMES[self.language])


def validate_spec(spec: FunctionSpec) -> list[str]:
    """Every problem with ``spec`` at once (empty when it is valid)."""
    problems: list[str] = []
    if not spec.name or any(c in spec.name for c in "/\\ \t\n"):
        problems.append(f"name {spec.name!r} must be non-empty without slashes or spaces")
    if spec.language not in LANGUAGES:
        problems.append(f"language {spec.language!r} must be one of {', '.join(LANGUAGES)}")
    if not MEMORY_MB_MIN <= spec.memory_mb <= MEMORY_MB_MAX:
        problems.append(
            f"memory_mb {spec.memory_mb} must be within "
            f"{MEMORY_MB_MIN}..{MEMORY_MB_MAX}"
            " (Lambda's range)"
        )
    if not (math.isfinite(spec.timeout_s) and 0 < spec.timeout_s <= TIMEOUT_S_MAX):
        problems.append(
            f"timeout_s {spec.timeout_s} must be within (0, {TIMEOUT_S_MAX}] s (Lambda's range)"
        )
    if spec.language == "python" and "." not in spec.handler:
        problems.append(f"handler {spec.handler!r} must look like 'module.function'")
    if spec.language == "java" and not spec.handler.split("::")[0]:
        problems.append(f"handler {spec.handler!r} must look like 'package.Class::method'")
    if not Path(spec.code_zip).exists():
        problems.append(
            f"code archive or package folder {spec.code_zip} does not exist (build the "
            "package first)"
        )
    if spec.dependencies_dir is not None and not Path(spec.dependencies_dir).is_dir():
        problems.append(f"dependency folder {spec.dependencies_dir} is not a directory")
    if spec.model_runtime not in MODEL_RUNTIMES:
        problems.append(
            f"model_runtime {spec.model_runtime!r} must be one of {', '.join(MODEL_RUNTIMES)}"
        )
    if spec.layer_zip is not None and not Path(spec.layer_zip).is_file():
        problems.append(f"layer archive {spec.layer_zip} does not exist")
    if spec.reserved_concurrency is not None and spec.reserved_concurrency < 0:
        problems.append("reserved_concurrency must be >= 0")
    if spec.provisioned_concurrency < 0:
        problems.append("provisioned_concurrency must be >= 0")
    if spec.snapstart and spec.provisioned_concurrency:
        problems.append(
            "snapstart and provisioned_concurrency exclude each other (as on AWS); set one of them"
        )
    if spec.ping_interval_minutes is not None and spec.ping_interval_minutes <= 0:
        problems.append("ping_interval_minutes must be > 0")
    if spec.log_format not in LOG_FORMATS:
        problems.append(
            f"log_format {spec.log_format!r} must be " + " or ".join(map(repr, LOG_FORMATS))
        )
    if spec.authorization not in AUTHORIZATIONS:
        problems.append(
            f"authorization {spec.authorization!r} must be "
            + " or ".join(map(repr, AUTHORIZATIONS))
        )
    if spec.kind not in STACK_KINDS:
        problems.append(f"kind {spec.kind!r} must be one of {', '.join(STACK_KINDS)}")
    for bucket in spec.buckets:
        if not (
            3 <= len(bucket) <= 63
            and bucket.replace("-", "").replace(".", "").isalnum()
            and bucket == bucket.lower()
        ):
            problems.append(f"bucket {bucket!r} is not a valid S3 bucket name")
    for route in spec.routes or ():
        method, _, path = route.partition(" ")
        if not method or not path.startswith("/"):
            problems.append(f"route {route!r} must look like 'METHOD /path'")
    return problems


@dataclass(frozen=True, kw_only=True)
class EmulatorOptions:
    """How the emulator behaves; every default is Lambda's or API Gateway's where one exists."""

    #: the keep-alive clock runs this many times faster (timeouts stay in real seconds)
    time_scale: float = 1.0
    #: idle time (in scaled seconds) after which the ``fixed`` policy reclaims an instance
    keep_alive_s: float = DEFAULT_KEEP_ALIVE_S
    #: ``fixed`` (reclaim after keep_alive_s idle) or ``sebs`` (half of the idle ones every 6 min)
    idle_policy: str = "fixed"
    #: concurrency shared by all stacks when a stack has no reserved concurrency
    account_concurrency: int = DEFAULT_ACCOUNT_CONCURRENCY
    init_timeout_s: float = INIT_TIMEOUT_S
    integration_timeout_s: float = float(API_GATEWAY_TIMEOUT_S)
    #: idle connections and requests not fully sent are closed after this (docs/emulator.md)
    connection_timeout_s: float = CONNECTION_TIMEOUT_S
    #: where cgroup controllers are mounted; a directory that is not a cgroup fs disables limits
    cgroup_root: Path = Path("/sys/fs/cgroup")
    #: ``False`` runs instances unthrottled even when cgroups are writable
    cpu_limits: bool = True
    #: the init phase's CPU: ``burst`` (up to INIT_BURST_VCPU, then the memory share from the
    #: first ``next`` on) or ``share`` (the memory share throughout)
    init_cpu: str = "burst"
    #: scratch space: the instances' folders and unpacked packages, the compiled Java bootstrap
    work_dir: Path = Path("build/emulator")
    #: where the instances' Python folders (AWS's runtime, framework dependencies) are built and
    #: kept between runs; None: ``<work_dir>/python-runtime``
    python_env_dir: Path | None = None
    #: per-stack logs: ``<stack>.log`` (CloudWatch format) and ``<stack>.events.jsonl``
    log_dir: Path = Path("build/emulator/logs")
    #: first front-door port; 0 picks free ports
    port_base: int = 0
    #: the principal an ``iam`` stack admits (see docs/emulator.md); None: the documented
    #: local default credentials
    credentials: StaticCredentials | None = None
    #: the client's round trip to the region, added to every request (half on the way in, half
    #: on the way out); 0 here (tests, benchmarks); ``emulator up`` and the study default to
    #: DEFAULT_CLIENT_RTT_MS, the study's setting
    client_rtt_ms: float = 0.0
    #: API Gateway's own latency per request, added like the round trip (``emulator up``:
    #: DEFAULT_GATEWAY_LATENCY_MS)
    gateway_latency_ms: float = 0.0

    @property
    def network_delay_ms(self) -> float:
        """What the network path adds to each request: round trip + API Gateway."""
        return self.client_rtt_ms + self.gateway_latency_ms

    def network_path(self) -> dict[str, float]:
        """The network path as ``endpoints.json`` and ``run.json`` state it."""
        return {
            "client_rtt_ms": self.client_rtt_ms,
            "gateway_latency_ms": self.gateway_latency_ms,
            "added_ms": self.network_delay_ms,
        }

    def __post_init__(self) -> None:
        problems: list[str] = []
        for label, value in (
            ("client round trip", self.client_rtt_ms),
            ("API Gateway latency", self.gateway_latency_ms),
        ):
            if not (math.isfinite(value) and 0 <= value <= 10_000):
                problems.append(f"{label} {value} ms must be within 0..10000 ms")
        if not (math.isfinite(self.time_scale) and self.time_scale > 0):
            problems.append(f"time scale {self.time_scale} must be a positive number")
        if not (math.isfinite(self.keep_alive_s) and self.keep_alive_s > 0):
            problems.append(f"keep-alive {self.keep_alive_s} s must be positive")
        if self.idle_policy not in _POLICIES:
            problems.append(
                f"idle policy {self.idle_policy!r} must be one of {', '.join(_POLICIES)}"
            )
        if self.init_cpu not in INIT_CPU_MODES:
            problems.append(
                f"init CPU {self.init_cpu!r} must be one of {', '.join(INIT_CPU_MODES)}"
            )
        if self.account_concurrency < 1:
            problems.append(f"account concurrency {self.account_concurrency} must be >= 1")
        if (
            self.init_timeout_s <= 0
            or self.integration_timeout_s <= 0
            or self.connection_timeout_s <= 0
        ):
            problems.append("init, integration and connection timeouts must be positive")
        if not 0 <= self.port_base <= 65535:
            problems.append(f"port base {self.port_base} must be within 0..65535")
        if problems:
            raise EmulatorConfigError("invalid emulator options: " + "; ".join(problems))
