"""A request set: the sample requests a load generator sends to a function, and their weights.

A team's function is exercised by the requests its team writes (``requests`` of a ``function``
stack): a file holding one JSON request, a JSON list of them, or JSON lines, each
``{"method", "path", "headers", "body", "weight"}``. The study's model stacks are exercised the
same way, their KDD rows turned into ``POST /predict`` requests. The stack validates the file
when the stack is loaded; the load generator reads it to send it. Standard library only.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from contract._lambda import PAYLOAD_LIMIT_BYTES

#: What an HTTP API route can name (``ANY`` is a route's method, not a request's).
METHODS = ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT")
_KEYS = ("body", "headers", "method", "path", "weight")


class RequestSetError(ValueError):
    """A request set that cannot be sent; ``problems`` holds one line per problem."""

    def __init__(self, source: str, problems: Sequence[str]) -> None:
        self.source = source
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


@dataclass(frozen=True, kw_only=True)
class SampleRequest:
    """One request of a set, ready to send."""

    #: ``GET``, ``POST``, ...
    method: str
    #: The path (and query string) after the API's base URL: ``/predict``, ``/items?id=3``.
    path: str
    #: Extra headers (lower-case names), in the file's order.
    headers: tuple[tuple[str, str], ...] = ()
    #: The body as sent: a JSON value in the file is encoded compactly.
    body: bytes = b""
    #: How often it is sent relative to the others (any positive number).
    weight: float = 1.0

    @property
    def route(self) -> str:
        """``METHOD /path`` without the query string: what an HTTP API routes on."""
        return f"{self.method} {self.path.partition('?')[0]}"


def _one(item: object, where: str, problems: list[str]) -> SampleRequest | None:
    if not isinstance(item, Mapping):
        problems.append(
            f"{where}: a request must be a JSON object "
            '{"method", "path", "headers", "body", "weight"}'
        )
        return None
    unknown = sorted(set(map(str, item)) - set(_KEYS))
    if unknown:
        problems.append(
            f"{where}: unknown key(s) {', '.join(unknown)}; a request has {', '.join(_KEYS)}"
        )
    method = item.get("method", "POST" if "body" in item else "GET")
    if not isinstance(method, str) or method.upper() not in METHODS:
        problems.append(f"{where}: method {method!r} is not one of {', '.join(METHODS)}")
        method = "GET"
    path = item.get("path")
    if not isinstance(path, str) or not path.startswith("/") or any(c.isspace() for c in path):
        problems.append(
            f"{where}: path {path!r} must start with '/' and hold no spaces (e.g. \"/predict\")"
        )
        path = "/"
    headers = item.get("headers", {})
    pairs: list[tuple[str, str]] = []
    if not isinstance(headers, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in headers.items()
    ):
        problems.append(
            f"{where}: headers must be a JSON object of strings, e.g. "
            '{"content-type": "application/json"}'
        )
    else:
        pairs = [(name.lower(), value) for name, value in headers.items()]
    body = item.get("body")
    if body is None:
        data = b""
    elif isinstance(body, str):
        data = body.encode("utf-8")
    else:
        data = json.dumps(body, separators=(",", ":")).encode("utf-8")
        if "content-type" not in dict(pairs):
            pairs.append(("content-type", "application/json"))
    if len(data) > PAYLOAD_LIMIT_BYTES:
        problems.append(f"{where}: body is {len(data)} bytes, over Lambda's 6 MB request limit")
    weight = item.get("weight", 1)
    if (
        isinstance(weight, bool)
        or not isinstance(weight, int | float)
        or not math.isfinite(weight)
        or weight <= 0
    ):
        problems.append(f"{where}: weight {weight!r} must be a number > 0")
        weight = 1
    return SampleRequest(
        method=method.upper(), path=path, headers=tuple(pairs), body=data, weight=float(weight)
    )


def parse_request_set(text: str, source: str) -> tuple[SampleRequest, ...]:
    """The requests of a file's ``text`` (one JSON request, a JSON list, or JSON lines)."""
    problems: list[str] = []
    items: list[tuple[str, Any]] = []
    try:
        document = json.loads(text)
    except json.JSONDecodeError as whole:
        lines = [(n, line) for n, line in enumerate(text.splitlines(), 1) if line.strip()]
        if len(lines) < 2:
            raise RequestSetError(
                source,
                [
                    (
                        f"{source}:{whole.lineno}: not JSON ({whole.msg}); write one request "
                        "object, a "
                        "JSON list of them, or one object per line"
                    )
                ],
            ) from None
        for number, line in lines:
            try:
                items.append((f"{source}:{number}", json.loads(line)))
            except json.JSONDecodeError as exc:
                problems.append(
                    f"{source}:{number}: not JSON ({exc.msg}); JSON lines hold one "
                    "request object per line"
                )
    else:
        if isinstance(document, list):
            items = [(f"{source}[{i}]", item) for i, item in enumerate(document)]
        else:
            items = [(source, document)]
    requests = [r for where, item in items if (r := _one(item, where, problems)) is not None]
    if not requests and not problems:
        problems.append(
            f'{source}: holds no request; give at least one {{"method": "GET", "path": "/"}}'
        )
    if problems:
        raise RequestSetError(source, problems)
    return tuple(requests)


def read_request_set(path: Path) -> tuple[SampleRequest, ...]:
    """The requests of the file ``path``; RequestSetError says every problem, one per line."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise RequestSetError(
            str(path), [f"cannot read the request file {path}: {reason}"]
        ) from None
    return parse_request_set(text, str(path))
