"""Typed writer of ``endpoints.json`` (docs/results.md): what the emulator states it hosts.

Each type's ``to_json`` is the document exactly as the emulator has always written it;
``from_json`` reads such a document back into an equal value, or names the wrong key in one line.
The load generator, the study and the report read the file through the tolerant reader
:func:`resultfiles.read_endpoints`. A stack's settings, the credentials and the network path are
JSON objects described by their producers (the stack's settings, the emulator's credentials and
options): the format documents their keys, their producer owns them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from ._atomic import write_json_atomic
from ._endpoints import Endpoints, RequestSet
from ._errors import ResultsError
from ._fields import (
    JsonObject,
    as_object,
    object_at,
    optional_int,
    optional_object,
    optional_str,
    req_bool,
    req_float,
    req_int,
    req_str,
    strs,
)

__all__ = [
    "DependencyFolder",
    "EndpointsFile",
    "HostedStack",
    "InitCpuModel",
    "MemoryLimitModel",
    "PackageFacts",
    "PythonInstances",
    "StackLimits",
    "WorkerStack",
    "write_endpoints",
]

_WHERE = "endpoints.json"
_T = TypeVar("_T")


def _absent_or(data: JsonObject, key: str, where: str,
               read: Callable[[JsonObject, str, str], _T]) -> _T | None:
    """A key a writer leaves out when it has nothing to state: None when absent."""
    return read(data, key, where) if key in data else None


def _str_map(data: JsonObject, key: str, where: str) -> dict[str, str]:
    found = object_at(data, key, where)
    if not all(isinstance(v, str) for v in found.values()):
        raise ResultsError(f"{where}: {key!r} is not an object of strings; the file was not "
                           "written by this version's writer (rewrite it, or read it with "
                           "read_endpoints)")
    return {k: str(v) for k, v in found.items()}


@dataclass(frozen=True, kw_only=True)
class StackLimits:
    """What a stack admits (the AWS stack's outputs' keys); written into the stack's entry."""

    api_throttle_rate: float
    api_throttle_burst: int
    #: None: no reserved concurrency
    reserved_concurrency: int | None
    #: None unless the stack's cold-start mitigation is ``provisioned``
    provisioned_concurrency: int | None

    def to_json(self) -> dict[str, object]:
        return {"api_throttle_rate": self.api_throttle_rate,
                "api_throttle_burst": self.api_throttle_burst,
                "reserved_concurrency": self.reserved_concurrency,
                "provisioned_concurrency": self.provisioned_concurrency}

    @classmethod
    def from_json(cls, data: JsonObject, where: str = _WHERE) -> StackLimits:
        return cls(api_throttle_rate=req_float(data, "api_throttle_rate", where),
                   api_throttle_burst=req_int(data, "api_throttle_burst", where),
                   reserved_concurrency=optional_int(data, "reserved_concurrency", where),
                   provisioned_concurrency=optional_int(data, "provisioned_concurrency", where))


@dataclass(frozen=True, kw_only=True)
class DependencyFolder:
    """A folder of distributions installed here (``dependencies``, ``runtime``)."""

    folder: str
    #: name -> version; empty when the folder was not built here
    distributions: Mapping[str, str]

    def to_json(self) -> dict[str, object]:
        return {"folder": self.folder, "distributions": dict(self.distributions)}

    @classmethod
    def from_json(cls, data: JsonObject, where: str) -> DependencyFolder:
        return cls(folder=req_str(data, "folder", where),
                   distributions=_str_map(data, "distributions", where))


