"""The measured alternative parser: a keep-alive HTTP/1.1 connection whose responses h11 parses.

h11 (pure Python) costs ~40 µs of parsing per response where httptools takes a few µs
(``bench/bench_loadgen.py``), so the request path uses ``_http.connect``; this variant stays as
the alternative the benchmark measures and a cross-check of the parser in the tests. Sending,
timing, the timeout and the failure kinds are ``_http``'s, shared by both parsers.
"""

from __future__ import annotations

import ssl
import time
from typing import TYPE_CHECKING

import h11

from ._http import PostingConnection, Response, ResponseProtocol, open_protocol

if TYPE_CHECKING:
    from ._requests import PreparedRequest

__all__ = ["H11Connection", "connect_h11"]


class _H11Protocol(ResponseProtocol):
    def __init__(self) -> None:
        super().__init__()
        self.h11 = h11.Connection(h11.CLIENT)
        self._eof = False
        self._status = 0

    def data_received(self, data: bytes) -> None:
        if self.waiter is None:
            # Bytes nobody asked for: the connection's framing can no longer be trusted.
            self.abort()
            return
        self.h11.receive_data(data)
        self._drain()

    def _drain(self) -> None:
        conn = self.h11
        while True:
            try:
                event = conn.next_event()
            except h11.RemoteProtocolError as exc:
                if self._eof:
                    self._fail(
                        "reset", f"connection closed before the response was complete ({exc})"
                    )
                else:
                    self._fail("bad_response", f"malformed HTTP response: {exc}")
                return
            kind = type(event)
            if kind is h11.Data:
                self._chunks.append(event.data)  # type: ignore[union-attr]
            elif kind is h11.Response:
                self._status = event.status_code  # type: ignore[union-attr]
                self._headers = {
                    name.decode("latin-1"): value.decode("latin-1")
                    for name, value in event.headers  # type: ignore[union-attr]
                }
            elif kind is h11.EndOfMessage:
                done_ns = time.perf_counter_ns()
                response = Response(
                    self._status, self._headers, b"".join(self._chunks), self.sent_ns, done_ns
                )
                self._status, self._headers, self._chunks = 0, {}, []
                if conn.our_state is h11.DONE and conn.their_state is h11.DONE:
                    conn.start_next_cycle()
                else:
                    self.closed = True
                self._deliver(response)
                if self.closed:
                    self.abort()
                return
            elif kind is h11.ConnectionClosed:
                self._fail("reset", "connection closed by the server before a response")
                return
            elif event is h11.NEED_DATA or event is h11.PAUSED:
                return

    def eof_received(self) -> bool:
        if self.waiter is None:
            self.closed = True
            return False
        self._eof = True
        self.h11.receive_data(b"")
        self._drain()
        if self.waiter is not None:
            self._fail("reset", "connection closed by the server before a response")
        return False


class H11Connection(PostingConnection):
    """A connection whose responses h11 parses (the measured alternative)."""

    _protocol: _H11Protocol

    def __init__(self, protocol: _H11Protocol, host: str, port: int, path: str) -> None:
        super().__init__(protocol)
        self._host_header = host if port in (80, 443) else f"{host}:{port}"
        self._path = path
        # h11 events are immutable; one per body length saves building headers per request.
        self._requests: dict[int, h11.Request] = {}

    @property
    def reusable(self) -> bool:
        proto = self._protocol
        return (
            not proto.closed
            and proto.h11.our_state is h11.IDLE
            and proto.h11.their_state is h11.IDLE
            and proto.transport is not None
            and not proto.transport.is_closing()
        )

    def _request_event(self, length: int) -> h11.Request:
        event = self._requests.get(length)
        if event is None:
            event = h11.Request(
                method="POST",
                target=self._path,
                headers=[
                    ("host", self._host_header),
                    ("user-agent", "loadgen"),
                    ("content-type", "application/json"),
                    ("content-length", str(length)),
                ],
            )
            self._requests[length] = event
        return event

    def _encode(self, body: bytes) -> bytes:
        conn = self._protocol.h11
        data = conn.send(self._request_event(len(body)))
        data += conn.send(h11.Data(data=body))
        data += conn.send(h11.EndOfMessage())
        return data

    def _encode_request(self, request: PreparedRequest, base_path: str) -> bytes:
        conn = self._protocol.h11
        extra = [
            (name, value)
            for name, _, value in (
                line.partition(": ")
                for line in request.header_lines.decode("latin-1").split("\r\n")
                if line
            )
        ]
        event = h11.Request(
            method=request.method,
            target=base_path + request.path,
            headers=[
                ("host", self._host_header),
                ("user-agent", "loadgen"),
                *extra,
                ("content-length", str(len(request.body))),
            ],
        )
        data = conn.send(event)
        data += conn.send(h11.Data(data=request.body))
        data += conn.send(h11.EndOfMessage())
        return data


async def connect_h11(
    host: str, port: int, path: str, timeout_s: float, *, ssl_context: ssl.SSLContext | None = None
) -> H11Connection:
    """Open an h11-parsed connection (TLS with ``ssl_context``), or raise RequestFailed."""
    protocol = await open_protocol(_H11Protocol, host, port, timeout_s, ssl_context)
    return H11Connection(protocol, host, port, path)  # type: ignore[arg-type]
