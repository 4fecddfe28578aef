"""The routes of the HTTP contract (docs/api.md) and the event a ``ping`` schedule sends."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from contract._functions import PROJECT

PREDICT_PATH = "/predict"
HEALTH_PATH = "/health"
#: Path → the one method it answers. The functions answer 405 for another method; API
#: Gateway (and the emulator's gateway) answers 404 for a route the stack does not declare.
ROUTES: Mapping[str, str] = MappingProxyType({PREDICT_PATH: "POST", HEALTH_PATH: "GET"})
#: How API Gateway admits a request: ``iam`` (AWS_IAM on every route: SigV4-signed requests from
#: principals allowed execute-api:Invoke) or ``none`` (a public endpoint anyone may call and bill).
AUTHORIZATIONS = ("iam", "none")
#: The same routes as API Gateway route keys (``METHOD /path``), in the order of docs/api.md.
ROUTE_KEYS: tuple[str, ...] = tuple(f"{method} {path}" for path, method in ROUTES.items())


def ping_event() -> dict[str, Any]:
    """The event a ``ping`` schedule sends: an HTTP API payload-2.0 ``GET /health``, so the
    function answers it through its ordinary route and records nothing unusual."""
    method = ROUTES[HEALTH_PATH]
    route_key = f"{method} {HEALTH_PATH}"
    user_agent = f"{PROJECT}-ping"
    return {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": HEALTH_PATH,
        "rawQueryString": "",
        "headers": {"user-agent": user_agent},
        "requestContext": {
            "http": {
                "method": method,
                "path": HEALTH_PATH,
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": user_agent,
            },
            "requestId": "ping",
            "routeKey": route_key,
            "stage": "$default",
            "timeEpoch": 0,
        },
        "isBase64Encoded": False,
    }


def route_matches(route_key: str, method: str, path: str) -> bool:
    """Whether an HTTP API route key (``GET /items/{id}``, ``ANY /{proxy+}``, ``$default``)
    takes a request: the method or ``ANY``; the path segment by segment, ``{name}`` one
    segment, a last ``{name+}`` every remaining one (at least one), as API Gateway matches."""
    if route_key == "$default":
        return True
    route_method, _, route_path = route_key.partition(" ")
    if route_method not in (method, "ANY"):
        return False
    want = route_path.strip("/").split("/") if route_path.strip("/") else []
    have = path.strip("/").split("/") if path.strip("/") else []
    for index, part in enumerate(want):
        if part.startswith("{") and part.endswith("+}") and index == len(want) - 1:
            return len(have) > index
        if index >= len(have):
            return False
        if not (part.startswith("{") and part.endswith("}")) and part != have[index]:
            return False
    return len(have) == len(want)


def path_parameters(route_key: str, path: str) -> dict[str, str]:
    """The values a route key's ``{name}`` and ``{name+}`` segments take in ``path`` (the
    event's ``pathParameters``); empty for a route without them."""
    _, _, route_path = route_key.partition(" ")
    want = [p for p in route_path.strip("/").split("/") if p]
    have = [p for p in path.strip("/").split("/") if p]
    found: dict[str, str] = {}
    for index, part in enumerate(want):
        if part.startswith("{") and part.endswith("+}"):
            found[part[1:-2]] = "/".join(have[index:])
            break
        if part.startswith("{") and part.endswith("}") and index < len(have):
            found[part[1:-1]] = have[index]
    return found