@dataclass(frozen=True, kw_only=True)
class PackageFacts:
    """What a stack deploys, in bytes (``package``); keys left None are absent from the file."""

    #: ``zip`` or ``image``
    kind: str
    code_bytes: int
    unzipped_bytes: int
    #: None for a worker stack's zip
    layer_bytes: int | None = None
    #: a model stack's model runtime
    model_runtime: str | None = None
    #: a function stack's package (written as ``"function": true``) and its handler
    function: bool = False
    handler: str | None = None
    #: the requirement lines; None: absent (a model or function stack with none)
    requirements: tuple[str, ...] | None = None

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {"kind": self.kind, "code_bytes": self.code_bytes,
                                  "unzipped_bytes": self.unzipped_bytes}
        if self.layer_bytes is not None:
            out["layer_bytes"] = self.layer_bytes
        if self.model_runtime is not None:
            out["model_runtime"] = self.model_runtime
        if self.function:
            out["function"] = True
            out["handler"] = self.handler
        if self.requirements is not None:
            out["requirements"] = list(self.requirements)
        return out

    @classmethod
    def from_json(cls, data: JsonObject, where: str) -> PackageFacts:
        function = _absent_or(data, "function", where, req_bool) or False
        return cls(kind=req_str(data, "kind", where), code_bytes=req_int(data, "code_bytes", where),
                   unzipped_bytes=req_int(data, "unzipped_bytes", where),
                   layer_bytes=_absent_or(data, "layer_bytes", where, req_int),
                   model_runtime=_absent_or(data, "model_runtime", where, req_str),
                   function=function,
                   handler=optional_str(data, "handler", where) if function else None,
                   requirements=_absent_or(data, "requirements", where, strs))


def _requests_to_json(requests: RequestSet) -> dict[str, object]:
    return {"file": requests.file, "expect_field": requests.expect_field}


def _requests_from_json(data: JsonObject, key: str, where: str) -> RequestSet:
    found = object_at(data, key, where)
    w = f"{where} requests"
    return RequestSet(file=optional_str(found, "file", w),
                      expect_field=optional_str(found, "expect_field", w))


@dataclass(frozen=True, kw_only=True)
class HostedStack:
    """A model or function stack the emulator serves at ``url``."""

    url: str
    #: the stack's ``authorization`` setting
    authorization: str
    #: the stack's settings, every field
    settings: JsonObject
    #: the stack's log, relative to the emulator's root or absolute (so are the samples)
    log: str
    limits: StackLimits
    cpu_samples: str
    access_log: str
    #: the account's concurrency less the reservations; None (absent) for a reserving stack
    unreserved_concurrency: int | None = None
    #: a framework runtime's or a function's dependency folder; None: absent
    dependencies: DependencyFolder | None = None
    package: PackageFacts | None = None
    #: a function stack's requests; None (absent) for the model's stacks
    requests: RequestSet | None = None

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {
            "url": self.url, "authorization": self.authorization,
            "settings": dict(self.settings), "log": self.log, **self.limits.to_json(),
            "cpu_samples": self.cpu_samples, "access_log": self.access_log,
        }
        if self.unreserved_concurrency is not None:
            out["unreserved_concurrency"] = self.unreserved_concurrency
        if self.dependencies is not None:
            out["dependencies"] = self.dependencies.to_json()
        if self.package is not None:
            out["package"] = self.package.to_json()
        if self.requests is not None:
            out["requests"] = _requests_to_json(self.requests)
        return out

    @classmethod
    def from_json(cls, data: JsonObject, where: str) -> HostedStack:
        return cls(
            url=req_str(data, "url", where), authorization=req_str(data, "authorization", where),
            settings=object_at(data, "settings", where), log=req_str(data, "log", where),
            limits=StackLimits.from_json(data, where),
            cpu_samples=req_str(data, "cpu_samples", where),
            access_log=req_str(data, "access_log", where),
            unreserved_concurrency=_absent_or(data, "unreserved_concurrency", where, req_int),
            dependencies=_absent_or(data, "dependencies", where, _dependencies),
            package=_absent_or(data, "package", where, _package),
            requests=_absent_or(data, "requests", where, _requests_from_json),
        )


def _dependencies(data: JsonObject, key: str, where: str) -> DependencyFolder:
    return DependencyFolder.from_json(object_at(data, key, where), f"{where} {key}")


def _package(data: JsonObject, key: str, where: str) -> PackageFacts:
    return PackageFacts.from_json(object_at(data, key, where), f"{where} {key}")


