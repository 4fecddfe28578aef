"""What a run sends: a request set (method, path, headers, body, in weighted turns) and what
counts as a correct answer.

Every run sends a request set, whatever the target: a team's function its request file
(``--requests``, or the one its stack names in the emulator's endpoints file), the study's model
stacks their KDD rows as ``POST /predict`` requests (``kdd_request_set``), checked for one
prediction per instance sent. Requests are encoded once, before the run, so the request path
only picks the next one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from contract import PREDICT_PATH

if TYPE_CHECKING:
    from contract import SampleRequest

from .._errors import PayloadError
from ._payload import build_bodies

__all__ = [
    "Expect",
    "PreparedRequest",
    "RequestSet",
    "check_body",
    "function_request_set",
    "kdd_request_set",
    "weighted_order",
]

#: The most turns a weighted order holds (the requests cycle through it).
MAX_TURNS = 4096


def check_body(body: bytes, batch: int) -> tuple[int | None, str | None]:
    """(predictions in a model's 200 body, what is wrong with it or None)."""
    try:
        document = json.loads(body)
    except ValueError:
        return None, f"body is not JSON: {body[:80]!r}"
    predictions = document.get("predictions") if isinstance(document, dict) else None
    if not isinstance(predictions, list):
        return None, "no 'predictions' list in the body"
    if len(predictions) != batch:
        return len(predictions), f"{len(predictions)} predictions for {batch} instances"
    for item in predictions:
        if not isinstance(item, dict) or "probability" not in item:
            return len(predictions), "a prediction has no 'probability'"
    return len(predictions), None


@dataclass(frozen=True, kw_only=True)
class Expect:
    """What counts as a correct answer: a 2xx status (``status_ok``: 200 only for the model's
    contract) and, in the body, ``predictions`` for ``batch`` instances or a JSON ``field``."""

    #: ``predictions``: the model's answer to ``batch`` instances; ``status``: any 2xx answer.
    kind: str = "status"
    batch: int = 1
    #: A top-level JSON field a correct body holds (``status`` kind), or None.
    field: str | None = None

    def judge(self, status: int, body: bytes) -> tuple[str | None, int | None, str | None]:
        """(error kind or None, predictions counted or None, what was wrong or None)."""
        if status == 429:
            return "throttled", None, body[:200].decode("utf-8", "replace")
        if self.kind == "predictions":
            if status != 200:
                return "http_status", None, body[:200].decode("utf-8", "replace")
            predictions, detail = check_body(body, self.batch)
            return ("bad_response" if detail is not None else None), predictions, detail
        if not 200 <= status < 300:
            return "http_status", None, body[:200].decode("utf-8", "replace")
        if self.field is not None:
            try:
                document = json.loads(body)
            except ValueError:
                return "bad_response", None, f"body is not JSON: {body[:80]!r}"
            if not isinstance(document, dict) or self.field not in document:
                return "bad_response", None, f"no {self.field!r} field in the body"
        return None, None, None

    def describe(self) -> str:
        if self.kind == "predictions":
            return f"200 with {self.batch} prediction(s)"
        return "a 2xx answer" + (f" with a {self.field!r} field" if self.field else "")


@dataclass(frozen=True, kw_only=True)
class PreparedRequest:
    """One request of a set, encoded for the wire (its path without the target's prefix)."""

    method: str
    path: str
    #: Header lines (``name: value\\r\\n`` each), besides host, length and signature.
    header_lines: bytes
    body: bytes

    @property
    def route(self) -> str:
        return f"{self.method} {self.path.partition('?')[0]}"


@dataclass(frozen=True, kw_only=True)
class RequestSet:
    """The requests of a run, the order they are sent in, and the check of each answer."""

    requests: tuple[PreparedRequest, ...]
    #: Indexes into ``requests``: the weighted turns, cycled through.
    order: tuple[int, ...]
    expect: Expect
    #: Where the requests come from, for run.json: a file, or the KDD payload.
    source: str

    def describe(self) -> dict[str, object]:
        return {
            "source": self.source,
            "requests": len(self.requests),
            "routes": sorted({r.route for r in self.requests}),
            "expect": self.expect.describe(),
        }


def weighted_order(weights: list[float]) -> tuple[int, ...]:
    """The turns of requests weighted ``weights``: smooth weighted round robin over as many
    turns as the smallest weight needs (at most MAX_TURNS), so ``[3, 1]`` gives 0, 0, 1, 0."""
    if len(set(weights)) <= 1:
        return tuple(range(len(weights)))
    total = sum(weights)
    turns = min(MAX_TURNS, max(len(weights), round(total / min(weights))))
    current = [0.0] * len(weights)
    order = []
    for _ in range(turns):
        for index, weight in enumerate(weights):
            current[index] += weight
        pick = max(range(len(weights)), key=lambda i: (current[i], -i))
        current[pick] -= total
        order.append(pick)
    return tuple(order)


def _prepared(request: SampleRequest) -> PreparedRequest:
    lines = "".join(
        f"{name}: {value}\r\n"
        for name, value in request.headers
        if name not in ("host", "content-length")
    )
    return PreparedRequest(
        method=request.method,
        path=request.path,
        header_lines=lines.encode("latin-1"),
        body=request.body,
    )


def function_request_set(path: Path, *, expect_field: str | None = None) -> RequestSet:
    """A request file's set, every 2xx answer correct (with ``expect_field`` in its body)."""
    # Imported here: the load generator's worker zip ships loadgen and resultfiles alone, and
    # sends the KDD requests (a request file is read on the controller's side only).
    from contract import RequestSetError, read_request_set

    try:
        samples = read_request_set(path)
    except RequestSetError as exc:
        raise PayloadError("; ".join(exc.problems)) from None
    return RequestSet(
        requests=tuple(_prepared(s) for s in samples),
        order=weighted_order([s.weight for s in samples]),
        expect=Expect(kind="status", field=expect_field or None),
        source=str(path),
    )


def kdd_request_set(
    rows: list[dict[str, object]], features: list[str], batch: int, *, source: str
) -> RequestSet:
    """The study's model requests: KDD rows cut to ``features``, ``batch`` per ``POST
    /predict``, each answer holding one prediction per instance."""
    bodies = build_bodies(rows, features, batch)
    requests = tuple(
        PreparedRequest(
            method="POST",
            path=PREDICT_PATH,
            header_lines=b"content-type: application/json\r\n",
            body=body,
        )
        for body in bodies
    )
    return RequestSet(
        requests=requests,
        order=tuple(range(len(requests))),
        expect=Expect(kind="predictions", batch=batch),
        source=source,
    )
