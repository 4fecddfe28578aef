"""One attempt: send a prediction request, check the answer, write its record.

Every attempt becomes one :class:`~resultfiles.Record`, whatever happened to it: a failure
carries its error kind, an attempt in flight when the run is cancelled is recorded as
``cancelled`` before the cancellation goes on.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping

import anyio

from contract import (
    COLD_START_HEADER,
    INIT_MS_HEADER,
    INIT_TYPE_HEADER,
    INSTANCE_ID_HEADER,
    MODEL_VERSION_HEADER,
    REQUEST_ID_HEADER,
    RESTORE_HEADER,
    RUNTIME_HEADER,
)
from resultfiles import Record

from ._clock import RunClock
from ._http import Connection, Connector, RequestFailed
from ._results import ResultWriter
from ._stop import Stop
from ._target import Target

__all__ = ["Attempts", "check_body", "make_record"]


def check_body(body: bytes, batch: int) -> tuple[int | None, str | None]:
    """(predictions in a 200 body, what is wrong with it or None)."""
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


def make_record(*, clock: RunClock, seq: int, user: int | None, stage: int, phase: str | None,
                start_ns: int, sent_ns: int, done_ns: int, intended_ns: int | None,
                from_intended: bool, error: str | None, detail: str | None, status: int | None,
                headers: Mapping[str, str], received: int, sent_bytes: int,
                predictions: int | None, connect_ms: float | None = None) -> Record:
    """The record of one attempt from its times (``perf_counter_ns``) and its response.

    Latency runs from ``sent_ns``, or from ``intended_ns`` when ``from_intended`` (the open
    model charges a late start to the request).
    """
    begin_ns = intended_ns if (from_intended and intended_ns is not None) else sent_ns
    cold = headers.get(COLD_START_HEADER, "").lower()
    init = headers.get(INIT_MS_HEADER)
    try:
        init_ms = float(init) if init is not None else None
    except ValueError:
        init_ms = None
    return Record(
        seq=seq,
        user=user,
        stage=stage,
        phase=phase,
        intended_s=round(clock.offset_s(intended_ns), 6) if intended_ns is not None else None,
        start_s=round(clock.offset_s(sent_ns), 6),
        late_ms=round(max(0, start_ns - intended_ns) / 1e6, 3) if intended_ns is not None else 0.0,
        latency_us=max(0, (done_ns - begin_ns) // 1000),
        connect_ms=connect_ms,
        status=status,
        error=error,
        detail=detail,
        bytes_out=sent_bytes,
        bytes_in=received,
        predictions=predictions,
        cold_start=True if cold in ("true", "1") else (False if cold in ("false", "0") else None),
        # SnapStart: the first request of a restored instance (docs/api.md), not a cold start.
        restore=headers.get(RESTORE_HEADER, "").lower() == "true",
        init_type=headers.get(INIT_TYPE_HEADER),
        instance_id=headers.get(INSTANCE_ID_HEADER),
        init_ms=init_ms,
        model_version=headers.get(MODEL_VERSION_HEADER),
        runtime=headers.get(RUNTIME_HEADER),
        request_id=headers.get(REQUEST_ID_HEADER),
    )


class Attempts:
    """Sends the run's requests (bodies in turn, numbered in order of starting)."""

    def __init__(self, *, target: Target, connector: Connector, bodies: list[bytes], batch: int,
                 timeout_s: float, clock: RunClock, writer: ResultWriter, stop: Stop) -> None:
        self.target = target
        self.connector = connector
        self.bodies = bodies
        self.batch = batch
        self.timeout_s = timeout_s
        self.clock = clock
        self.writer = writer
        self.stop = stop
        self._body_index = 0
        self._seq = 0

    async def attempt(self, conn: Connection | None, *, user: int | None, stage: int,
                      phase: str | None = None, fresh: bool = False,
                      intended_ns: int | None = None, from_intended: bool = False,
                      ) -> tuple[Connection | None, Record, int]:
        """One request on ``conn`` (a new connection if None, ``fresh`` or not reusable).

        Returns the connection to use next (None when it failed), the record and when the
        attempt ended (``perf_counter_ns``).
        """
        body = self.bodies[self._body_index]
        self._body_index = (self._body_index + 1) % len(self.bodies)
        seq = self._seq
        self._seq += 1
        start_ns = time.perf_counter_ns()
        sent_ns = start_ns
        connect_ms = None
        status = None
        error = None
        detail = None
        headers: dict[str, str] = {}
        received = 0
        predictions = None
        done_ns = start_ns
        try:
            if conn is None or fresh or not conn.reusable:
                if conn is not None:
                    conn.close()
                conn = None
                conn = await self.connector(self.target.host, self.target.port,
                                            self.target.predict_path, self.timeout_s)
                connect_ms = round((time.perf_counter_ns() - start_ns) / 1e6, 3)
            response = await conn.post(body, timeout_s=self.timeout_s)
            sent_ns, done_ns = response.sent_ns, response.done_ns
            status = response.status
            headers = response.headers
            received = len(response.body)
            if status == 200:
                predictions, detail = check_body(response.body, self.batch)
                if detail is not None:
                    error = "bad_response"
            else:
                error = "throttled" if status == 429 else "http_status"
                detail = response.body[:200].decode("utf-8", "replace")
        except RequestFailed as exc:
            done_ns = time.perf_counter_ns()
            error, detail = exc.kind, exc.detail
            if conn is not None:
                conn.close()
            conn = None
        except anyio.get_cancelled_exc_class():
            done_ns = time.perf_counter_ns()
            if conn is not None:
                conn.close()
            why = self.stop.reason or "the run was cancelled"
            self.writer.record(make_record(
                clock=self.clock, seq=seq, user=user, stage=stage, phase=phase,
                start_ns=start_ns, sent_ns=start_ns, done_ns=done_ns, intended_ns=intended_ns,
                from_intended=True, error="cancelled", detail=f"in flight when {why}",
                status=None, headers=headers, received=0, sent_bytes=len(body), predictions=None,
            ), done_ns)
            raise
        if error is not None and error not in ("http_status", "throttled", "bad_response"):
            sent_ns = start_ns
        rec = make_record(
            clock=self.clock, seq=seq, user=user, stage=stage, phase=phase, start_ns=start_ns,
            sent_ns=sent_ns, done_ns=done_ns, intended_ns=intended_ns,
            from_intended=from_intended, error=error, detail=detail, status=status,
            headers=headers, received=received, sent_bytes=len(body), predictions=predictions,
            connect_ms=connect_ms,
        )
        self.writer.record(rec, done_ns)
        return conn, rec, done_ns