@dataclass(frozen=True, kw_only=True)
class WorkerStack:
    """A load generator worker stack: what ``--worker-stack NAME`` resolves (no URL)."""

    kind: str
    function_name: str
    bucket: str
    prefix: str
    lambda_endpoint: str
    s3_endpoint: str | None
    region: str
    memory_mb: int
    timeout_s: int
    workers_max: int | None
    settings: JsonObject
    log: str
    cpu_samples: str
    access_log: str
    dependencies: DependencyFolder | None = None
    package: PackageFacts | None = None

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {
            "kind": self.kind, "function_name": self.function_name, "bucket": self.bucket,
            "prefix": self.prefix, "lambda_endpoint": self.lambda_endpoint,
            "s3_endpoint": self.s3_endpoint, "region": self.region,
            "memory_mb": self.memory_mb, "timeout_s": self.timeout_s,
            "workers_max": self.workers_max, "settings": dict(self.settings), "log": self.log,
            "cpu_samples": self.cpu_samples, "access_log": self.access_log,
        }
        if self.dependencies is not None:
            out["dependencies"] = self.dependencies.to_json()
        if self.package is not None:
            out["package"] = self.package.to_json()
        return out

    @classmethod
    def from_json(cls, data: JsonObject, where: str) -> WorkerStack:
        return cls(
            kind=req_str(data, "kind", where), function_name=req_str(data, "function_name", where),
            bucket=req_str(data, "bucket", where), prefix=req_str(data, "prefix", where),
            lambda_endpoint=req_str(data, "lambda_endpoint", where),
            s3_endpoint=optional_str(data, "s3_endpoint", where),
            region=req_str(data, "region", where), memory_mb=req_int(data, "memory_mb", where),
            timeout_s=req_int(data, "timeout_s", where),
            workers_max=optional_int(data, "workers_max", where),
            settings=object_at(data, "settings", where), log=req_str(data, "log", where),
            cpu_samples=req_str(data, "cpu_samples", where),
            access_log=req_str(data, "access_log", where),
            dependencies=_absent_or(data, "dependencies", where, _dependencies),
            package=_absent_or(data, "package", where, _package),
        )


@dataclass(frozen=True, kw_only=True)
class InitCpuModel:
    """``init_cpu``: the init phase's CPU (run.json repeats it through the target)."""

    #: ``burst`` or ``share``
    mode: str
    #: False: the instances run unthrottled (no cgroup)
    applied: bool
    description: str
    #: the init burst's vCPU; None (absent) unless the burst applies
    burst_vcpu: float | None = None

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {"mode": self.mode, "applied": self.applied}
        if self.burst_vcpu is not None:
            out["burst_vcpu"] = self.burst_vcpu
        out["description"] = self.description
        return out

    @classmethod
    def from_json(cls, data: JsonObject, where: str = f"{_WHERE} init_cpu") -> InitCpuModel:
        return cls(mode=req_str(data, "mode", where), applied=req_bool(data, "applied", where),
                   description=req_str(data, "description", where),
                   burst_vcpu=_absent_or(data, "burst_vcpu", where, req_float))


@dataclass(frozen=True, kw_only=True)
class MemoryLimitModel:
    """``memory_limit``: how the memory size is enforced here."""

    #: ``cgroup`` or ``watchdog``
    mode: str
    description: str

    def to_json(self) -> dict[str, object]:
        return {"mode": self.mode, "description": self.description}

    @classmethod
    def from_json(cls, data: JsonObject, where: str) -> MemoryLimitModel:
        return cls(mode=req_str(data, "mode", where),
                   description=req_str(data, "description", where))


@dataclass(frozen=True, kw_only=True)
class PythonInstances:
    """``python_instances``: the interpreter the Python instances run and what they see."""

    interpreter: str
    sees: str
    runtime: DependencyFolder
    differs_from_aws: tuple[str, ...]

    def to_json(self) -> dict[str, object]:
        return {"interpreter": self.interpreter, "sees": self.sees,
                "runtime": self.runtime.to_json(), "differs_from_aws": list(self.differs_from_aws)}

    @classmethod
    def from_json(cls, data: JsonObject, where: str) -> PythonInstances:
        return cls(interpreter=req_str(data, "interpreter", where),
                   sees=req_str(data, "sees", where),
                   runtime=_dependencies(data, "runtime", where),
                   differs_from_aws=strs(data, "differs_from_aws", where))


