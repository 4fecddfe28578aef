"""A function's aliases: ``CreateAlias``, ``UpdateAlias`` and ``GetAlias``'s lookup and answer
(one version per alias, no weighted ``RoutingConfig``)."""

from __future__ import annotations

import re
import uuid
from typing import Any

from ._control_answers import Refused, invalid, not_found
from ._function_records import Alias, Function

__all__ = ["alias_answer", "create_alias", "find_alias", "update_alias"]

_ALIAS_NAME = re.compile(r"^(?!\d+$)[A-Za-z0-9_-]{1,128}$")


def find_alias(function: Function, name: str) -> Alias:
    """The alias ``name``; refused as not found when there is none."""
    alias = function.aliases.get(name)
    if alias is None:
        raise not_found(f"Alias not found: {function.arn}:{name}")
    return alias


def alias_answer(function: Function, alias: Alias) -> dict[str, Any]:
    """An alias as ``GetAlias`` answers it."""
    return {
        "AliasArn": f"{function.arn}:{alias.name}",
        "Name": alias.name,
        "FunctionVersion": alias.version,
        "Description": alias.description,
        "RevisionId": alias.revision_id,
    }


def _target(function: Function, payload: dict[str, Any]) -> str:
    if "RoutingConfig" in payload:
        raise invalid("the emulator's aliases point at one version (no RoutingConfig)")
    version = payload.get("FunctionVersion")
    if not isinstance(version, str) or not version:
        raise invalid("FunctionVersion is required: a published version or $LATEST")
    if version != "$LATEST" and version not in function.versions:
        raise not_found(f"Function not found: {function.arn}:{version}")
    return version


def create_alias(function: Function, payload: dict[str, Any]) -> dict[str, Any]:
    """``CreateAlias``: a new alias, refused if its name is taken or its version unknown."""
    name = payload.get("Name")
    if not isinstance(name, str) or not _ALIAS_NAME.match(name):
        raise invalid(
            f"1 validation error detected: Value '{name}' at 'name' failed to "
            "satisfy constraint: Member must satisfy regular expression pattern: "
            "(?!^[0-9]+$)([a-zA-Z0-9-_]+)"
        )
    if name in function.aliases:
        raise Refused(
            409, "ResourceConflictException", f"Alias already exists: {function.arn}:{name}"
        )
    version = _target(function, payload)
    description = payload.get("Description", "")
    alias = Alias(name, version, description if isinstance(description, str) else "")
    function.aliases[name] = alias
    return alias_answer(function, alias)


def update_alias(function: Function, alias: Alias, payload: dict[str, Any]) -> dict[str, Any]:
    """``UpdateAlias``: its version and description, and a new revision."""
    if "FunctionVersion" in payload or "RoutingConfig" in payload:
        alias.version = _target(function, payload)
    if isinstance(payload.get("Description"), str):
        alias.description = payload["Description"]
    alias.revision_id = str(uuid.uuid4())
    return alias_answer(function, alias)
