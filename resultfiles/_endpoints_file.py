"""Typed writer of ``endpoints.json`` (docs/results.md): what the emulator states it hosts
(the whole document here, the stacks' entries in ``_endpoints_stacks``).

Each type's ``to_json`` is the document exactly as the emulator has always written it;
``from_json`` reads such a document back into an equal value, or names the wrong key in one line.
The load generator, the study and the report read the file through the tolerant reader
:func:`resultfiles.read_endpoints`. A stack's settings, the credentials and the network path are
JSON objects described by their producers (the stack's settings, the emulator's credentials and
options): the format documents their keys, their producer owns them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ._atomic import write_json_atomic
from ._endpoints import Endpoints
from ._endpoints_stacks import DependencyFolder, HostedStack, WorkerStack, dependency_folder_at
from ._fields import (
    JsonObject,
    absent_or,
    as_object,
    object_at,
    optional_object,
    optional_str,
    req_bool,
    req_float,
    req_int,
    req_str,
    str_map,
    strs,
)

__all__ = [
    "EndpointsFile",
    "InitCpuModel",
    "MemoryLimitModel",
    "PythonInstances",
    "write_endpoints",
]

_WHERE = "endpoints.json"


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
        return cls(
            mode=req_str(data, "mode", where),
            applied=req_bool(data, "applied", where),
            description=req_str(data, "description", where),
            burst_vcpu=absent_or(data, "burst_vcpu", where, req_float),
        )


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
        return cls(
            mode=req_str(data, "mode", where), description=req_str(data, "description", where)
        )


@dataclass(frozen=True, kw_only=True)
class PythonInstances:
    """``python_instances``: the interpreter the Python instances run and what they see."""

    interpreter: str
    sees: str
    runtime: DependencyFolder
    differs_from_aws: tuple[str, ...]

    def to_json(self) -> dict[str, object]:
        return {
            "interpreter": self.interpreter,
            "sees": self.sees,
            "runtime": self.runtime.to_json(),
            "differs_from_aws": list(self.differs_from_aws),
        }

    @classmethod
    def from_json(cls, data: JsonObject, where: str) -> PythonInstances:
        return cls(
            interpreter=req_str(data, "interpreter", where),
            sees=req_str(data, "sees", where),
            runtime=dependency_folder_at(data, "runtime", where),
            differs_from_aws=strs(data, "differs_from_aws", where),
        )


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
            stacks[name] = (
                WorkerStack.from_json(entry, where)
                if "function_name" in entry
                else HostedStack.from_json(entry, where)
            )
        hosted = object_at(data, "hosted_by", w)
        python = optional_object(data, "python_instances", w)
        return cls(
            stacks=stacks,
            credentials=str_map(data, "credentials", w),
            lambda_endpoint=req_str(data, "lambda_endpoint", w),
            s3_endpoint=optional_str(data, "s3_endpoint", w),
            cpu_limited=req_bool(data, "cpu_limited", w),
            cpu_limit_reason=req_str(data, "cpu_limit_reason", w),
            init_cpu=InitCpuModel.from_json(object_at(data, "init_cpu", w), f"{w} init_cpu"),
            memory_limit=MemoryLimitModel.from_json(
                object_at(data, "memory_limit", w), f"{w} memory_limit"
            ),
            python_instances=(
                None
                if python is None
                else PythonInstances.from_json(python, f"{w} python_instances")
            ),
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
