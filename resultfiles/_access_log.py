"""Reading a stack's access log (``logs/<stack>.access.jsonl``, docs/results.md): one typed
entry per request the gateway answered.

The emulator's gateway writes it as requests are answered, and ``python -m report logs`` writes
it from an AWS stage's access-log group; the report joins records to ``REPORT`` lines through
it. The reader is tolerant as the report always was: a missing or unreadable file is no
entries, a torn or foreign line is skipped, a value of the wrong type reads as None.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

__all__ = ["AccessEntry", "read_access_log"]


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _number(value: object) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    return None


@dataclass(frozen=True, kw_only=True)
class AccessEntry:
    """One line of the access log."""

    #: when the gateway answered, epoch seconds
    t: float | None = None
    #: the gateway's request id (a record's ``gateway_request_id``)
    apigw_id: str | None = None
    #: the invocation's Lambda request id; None when the gateway answered itself
    request_id: str | None = None
    status: int | None = None
    #: the network path applied to this request, ms
    added_ms: float | None = None
    response_ms: float | None = None


def read_access_log(path: Path) -> list[AccessEntry]:
    """The entries of the access log at ``path`` (none when there is no readable file)."""
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return []
    entries: list[AccessEntry] = []
    for line in lines:
        try:
            data = json.loads(line)
        except ValueError:
            continue  # a torn last line: the requests before it still count
        if not isinstance(data, dict):
            continue
        status = data.get("status")
        entries.append(
            AccessEntry(
                t=_number(data.get("t")),
                apigw_id=_str(data.get("apigw_id")),
                request_id=_str(data.get("request_id")),
                status=status if isinstance(status, int) and not isinstance(status, bool) else None,
                added_ms=_number(data.get("added_ms")),
                response_ms=_number(data.get("response_ms")),
            )
        )
    return entries
