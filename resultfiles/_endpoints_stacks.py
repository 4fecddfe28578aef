"""``endpoints.json``'s stack entries as written: a hosted stack's, a worker stack's, and what
they state (limits, package, dependency folder); ``to_json`` as written, a strict ``from_json``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ._endpoints import RequestSet
from ._fields import (
    JsonObject,
    absent_or,
    object_at,
    optional_int,
    optional_str,
    req_bool,
    req_float,
    req_int,
    req_str,
    str_map,
    strs,
)

__all__ = [
    "DependencyFolder",
    "HostedStack",
    "PackageFacts",
    "StackLimits",
    "WorkerStack",
    "dependency_folder_at",
]

_WHERE = "endpoints.json"


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
        return {
            "api_throttle_rate": self.api_throttle_rate,
            "api_throttle_burst": self.api_throttle_burst,
            "reserved_concurrency": self.reserved_concurrency,
            "provisioned_concurrency": self.provisioned_concurrency,
        }

    @classmethod
    def from_json(cls, data: JsonObject, where: str = _WHERE) -> StackLimits:
        return cls(
            api_throttle_rate=req_float(data, "api_throttle_rate", where),
            api_throttle_burst=req_int(data, "api_throttle_burst", where),
            reserved_concurrency=optional_int(data, "reserved_concurrency", where),
            provisioned_concurrency=optional_int(data, "provisioned_concurrency", where),
        )


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
        return cls(
            folder=req_str(data, "folder", where),
            distributions=str_map(data, "distributions", where),
        )


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
        out: dict[str, object] = {
            "kind": self.kind,
            "code_bytes": self.code_bytes,
            "unzipped_bytes": self.unzipped_bytes,
        }
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
        function = absent_or(data, "function", where, req_bool) or False
        return cls(
            kind=req_str(data, "kind", where),
            code_bytes=req_int(data, "code_bytes", where),
            unzipped_bytes=req_int(data, "unzipped_bytes", where),
            layer_bytes=absent_or(data, "layer_bytes", where, req_int),
            model_runtime=absent_or(data, "model_runtime", where, req_str),
            function=function,
            handler=optional_str(data, "handler", where) if function else None,
            requirements=absent_or(data, "requirements", where, strs),
        )


def _requests_to_json(requests: RequestSet) -> dict[str, object]:
    return {"file": requests.file, "expect_field": requests.expect_field}


def _requests_from_json(data: JsonObject, key: str, where: str) -> RequestSet:
    found = object_at(data, key, where)
    w = f"{where} requests"
    return RequestSet(
        file=optional_str(found, "file", w), expect_field=optional_str(found, "expect_field", w)
    )


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
            "url": self.url,
            "authorization": self.authorization,
            "settings": dict(self.settings),
            "log": self.log,
            **self.limits.to_json(),
            "cpu_samples": self.cpu_samples,
            "access_log": self.access_log,
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
            url=req_str(data, "url", where),
            authorization=req_str(data, "authorization", where),
            settings=object_at(data, "settings", where),
            log=req_str(data, "log", where),
            limits=StackLimits.from_json(data, where),
            cpu_samples=req_str(data, "cpu_samples", where),
            access_log=req_str(data, "access_log", where),
            unreserved_concurrency=absent_or(data, "unreserved_concurrency", where, req_int),
            dependencies=absent_or(data, "dependencies", where, dependency_folder_at),
            package=absent_or(data, "package", where, _package),
            requests=absent_or(data, "requests", where, _requests_from_json),
        )


def dependency_folder_at(data: JsonObject, key: str, where: str) -> DependencyFolder:
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
            "kind": self.kind,
            "function_name": self.function_name,
            "bucket": self.bucket,
            "prefix": self.prefix,
            "lambda_endpoint": self.lambda_endpoint,
            "s3_endpoint": self.s3_endpoint,
            "region": self.region,
            "memory_mb": self.memory_mb,
            "timeout_s": self.timeout_s,
            "workers_max": self.workers_max,
            "settings": dict(self.settings),
            "log": self.log,
            "cpu_samples": self.cpu_samples,
            "access_log": self.access_log,
        }
        if self.dependencies is not None:
            out["dependencies"] = self.dependencies.to_json()
        if self.package is not None:
            out["package"] = self.package.to_json()
        return out

    @classmethod
    def from_json(cls, data: JsonObject, where: str) -> WorkerStack:
        return cls(
            kind=req_str(data, "kind", where),
            function_name=req_str(data, "function_name", where),
            bucket=req_str(data, "bucket", where),
            prefix=req_str(data, "prefix", where),
            lambda_endpoint=req_str(data, "lambda_endpoint", where),
            s3_endpoint=optional_str(data, "s3_endpoint", where),
            region=req_str(data, "region", where),
            memory_mb=req_int(data, "memory_mb", where),
            timeout_s=req_int(data, "timeout_s", where),
            workers_max=optional_int(data, "workers_max", where),
            settings=object_at(data, "settings", where),
            log=req_str(data, "log", where),
            cpu_samples=req_str(data, "cpu_samples", where),
            access_log=req_str(data, "access_log", where),
            dependencies=absent_or(data, "dependencies", where, dependency_folder_at),
            package=absent_or(data, "package", where, _package),
        )
