"""One attempt: send a prediction request, check the answer, write its record.

Every attempt becomes one :class:`~resultfiles.Record`, whatever happened to it: a failure
carries its error kind, an attempt in flight when the run is cancelled is recorded as
``cancelled`` before the cancellation goes on.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

import anyio
import anyio.lowlevel

from contract import (
    COLD_START_HEADER,
    GATEWAY_REQUEST_ID_HEADER,
    INIT_MS_HEADER,
    INIT_TYPE_HEADER,
    INSTANCE_ID_HEADER,
    MODEL_VERSION_HEADER,
    REQUEST_ID_HEADER,
    RESTORE_HEADER,
    RUNTIME_HEADER,
)
from resultfiles import Record

from ..files._results import ResultWriter
from ..transport._http import Connection, Connector, RequestFailed
from ..transport._requests import RequestSet, check_body
from ..transport._target import Target
from ._clock import RunClock
from ._stop import Stop

__all__ = ["Attempts", "check_body", "make_record"]


def make_record(
    *,
    clock: RunClock,
    seq: int,
    user: int | None,
    stage: int,
    phase: str | None,
    start_ns: int,
    sent_ns: int,
    done_ns: int,
    intended_ns: int | None,
    from_intended: bool,
    error: str | None,
    detail: str | None,
    status: int | None,
    headers: Mapping[str, str],
    received: int,
    sent_bytes: int,
    predictions: int | None,
    connect_ms: float | None = None,
) -> Record:
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
        gateway_request_id=headers.get(GATEWAY_REQUEST_ID_HEADER),
    )


class Attempts:
    """Sends the run's request set (in its weighted turns, numbered in order of starting).

    With ``stop_at_first_failure``, a first answer that is not correct (the handler could not be
    loaded, a route the function does not answer, ...) stops the run at once: a whole run of
    the same failure would measure nothing. ``first_failure`` then says what it was.
    """

    def __init__(
        self,
        *,
        target: Target,
        connector: Connector,
        request_set: RequestSet,
        timeout_s: float,
        clock: RunClock,
        writer: ResultWriter,
        stop: Stop,
        stop_at_first_failure: bool = False,
    ) -> None:
        self.target = target
        self.connector = connector
        self.request_set = request_set
        self.timeout_s = timeout_s
        self.clock = clock
        self.writer = writer
        self.stop = stop
        self.stop_at_first_failure = stop_at_first_failure
        self.first_failure: str | None = None
        self._turn = 0
        self._seq = 0

    async def attempt(
        self,
        conn: Connection | None,
        *,
        user: int | None,
        stage: int,
        phase: str | None = None,
        fresh: bool = False,
        intended_ns: int | None = None,
        from_intended: bool = False,
    ) -> tuple[Connection | None, Record, int]:
        """One request on ``conn`` (a new connection if None, ``fresh`` or not reusable).

        Returns the connection to use next (None when it failed), the record and when the
        attempt ended (``perf_counter_ns``).
        """
        if self.stop.reason is not None:
            # Stopped (by the first answer, a signal, a full disk): let the cancellation land
            # here, before anything more is sent.
            await anyio.lowlevel.checkpoint()
        order = self.request_set.order
        request = self.request_set.requests[order[self._turn]]
        self._turn = (self._turn + 1) % len(order)
        body = request.body
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
                conn = await self.connector(
                    self.target.host, self.target.port, self.target.predict_path, self.timeout_s
                )
                connect_ms = round((time.perf_counter_ns() - start_ns) / 1e6, 3)
            response = await conn.send(
                request, base_path=self.target.base_path, timeout_s=self.timeout_s
            )
            sent_ns, done_ns = response.sent_ns, response.done_ns
            status = response.status
            headers = response.headers
            received = len(response.body)
            error, predictions, detail = self.request_set.expect.judge(status, response.body)
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
            self.writer.record(
                make_record(
                    clock=self.clock,
                    seq=seq,
                    user=user,
                    stage=stage,
                    phase=phase,
                    start_ns=start_ns,
                    sent_ns=start_ns,
                    done_ns=done_ns,
                    intended_ns=intended_ns,
                    from_intended=True,
                    error="cancelled",
                    detail=f"in flight when {why}",
                    status=None,
                    headers=headers,
                    received=0,
                    sent_bytes=len(body),
                    predictions=None,
                ),
                done_ns,
            )
            raise
        if error is not None and error not in ("http_status", "throttled", "bad_response"):
            sent_ns = start_ns
        rec = make_record(
            clock=self.clock,
            seq=seq,
            user=user,
            stage=stage,
            phase=phase,
            start_ns=start_ns,
            sent_ns=sent_ns,
            done_ns=done_ns,
            intended_ns=intended_ns,
            from_intended=from_intended,
            error=error,
            detail=detail,
            status=status,
            headers=headers,
            received=received,
            sent_bytes=len(body),
            predictions=predictions,
            connect_ms=connect_ms,
        )
        self.writer.record(rec, done_ns)
        if seq == 0 and self.stop_at_first_failure and error not in (None, "throttled"):
            what = f"answered {status}" if status is not None else f"failed ({error})"
            self.first_failure = (
                f"the first request ({request.route}) {what}: {(detail or '').strip()[:160]}; "
                f"expected {self.request_set.expect.describe()}. Stopped: the rest would fail "
                "alike"
            )
            self.stop(self.first_failure)
        return conn, rec, done_ns
