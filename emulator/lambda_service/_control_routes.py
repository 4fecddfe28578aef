"""Which control-plane operation a Lambda API request asks for, from its REST path and method
(botocore's service model for ``lambda``, 2015-03-31)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ControlOperation", "control_operation"]

_PREFIX = "/2015-03-31/functions/"


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
    parts = raw_path[len(_PREFIX) :].split("/")
    if not parts[0]:
        return None
    function, rest = parts[0], parts[1:]
    table: dict[tuple[str, ...], dict[str, str]] = {
        (): {"GET": "GetFunction", "DELETE": "DeleteFunction"},
        ("configuration",): {
            "GET": "GetFunctionConfiguration",
            "PUT": "UpdateFunctionConfiguration",
        },
        ("versions",): {"POST": "PublishVersion", "GET": "ListVersionsByFunction"},
        ("aliases",): {"POST": "CreateAlias", "GET": "ListAliases"},
    }
    if len(rest) == 2 and rest[0] == "aliases" and rest[1]:
        names = {"GET": "GetAlias", "PUT": "UpdateAlias", "DELETE": "DeleteAlias"}
        operation = names.get(method)
        return ControlOperation(operation, function, rest[1]) if operation else None
    operation = table.get(tuple(rest), {}).get(method)
    return ControlOperation(operation, function) if operation else None
