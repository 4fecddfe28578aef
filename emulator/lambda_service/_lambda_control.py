"""Lambda's control plane for the hosted functions, as far as a memory sweep needs it: their
configuration, published versions and aliases (the operations AWS Lambda Power Tuning calls).

Served beside Invoke by the Lambda API (``_lambda_api``), with the REST paths, fields and errors
of botocore's service model for ``lambda`` (2015-03-31):

- ``GetFunctionConfiguration`` / ``GetFunction`` (``Qualifier``: a version or an alias);
- ``UpdateFunctionConfiguration`` with ``MemorySize``, ``Environment``, ``Timeout`` and
  ``Description`` (anything else is refused with ``InvalidParameterValueException``). The update
  is applied at once (``LastUpdateStatus`` is ``Successful`` in its answer: nothing to wait for);
  instances started afterwards have the new memory's CPU share and memory limit and the new
  environment, and the instances of the old configuration are retired (the idle ones now, the
  busy ones when their invocation ends), so the next invocation is a cold start;
- ``PublishVersion``: a version freezes ``$LATEST``'s configuration and gets its own instances
  (they share the function's concurrency and log); as on AWS, publishing without a change
  since the last version returns that version;
- ``CreateAlias`` / ``UpdateAlias`` / ``GetAlias`` / ``DeleteAlias`` / ``ListAliases``
  (no weighted ``RoutingConfig``), ``ListVersionsByFunction``;
- ``DeleteFunction`` with a ``Qualifier`` (a version: its instances are ended; refused while an
  alias points at it, as AWS refuses it); the function itself is the emulator's stack and is
  not deleted.

Not served: ``LastUpdateStatus: InProgress`` (updates are instant), code updates, layers,
provisioned concurrency on versions or aliases, ``RevisionId`` checks on aliases.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import hashlib
import json
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiohttp import web

from .._errors import EmulatorConfigError
from .._spec import FunctionSpec
from ..gateway._apigw import ACCOUNT_ID
from ..logs._logs import StackLog
from ._host import FunctionHost

__all__ = ["ControlOperation", "FunctionVersions", "LogTail", "control_operation"]

_PREFIX = "/2015-03-31/functions/"
#: AWS's limit on what ``X-Amz-Log-Result`` carries: the last 4 KB of the invocation's log
TAIL_BYTES = 4096
#: how long a ``Tail`` invocation waits for its REPORT line once its result is in
_TAIL_WAIT_S = 2.0
#: environment variables Lambda sets itself and refuses in UpdateFunctionConfiguration
_RESERVED_ENV = frozenset({
    "_HANDLER", "_X_AMZN_TRACE_ID", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_EXECUTION_ENV",
    "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_FUNCTION_VERSION", "AWS_LAMBDA_INITIALIZATION_TYPE",
    "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME", "AWS_ACCESS_KEY",
    "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
    "AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR",
})
#: what UpdateFunctionConfiguration changes here (FunctionName is the path's)
_UPDATABLE = frozenset({"MemorySize", "Environment", "Timeout", "Description", "RevisionId",
                        "FunctionName"})
_ALIAS_NAME = re.compile(r"^(?!\d+$)[A-Za-z0-9_-]{1,128}$")
#: Lambda's model (botocore: ``EnvironmentVariables``' key pattern) and its 4 KB limit on them
_VARIABLE_NAME = re.compile(r"[a-zA-Z]([a-zA-Z0-9_])+")
_ENVIRONMENT_LIMIT_BYTES = 4096


@dataclass(frozen=True)
class ControlOperation:
    """A request of the control plane: which operation, on which function (still URL-encoded,
    as the path gives it), and the alias named in the path, if any."""

    name: str
    function: str
    alias: str | None = None


def control_operation(method: str, raw_path: str) -> ControlOperation | None:
    """The control-plane operation ``method raw_path`` asks for; None if it is none of them."""
    if not raw_path.startswith(_PREFIX):
        return None
    parts = raw_path[len(_PREFIX):].split("/")
    if not parts[0]:
        return None
    function, rest = parts[0], parts[1:]
    table: dict[tuple[str, ...], dict[str, str]] = {
        (): {"GET": "GetFunction", "DELETE": "DeleteFunction"},
        ("configuration",): {"GET": "GetFunctionConfiguration",
                             "PUT": "UpdateFunctionConfiguration"},
        ("versions",): {"POST": "PublishVersion", "GET": "ListVersionsByFunction"},
        ("aliases",): {"POST": "CreateAlias", "GET": "ListAliases"},
    }
    if len(rest) == 2 and rest[0] == "aliases" and rest[1]:
        names = {"GET": "GetAlias", "PUT": "UpdateAlias", "DELETE": "DeleteAlias"}
        operation = names.get(method)
        return ControlOperation(operation, function, rest[1]) if operation else None
    operation = table.get(tuple(rest), {}).get(method)
    return ControlOperation(operation, function) if operation else None


def _error(status: int, error_type: str, message: str, request_id: str) -> web.Response:
    body = json.dumps({"Type": "User", "message": message}, separators=(",", ":"))
    return web.Response(status=status, text=body, content_type="application/json",
                        headers={"x-amzn-ErrorType": error_type,
                                 "x-amzn-RequestId": request_id})


def _answer(status: int, body: Mapping[str, Any] | None, request_id: str) -> web.Response:
    if body is None:
        return web.Response(status=status, headers={"x-amzn-RequestId": request_id})
    return web.Response(status=status, text=json.dumps(body), content_type="application/json",
                        headers={"x-amzn-RequestId": request_id})


class _Refused(Exception):
    def __init__(self, status: int, error_type: str, message: str) -> None:
        super().__init__(message)
        self.status, self.error_type, self.message = status, error_type, message


def _not_found(message: str) -> _Refused:
    return _Refused(404, "ResourceNotFoundException", message)


def _invalid(message: str) -> _Refused:
    return _Refused(400, "InvalidParameterValueException", message)


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "+0000"


@dataclass
class _Config:
    """What a version froze, or what ``$LATEST`` is now."""

    spec: FunctionSpec
    description: str
    revision_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    last_modified: str = field(default_factory=_now)


@dataclass
class _Version:
    number: str
    host: FunctionHost
    config: _Config


@dataclass
class _Alias:
    name: str
    version: str
    description: str
    revision_id: str = field(default_factory=lambda: str(uuid.uuid4()))


@dataclass
class _Function:
    latest: FunctionHost
    config: _Config
    versions: dict[str, _Version] = field(default_factory=dict)
    aliases: dict[str, _Alias] = field(default_factory=dict)
    #: version numbers are never reused, even after a version is deleted
    next_version: int = 1
    #: ``$LATEST``'s revision when the last version was published, and that version
    published_from: tuple[str, str] | None = None
    code_sha256: str | None = None

    @property
    def arn(self) -> str:
        return self.latest.arn


def _code_facts(path: Path) -> tuple[int, str]:
    """CodeSize and CodeSha256 (base64 of the SHA-256, as AWS gives it) of a package."""
    if not path.is_file():
        return 0, ""
    digest = hashlib.sha256(path.read_bytes()).digest()
    return path.stat().st_size, base64.b64encode(digest).decode()


class FunctionVersions:
    """The configuration, versions and aliases of the hosted functions (the module doc)."""

    def __init__(self, hosts: Mapping[str, FunctionHost]) -> None:
        #: the hosted functions' ``$LATEST`` (filled by the emulator as it starts them)
        self.hosts = hosts
        self._functions: dict[str, _Function] = {}
        self._lock = asyncio.Lock()

    def _function(self, name: str) -> _Function | None:
        function = self._functions.get(name)
        if function is None:
            host = self.hosts.get(name)
            if host is None:
                return None
            function = _Function(latest=host, config=_Config(spec=host.spec, description=""))
            self._functions[name] = function
        return function

    def resolve(self, name: str, qualifier: str | None) -> tuple[FunctionHost, str] | None:
        """The host serving ``name:qualifier`` (none, ``$LATEST``, a version or an alias), and
        the version it runs (``X-Amz-Executed-Version``); None if there is no such thing."""
        function = self._function(name)
        if function is None:
            return None
        if qualifier in (None, "$LATEST"):
            return function.latest, "$LATEST"
        assert qualifier is not None
        alias = function.aliases.get(qualifier)
        number = alias.version if alias is not None else qualifier
        if number == "$LATEST":
            return function.latest, "$LATEST"
        version = function.versions.get(number)
        return (version.host, number) if version is not None else None

    async def close(self) -> None:
        """End every published version's instances (the emulator is stopping)."""
        for function in self._functions.values():
            for version in list(function.versions.values()):
                await version.host.close()
            function.versions.clear()

    async def serve(self, operation: ControlOperation, *, name: str, qualifier: str | None,
                    query: Mapping[str, str], body: bytes, request_id: str) -> web.Response:
        """Answer ``operation`` on function ``name`` (``qualifier``: from its ARN, if any)."""
        try:
            function = self._function(name)
            if function is None:
                raise _not_found(f"Function not found: {name}")
            payload: dict[str, Any] = {}
            if body.strip():
                try:
                    loaded = json.loads(body)
                except (ValueError, UnicodeDecodeError):
                    raise _Refused(400, "InvalidRequestContentException",
                                   "Could not parse request body into json") from None
                if not isinstance(loaded, dict):
                    raise _Refused(400, "InvalidRequestContentException",
                                   "the request body must be a JSON object")
                payload = loaded
            qualifier = query.get("Qualifier") or qualifier
            async with self._lock:
                status, answer = await self._serve(operation, function, qualifier, query, payload)
        except _Refused as refused:
            return _error(refused.status, refused.error_type, refused.message, request_id)
        return _answer(status, answer, request_id)

    async def _serve(self, operation: ControlOperation, function: _Function,
                     qualifier: str | None, query: Mapping[str, str],
                     payload: dict[str, Any]) -> tuple[int, dict[str, Any] | None]:
        name = operation.name
        if name == "GetFunctionConfiguration":
            return 200, self._configuration(function, qualifier)
        if name == "GetFunction":
            return 200, {"Configuration": self._configuration(function, qualifier),
                         "Code": {"RepositoryType": "S3", "Location": ""}}
        if name == "UpdateFunctionConfiguration":
            return 200, self._update(function, payload)
        if name == "PublishVersion":
            return 201, await self._publish(function, payload)
        if name == "ListVersionsByFunction":
            versions = [self._configuration(function, None)]
            versions += [self._configuration(function, number)
                         for number in sorted(function.versions, key=int)]
            return 200, {"Versions": versions}
        if name == "CreateAlias":
            return 201, self._create_alias(function, payload)
        if name == "ListAliases":
            wanted = query.get("FunctionVersion")
            return 200, {"Aliases": [self._alias_answer(function, alias)
                                     for alias in sorted(function.aliases.values(),
                                                         key=lambda a: a.name)
                                     if wanted is None or alias.version == wanted]}
        alias_name = operation.alias or ""
        if name == "GetAlias":
            return 200, self._alias_answer(function, self._alias(function, alias_name))
        if name == "UpdateAlias":
            return 200, self._update_alias(function, self._alias(function, alias_name), payload)
        if name == "DeleteAlias":
            self._alias(function, alias_name)
            del function.aliases[alias_name]
            return 204, None
        if name == "DeleteFunction":
            await self._delete_version(function, qualifier)
            return 204, None
        raise _invalid(f"operation {name} is not served by the emulator")

    def _config_of(self, function: _Function, qualifier: str | None) -> tuple[_Config, str]:
        if qualifier in (None, "$LATEST"):
            return function.config, "$LATEST"
        assert qualifier is not None
        alias = function.aliases.get(qualifier)
        number = alias.version if alias is not None else qualifier
        if number == "$LATEST":
            return function.config, "$LATEST"
        version = function.versions.get(number)
        if version is None:
            raise _not_found(f"Function not found: {function.arn}:{qualifier}")
        return version.config, number

    def _configuration(self, function: _Function, qualifier: str | None) -> dict[str, Any]:
        config, version = self._config_of(function, qualifier)
        spec = config.spec
        if function.code_sha256 is None:
            size, sha = _code_facts(Path(spec.code_zip))
            function.code_sha256 = f"{size}:{sha}"
        size_text, _, sha = function.code_sha256.partition(":")
        timeout = int(spec.timeout_s) if float(spec.timeout_s).is_integer() else spec.timeout_s
        return {
            "FunctionName": spec.name,
            "FunctionArn": function.arn if version == "$LATEST" else f"{function.arn}:{version}",
            "Runtime": spec.runtime,
            "Role": f"arn:aws:iam::{ACCOUNT_ID}:role/{spec.name}",
            "Handler": spec.handler,
            "CodeSize": int(size_text),
            "Description": config.description,
            "Timeout": timeout,
            "MemorySize": spec.memory_mb,
            "LastModified": config.last_modified,
            "CodeSha256": sha,
            "Version": version,
            "Environment": {"Variables": dict(spec.environment)},
            "TracingConfig": {"Mode": "PassThrough"},
            "RevisionId": config.revision_id,
            "State": "Active",
            "LastUpdateStatus": "Successful",
            "PackageType": "Zip",
            "Architectures": [spec.architecture],
            "EphemeralStorage": {"Size": 512},
            "SnapStart": {"ApplyOn": "PublishedVersions" if spec.snapstart else "None",
                          "OptimizationStatus": "On" if spec.snapstart and version != "$LATEST"
                          else "Off"},
        }

    def _update(self, function: _Function, payload: dict[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(payload) - _UPDATABLE)
        if unknown:
            raise _invalid(f"the emulator's UpdateFunctionConfiguration changes MemorySize, "
                           f"Environment, Timeout and Description only, not {', '.join(unknown)}")
        revision = payload.get("RevisionId")
        if revision is not None and revision != function.config.revision_id:
            raise _Refused(412, "PreconditionFailedException",
                           "The Revision Id provided does not match the latest Revision Id. "
                           "Call the GetFunction/GetAlias API to retrieve the latest Revision Id")
        spec = function.latest.spec
        changes: dict[str, Any] = {}
        # Lambda's ranges are the function spec's own checks (``validate_spec``), below.
        fields = {"MemorySize": ("memory_mb", "memorySize"), "Timeout": ("timeout_s", "timeout")}
        for name, (attribute, shown) in fields.items():
            if name not in payload:
                continue
            value = payload[name]
            if not isinstance(value, int) or isinstance(value, bool):
                raise _invalid(f"1 validation error detected: Value '{value}' at '{shown}' "
                               "failed to satisfy constraint: Member must be an integer")
            changes[attribute] = value if name == "MemorySize" else float(value)
        if "Environment" in payload:
            changes["environment"] = _variables(payload["Environment"])
        description = payload.get("Description", function.config.description)
        if not isinstance(description, str) or len(description) > 256:
            raise _invalid("Description must be a string of at most 256 characters")
        try:
            new_spec = dataclasses.replace(spec, **changes)
        except EmulatorConfigError as exc:
            problems = str(exc).partition("is invalid: ")[2] or str(exc)
            shown = ", ".join(f"'{payload[n]}' at '{f[1]}'" for n, f in fields.items()
                              if n in payload)
            raise _invalid(f"Value {shown} failed to satisfy constraint: {problems}") from None
        function.latest.reconfigure(new_spec)
        function.config = _Config(spec=new_spec, description=description)
        return self._configuration(function, None)

    async def _publish(self, function: _Function, payload: dict[str, Any]) -> dict[str, Any]:
        revision = payload.get("RevisionId")
        if revision is not None and revision != function.config.revision_id:
            raise _Refused(412, "PreconditionFailedException",
                           "The Revision Id provided does not match the latest Revision Id.")
        previous = function.published_from
        if (previous is not None and previous[0] == function.config.revision_id
                and previous[1] in function.versions):
            return self._configuration(function, previous[1])
        description = payload.get("Description", function.config.description)
        if not isinstance(description, str):
            raise _invalid("Description must be a string")
        number = str(function.next_version)
        function.next_version += 1
        # A version serves on demand only: provisioned concurrency and ping schedules are
        # configured per qualifier on AWS, and stay with the stack's $LATEST here.
        spec = dataclasses.replace(function.latest.spec, provisioned_concurrency=0,
                                   ping_interval_minutes=None)
        latest = function.latest
        host = FunctionHost(spec, latest.options, pool=latest.pool, log=latest.log,
                            launcher=dataclasses.replace(latest.launcher, spec=spec,
                                                             version=number))
        host.arn = f"{function.arn}:{number}"
        await host.start()
        function.versions[number] = _Version(number, host, _Config(spec=spec,
                                                                   description=description))
        function.published_from = (function.config.revision_id, number)
        latest.log.event("version_published", version=number, memory_mb=spec.memory_mb)
        return self._configuration(function, number)

    def _alias(self, function: _Function, name: str) -> _Alias:
        alias = function.aliases.get(name)
        if alias is None:
            raise _not_found(f"Alias not found: {function.arn}:{name}")
        return alias

    def _alias_answer(self, function: _Function, alias: _Alias) -> dict[str, Any]:
        return {"AliasArn": f"{function.arn}:{alias.name}", "Name": alias.name,
                "FunctionVersion": alias.version, "Description": alias.description,
                "RevisionId": alias.revision_id}

    def _target(self, function: _Function, payload: dict[str, Any]) -> str:
        if "RoutingConfig" in payload:
            raise _invalid("the emulator's aliases point at one version (no RoutingConfig)")
        version = payload.get("FunctionVersion")
        if not isinstance(version, str) or not version:
            raise _invalid("FunctionVersion is required: a published version or $LATEST")
        if version != "$LATEST" and version not in function.versions:
            raise _not_found(f"Function not found: {function.arn}:{version}")
        return version

    def _create_alias(self, function: _Function, payload: dict[str, Any]) -> dict[str, Any]:
        name = payload.get("Name")
        if not isinstance(name, str) or not _ALIAS_NAME.match(name):
            raise _invalid(f"1 validation error detected: Value '{name}' at 'name' failed to "
                           "satisfy constraint: Member must satisfy regular expression pattern: "
                           "(?!^[0-9]+$)([a-zA-Z0-9-_]+)")
        if name in function.aliases:
            raise _Refused(409, "ResourceConflictException",
                           f"Alias already exists: {function.arn}:{name}")
        version = self._target(function, payload)
        description = payload.get("Description", "")
        alias = _Alias(name, version, description if isinstance(description, str) else "")
        function.aliases[name] = alias
        return self._alias_answer(function, alias)

    def _update_alias(self, function: _Function, alias: _Alias,
                      payload: dict[str, Any]) -> dict[str, Any]:
        if "FunctionVersion" in payload or "RoutingConfig" in payload:
            alias.version = self._target(function, payload)
        if isinstance(payload.get("Description"), str):
            alias.description = payload["Description"]
        alias.revision_id = str(uuid.uuid4())
        return self._alias_answer(function, alias)

    async def _delete_version(self, function: _Function, qualifier: str | None) -> None:
        if qualifier is None:
            raise _invalid("the emulator deletes published versions only (pass Qualifier): "
                           "its functions are the stacks it hosts")
        if qualifier == "$LATEST":
            raise _invalid("$LATEST version cannot be deleted without deleting the function.")
        if qualifier in function.aliases:
            raise _invalid("Deletion of aliases is not supported (DeleteFunction with an alias "
                           "as Qualifier): use DeleteAlias")
        version = function.versions.get(qualifier)
        if version is None:
            raise _not_found(f"Function not found: {function.arn}:{qualifier}")
        pointing = sorted(a.name for a in function.aliases.values() if a.version == qualifier)
        if pointing:
            raise _Refused(409, "ResourceConflictException",
                           "Unable to delete version because the following aliases reference "
                           f"it: [{', '.join(pointing)}]")
        del function.versions[qualifier]
        await version.host.close()
        function.latest.log.event("version_deleted", version=qualifier)


def _variables(environment: object) -> dict[str, str]:
    if not isinstance(environment, dict):
        raise _invalid("Environment must be an object with Variables")
    variables = environment.get("Variables", {})
    if not isinstance(variables, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in variables.items()):
        raise _invalid("Environment.Variables must map names to string values")
    bad = sorted(name for name in variables if not _VARIABLE_NAME.fullmatch(name))
    if bad:
        raise _Refused(400, "ValidationException",
                       f"1 validation error detected: Value '{', '.join(bad)}' at "
                       "'environment.variables' failed to satisfy constraint: Map keys must "
                       "satisfy constraint: [Member must satisfy regular expression pattern: "
                       f"{_VARIABLE_NAME.pattern}]")
    measured = json.dumps(variables, separators=(",", ":"), ensure_ascii=False)
    if len(measured.encode()) > _ENVIRONMENT_LIMIT_BYTES:
        raise _invalid("Lambda was unable to configure your environment variables because the "
                       "environment variables you have provided exceeded the 4KB limit. "
                       f"String measured: {measured[:200]}...")
    if any("\0" in value for value in variables.values()):
        raise _invalid("Environment.Variables: a value holds a NUL character, which no "
                       "process environment can carry: remove it")
    reserved = sorted(set(variables) & _RESERVED_ENV)
    if reserved:
        raise _invalid("Lambda was unable to configure your environment variables because the "
                       "environment variables you have provided contains reserved keys that "
                       f"are currently not supported for modification. Reserved keys used in "
                       f"this request: {', '.join(reserved)}")
    return dict(variables)


_TEXT_PLATFORM = ("START RequestId: ", "END RequestId: ", "REPORT RequestId: ")


def _platform_kind(line: str) -> str | None:
    """``start``, ``end`` or ``report`` for a platform line of an invocation, in text or in
    JSON log format (``platform.start``, ``platform.runtimeDone``, ``platform.report``)."""
    for kind, prefix in zip(("start", "end", "report"), _TEXT_PLATFORM, strict=True):
        if line.startswith(prefix):
            return kind
    if line.startswith("{") and '"type":"platform.' in line:
        for kind, name in (("start", "platform.start"), ("end", "platform.runtimeDone"),
                           ("report", "platform.report")):
            if f'"type":"{name}"' in line:
                return kind
    return None


class LogTail:
    """``LogType: Tail``: the lines of one invocation's log, collected as they are written,
    from its START to its REPORT (text or JSON log format); the last 4 KB of them, base64, is
    ``X-Amz-Log-Result``.

    All of a function's instances write one log here (AWS: one stream per instance): another
    invocation's START, END and REPORT are left out, but output written by another instance
    of the same function while this invocation ran may show in its tail.
    """

    def __init__(self, log: StackLog, request_id: str) -> None:
        self.log = log
        self.request_id = request_id
        self.lines: list[str] = []
        log.taps.append(self._seen)

    def _seen(self, lines: list[str]) -> None:
        self.lines.extend(lines)

    def close(self) -> None:
        if self._seen in self.log.taps:
            self.log.taps.remove(self._seen)

    def _is(self, kind: str, line: str) -> bool:
        return _platform_kind(line) == kind and self.request_id in line

    async def result(self, *, expect_report: bool) -> str:
        """The base64 tail, once the REPORT is written (the host writes it right after the
        result); ``expect_report`` False (throttled, failed init): what was written."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + _TAIL_WAIT_S
        for _ in range(3):
            await asyncio.sleep(0)
        while expect_report and not any(self._is("report", line) for line in self.lines):
            if loop.time() > deadline:
                break
            await asyncio.sleep(0.005)
        self.close()
        return base64.b64encode(self._tail().encode()[-TAIL_BYTES:]).decode()

    def _tail(self) -> str:
        begin = next((i for i, line in enumerate(self.lines) if self._is("start", line)), 0)
        kept: list[str] = []
        for line in self.lines[begin:]:
            if _platform_kind(line) is None or self.request_id in line:
                kept.append(line)
            if self._is("report", line):
                break
        return "".join(line + "\n" for line in kept)
