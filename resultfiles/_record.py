"""One line of ``requests.jsonl``: the record of one attempted request (docs/results.md).

The load generator writes records, ``merge`` and the report read them; all three go through
:class:`Record`, so the file's fields are named in one place. A record read from a file is
checked first (:func:`record_problem`): what a damaged line lacks is said with its ``file:line``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

__all__ = ["ERROR_KINDS", "Record", "record_problem"]

#: Every error kind a request record can carry, in the order tables show them.
#: ``cancelled`` only appears when a run is interrupted while the request is in flight.
ERROR_KINDS: tuple[str, ...] = (
    "refused",
    "reset",
    "timeout",
    "http_status",
    "throttled",
    "bad_response",
    "cancelled",
)


@dataclass(frozen=True, kw_only=True, slots=True)
class Record:
    """An attempted request, as ``requests.jsonl`` holds it (docs/results.md, in its order)."""

    #: attempt number, from 0, in order of starting
    seq: int
    #: user index (scenario 2, scenario 1: 0); None in the open model (``rate``)
    user: int | None = None
    #: index of the stage (rate step, Taurus execution) in which the attempt started
    stage: int
    #: scenario 1: ``probe``, ``warmup`` or ``bisect``; else None
    phase: str | None = None
    #: scheduled start (scenario 1, rate); None when users loop (scenario 2)
    intended_s: float | None = None
    #: when the request's first byte was written (after connecting), since the run's start
    start_s: float
    #: actual start − intended start (0 when there is no schedule)
    late_ms: float = 0.0
    latency_us: int
    #: TCP (+TLS) connect time when this attempt opened a connection
    connect_ms: float | None = None
    #: HTTP status; None when no response arrived
    status: int | None
    #: None for a success, else one of ERROR_KINDS
    error: str | None
    #: what went wrong, in words (the body's first 200 characters for an HTTP error)
    detail: str | None = None
    bytes_out: int = 0
    bytes_in: int = 0
    #: number of predictions in a 200 body
    predictions: int | None = None
    #: ``x-cold-start``; None when absent
    cold_start: bool | None = None
    #: ``x-restore: true``: the first request of an instance restored by SnapStart
    restore: bool = False
    init_type: str | None = None
    instance_id: str | None = None
    #: ``x-init-ms``
    init_ms: float | None = None
    model_version: str | None = None
    runtime: str | None = None
    #: the Lambda request id (joins with REPORT lines), when the function returns it
    #: (``x-request-id``)
    request_id: str | None = None
    #: API Gateway's id of the request (``apigw-requestid``): joins with the stage's access
    #: log, which names the Lambda request id when the function does not return it
    gateway_request_id: str | None = None
    #: merged folders only: index of the source folder the record came from
    source: int | None = None
    #: keys this version does not know (a newer writer's), kept so that merge loses nothing
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def join_id(self) -> str | None:
        """What finds the record's REPORT line: the Lambda request id, else the gateway's
        (``report.load_report_lines`` indexes REPORT lines by both, through the access log)."""
        return self.request_id or self.gateway_request_id

    @property
    def ok(self) -> bool:
        """A success: a 200 with a well-formed body."""
        return self.error is None

    def to_json(self) -> dict[str, Any]:
        """The record as its ``requests.jsonl`` line holds it (``source`` only when merged)."""
        out = {name: getattr(self, name) for name in _FIELDS}
        if self.source is None:
            del out["source"]
        out.update(self.extra)
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Record:
        """A record from a checked JSON object (:func:`record_problem` says None of it)."""
        known = {name: data[name] for name in _FIELDS if name in data}
        extra = {key: value for key, value in data.items() if key not in _FIELD_SET}
        # Files written before the key existed: no restore was reported.
        known["restore"] = known.get("restore") is True
        return cls(**known, extra=extra)


_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Record) if f.name != "extra")
_FIELD_SET = frozenset(_FIELDS)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def record_problem(rec: Any) -> str | None:
    """What makes ``rec`` not a request record (docs/results.md), or None when it is one."""
    if not isinstance(rec, dict):
        return f"a JSON {type(rec).__name__}, not a request record (a JSON object)"
    for key, check, kind in (
        ("seq", _is_int, "an integer"),
        ("stage", _is_int, "an integer"),
        ("start_s", _is_number, "a number"),
        ("latency_us", lambda v: _is_int(v) and v >= 0, "an integer ≥ 0"),
        ("status", lambda v: v is None or _is_int(v), "an integer or null"),
        (
            "error",
            lambda v: v is None or v in ERROR_KINDS,
            f"null or one of {', '.join(ERROR_KINDS)}",
        ),
        ("cold_start", lambda v: v is None or isinstance(v, bool), "true, false or null"),
        ("request_id", lambda v: v is None or isinstance(v, str), "a string or null"),
    ):
        if key not in rec:
            if key in ("cold_start", "request_id"):
                continue
            return f"record without {key!r}"
        if not check(rec[key]):
            return f"{key!r} is {json.dumps(rec[key])[:40]}, not {kind}"
    return None