@dataclass(frozen=True, kw_only=True)
class EndpointsFile:
    """The whole ``endpoints.json`` as the emulator writes it."""

    stacks: Mapping[str, HostedStack | WorkerStack]
    #: whom the IAM stacks admit; the secret only for the documented local default
    credentials: Mapping[str, str]
    lambda_endpoint: str
    s3_endpoint: str | None
    cpu_limited: bool
    cpu_limit_reason: str
    init_cpu: InitCpuModel
    memory_limit: MemoryLimitModel
    #: None (null) when no Python instance runs here
    python_instances: PythonInstances | None
    time_scale: float
    #: the emulator's network path (``client_rtt_ms``, ``gateway_latency_ms``, ``added_ms``)
    network_path: JsonObject
    #: the interpreters that really run the functions (``python``, ``java``: a version or None)
    hosted_by: Mapping[str, str | None]
    started_at: str
    pid: int

    def to_json(self) -> dict[str, object]:
        python = self.python_instances
        return {
            "stacks": {name: entry.to_json() for name, entry in self.stacks.items()},
            "credentials": dict(self.credentials),
            "lambda_endpoint": self.lambda_endpoint,
            "s3_endpoint": self.s3_endpoint,
            "cpu_limited": self.cpu_limited,
            "cpu_limit_reason": self.cpu_limit_reason,
            "init_cpu": self.init_cpu.to_json(),
            "memory_limit": self.memory_limit.to_json(),
            "python_instances": None if python is None else python.to_json(),
            "time_scale": self.time_scale,
            "network_path": dict(self.network_path),
            "hosted_by": dict(self.hosted_by),
            "started_at": self.started_at,
            "pid": self.pid,
        }

    @classmethod
    def from_json(cls, data: JsonObject) -> EndpointsFile:
        w = _WHERE
        stacks: dict[str, HostedStack | WorkerStack] = {}
        for name, raw in object_at(data, "stacks", w).items():
            entry, where = as_object(raw, w, f"stacks.{name}"), f"{w} stacks.{name}"
            stacks[name] = (WorkerStack.from_json(entry, where) if "function_name" in entry
                            else HostedStack.from_json(entry, where))
        hosted = object_at(data, "hosted_by", w)
        python = optional_object(data, "python_instances", w)
        return cls(
            stacks=stacks, credentials=_str_map(data, "credentials", w),
            lambda_endpoint=req_str(data, "lambda_endpoint", w),
            s3_endpoint=optional_str(data, "s3_endpoint", w),
            cpu_limited=req_bool(data, "cpu_limited", w),
            cpu_limit_reason=req_str(data, "cpu_limit_reason", w),
            init_cpu=InitCpuModel.from_json(object_at(data, "init_cpu", w), f"{w} init_cpu"),
            memory_limit=MemoryLimitModel.from_json(object_at(data, "memory_limit", w),
                                                    f"{w} memory_limit"),
            python_instances=(None if python is None
                              else PythonInstances.from_json(python, f"{w} python_instances")),
            time_scale=req_float(data, "time_scale", w),
            network_path=object_at(data, "network_path", w),
            hosted_by={key: optional_str(hosted, key, f"{w} hosted_by") for key in hosted},
            started_at=req_str(data, "started_at", w),
            pid=req_int(data, "pid", w),
        )


def write_endpoints(path: Path, document: EndpointsFile) -> Endpoints:
    """Write ``document`` as ``path`` atomically; returns what the readers will see."""
    data = document.to_json()
    endpoints = Endpoints.from_json(data, source=f"the endpoints document for {path}")
    path.parent.mkdir(parents=True, exist_ok=True)
    write_json_atomic(path, data)
    return endpoints

