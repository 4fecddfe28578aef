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

This module is the registry and its operations on versions; what it records is
``_function_records``', the configuration answer ``_function_configuration``'s, the aliases'
operations ``_aliases``'.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from .._errors import EmulatorConfigError
from ._aliases import alias_answer, create_alias, find_alias, update_alias
from ._control_answers import Refused, error_answer, invalid, json_answer, not_found
from ._control_routes import ControlOperation
from ._environment_update import updated_variables
from ._function_configuration import configuration
from ._function_records import Config, Function, Version
from ._host import FunctionHost

__all__ = ["FunctionVersions"]

#: what UpdateFunctionConfiguration changes here (FunctionName is the path's)
_UPDATABLE = frozenset(
    {"MemorySize", "Environment", "Timeout", "Description", "RevisionId", "FunctionName"}
)


class FunctionVersions:
    """The configuration, versions and aliases of the hosted functions (the module doc)."""

    def __init__(self, hosts: Mapping[str, FunctionHost]) -> None:
        #: the hosted functions' ``$LATEST`` (filled by the emulator as it starts them)
        self.hosts = hosts
        self._functions: dict[str, Function] = {}
        self._lock = asyncio.Lock()

    def _function(self, name: str) -> Function | None:
        function = self._functions.get(name)
        if function is None:
            host = self.hosts.get(name)
            if host is None:
                return None
            function = Function(latest=host, config=Config(spec=host.spec, description=""))
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

    async def serve(
        self,
        operation: ControlOperation,
        *,
        name: str,
        qualifier: str | None,
        query: Mapping[str, str],
        body: bytes,
        request_id: str,
    ) -> web.Response:
        """Answer ``operation`` on function ``name`` (``qualifier``: from its ARN, if any)."""
        try:
            function = self._function(name)
            if function is None:
                raise not_found(f"Function not found: {name}")
            payload: dict[str, Any] = {}
            if body.strip():
                try:
                    loaded = json.loads(body)
                except (ValueError, UnicodeDecodeError):
                    raise Refused(
                        400,
                        "InvalidRequestContentException",
                        "Could not parse request body into json",
                    ) from None
                if not isinstance(loaded, dict):
                    raise Refused(
                        400,
                        "InvalidRequestContentException",
                        "the request body must be a JSON object",
                    )
                payload = loaded
            qualifier = query.get("Qualifier") or qualifier
            async with self._lock:
                status, answer = await self._serve(operation, function, qualifier, query, payload)
        except Refused as refused:
            return error_answer(refused.status, refused.error_type, refused.message, request_id)
        return json_answer(status, answer, request_id)

    async def _serve(
        self,
        operation: ControlOperation,
        function: Function,
        qualifier: str | None,
        query: Mapping[str, str],
        payload: dict[str, Any],
    ) -> tuple[int, dict[str, Any] | None]:
        name = operation.name
        if name == "GetFunctionConfiguration":
            return 200, configuration(function, qualifier)
        if name == "GetFunction":
            return 200, {
                "Configuration": configuration(function, qualifier),
                "Code": {"RepositoryType": "S3", "Location": ""},
            }
        if name == "UpdateFunctionConfiguration":
            return 200, self._update(function, payload)
        if name == "PublishVersion":
            return 201, await self._publish(function, payload)
        if name == "ListVersionsByFunction":
            versions = [configuration(function, None)]
            versions += [
                configuration(function, number) for number in sorted(function.versions, key=int)
            ]
            return 200, {"Versions": versions}
        if name == "CreateAlias":
            return 201, create_alias(function, payload)
        if name == "ListAliases":
            wanted = query.get("FunctionVersion")
            return 200, {
                "Aliases": [
                    alias_answer(function, alias)
                    for alias in sorted(function.aliases.values(), key=lambda a: a.name)
                    if wanted is None or alias.version == wanted
                ]
            }
        alias_name = operation.alias or ""
        if name == "GetAlias":
            return 200, alias_answer(function, find_alias(function, alias_name))
        if name == "UpdateAlias":
            return 200, update_alias(function, find_alias(function, alias_name), payload)
        if name == "DeleteAlias":
            find_alias(function, alias_name)
            del function.aliases[alias_name]
            return 204, None
        if name == "DeleteFunction":
            await self._delete_version(function, qualifier)
            return 204, None
        raise invalid(f"operation {name} is not served by the emulator")

    def _update(self, function: Function, payload: dict[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(payload) - _UPDATABLE)
        if unknown:
            raise invalid(
                f"the emulator's UpdateFunctionConfiguration changes MemorySize, "
                f"Environment, Timeout and Description only, not {', '.join(unknown)}"
            )
        revision = payload.get("RevisionId")
        if revision is not None and revision != function.config.revision_id:
            raise Refused(
                412,
                "PreconditionFailedException",
                "The Revision Id provided does not match the latest Revision Id. "
                "Call the GetFunction/GetAlias API to retrieve the latest Revision Id",
            )
        spec = function.latest.spec
        changes: dict[str, Any] = {}
        # Lambda's ranges are the function spec's own checks (``validate_spec``), below.
        fields = {"MemorySize": ("memory_mb", "memorySize"), "Timeout": ("timeout_s", "timeout")}
        for name, (attribute, shown) in fields.items():
            if name not in payload:
                continue
            value = payload[name]
            if not isinstance(value, int) or isinstance(value, bool):
                raise invalid(
                    f"1 validation error detected: Value '{value}' at '{shown}' "
                    "failed to satisfy constraint: Member must be an integer"
                )
            changes[attribute] = value if name == "MemorySize" else float(value)
        if "Environment" in payload:
            changes["environment"] = updated_variables(payload["Environment"])
        description = payload.get("Description", function.config.description)
        if not isinstance(description, str) or len(description) > 256:
            raise invalid("Description must be a string of at most 256 characters")
        try:
            new_spec = dataclasses.replace(spec, **changes)
        except EmulatorConfigError as exc:
            problems = str(exc).partition("is invalid: ")[2] or str(exc)
            shown = ", ".join(
                f"'{payload[n]}' at '{f[1]}'" for n, f in fields.items() if n in payload
            )
            raise invalid(f"Value {shown} failed to satisfy constraint: {problems}") from None
        function.latest.reconfigure(new_spec)
        function.config = Config(spec=new_spec, description=description)
        return configuration(function, None)

    async def _publish(self, function: Function, payload: dict[str, Any]) -> dict[str, Any]:
        revision = payload.get("RevisionId")
        if revision is not None and revision != function.config.revision_id:
            raise Refused(
                412,
                "PreconditionFailedException",
                "The Revision Id provided does not match the latest Revision Id.",
            )
        previous = function.published_from
        if (
            previous is not None
            and previous[0] == function.config.revision_id
            and previous[1] in function.versions
        ):
            return configuration(function, previous[1])
        description = payload.get("Description", function.config.description)
        if not isinstance(description, str):
            raise invalid("Description must be a string")
        number = str(function.next_version)
        function.next_version += 1
        # A version serves on demand only: provisioned concurrency and ping schedules are
        # configured per qualifier on AWS, and stay with the stack's $LATEST here.
        spec = dataclasses.replace(
            function.latest.spec, provisioned_concurrency=0, ping_interval_minutes=None
        )
        latest = function.latest
        host = FunctionHost(
            spec,
            latest.options,
            pool=latest.pool,
            log=latest.log,
            launcher=dataclasses.replace(latest.launcher, spec=spec, version=number),
        )
        host.arn = f"{function.arn}:{number}"
        await host.start()
        function.versions[number] = Version(
            number, host, Config(spec=spec, description=description)
        )
        function.published_from = (function.config.revision_id, number)
        latest.log.event("version_published", version=number, memory_mb=spec.memory_mb)
        return configuration(function, number)

    async def _delete_version(self, function: Function, qualifier: str | None) -> None:
        if qualifier is None:
            raise invalid(
                "the emulator deletes published versions only (pass Qualifier): "
                "its functions are the stacks it hosts"
            )
        if qualifier == "$LATEST":
            raise invalid("$LATEST version cannot be deleted without deleting the function.")
        if qualifier in function.aliases:
            raise invalid(
                "Deletion of aliases is not supported (DeleteFunction with an alias "
                "as Qualifier): use DeleteAlias"
            )
        version = function.versions.get(qualifier)
        if version is None:
            raise not_found(f"Function not found: {function.arn}:{qualifier}")
        pointing = sorted(a.name for a in function.aliases.values() if a.version == qualifier)
        if pointing:
            raise Refused(
                409,
                "ResourceConflictException",
                "Unable to delete version because the following aliases reference "
                f"it: [{', '.join(pointing)}]",
            )
        del function.versions[qualifier]
        await version.host.close()
        function.latest.log.event("version_deleted", version=qualifier)
