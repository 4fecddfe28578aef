"""The request path: one keep-alive HTTP/1.1 connection per user, on an asyncio Protocol.

Chosen by measurement (``bench/bench_loadgen.py``, figures in bench/results-loadgen.json):
httpx costs ~2 ms of CPU per request on one core, h11 (pure Python) ~40 µs of parsing alone;
httptools (llhttp, Node's parser) parses a response in a few µs. So responses are parsed by
httptools (``connect``); the h11 variant (``connect_h11`` in ``_h11.py``) stays as the measured
alternative and a cross-check in the tests, built on the protocol and connection base here.
Requests are fixed-form (POST, four headers) and written as bytes. httpx stays for the one-off
GET /health.

The clock starts just before the request bytes are written and stops in the protocol
callback that receives the end of the body, before the waiting task is resumed, so the
event loop's scheduling delay is not counted as the server's latency.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import httptools

if TYPE_CHECKING:
    from ._requests import PreparedRequest

__all__ = [
    "Connection",
    "Connector",
    "HttptoolsConnection",
    "PostSigner",
    "PostingConnection",
    "RequestFailed",
    "Response",
    "ResponseProtocol",
    "connect",
    "open_protocol",
]


class RequestFailed(Exception):
    """A request that produced no usable HTTP response; ``kind`` is one of ERROR_KINDS."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind = kind
        self.detail = detail


@dataclass(slots=True)
class Response:
    status: int
    #: Header names in lower case (h11 normalises them), values decoded as latin-1.
    headers: dict[str, str]
    body: bytes
    #: perf_counter_ns() when the request's first byte was handed to the socket.
    sent_ns: int
    #: perf_counter_ns() when the last byte of the body arrived.
    done_ns: int


class Connection(Protocol):
    """What the runner needs from a connection; tests may inject their own."""

    @property
    def reusable(self) -> bool: ...

    async def post(self, body: bytes, *, timeout_s: float) -> Response: ...

    async def send(
        self, request: PreparedRequest, *, base_path: str, timeout_s: float
    ) -> Response: ...

    def close(self) -> None: ...


#: ``await connector(host, port, path, timeout_s)`` opens a connection.
Connector = Callable[[str, int, str, float], Awaitable[Connection]]


class ResponseProtocol(asyncio.Protocol):
    """What both parsers share: one response awaited at a time, failures classified."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.waiter: asyncio.Future[Response] | None = None
        self.closed = False
        self.sent_ns = 0
        self._headers: dict[str, str] = {}
        self._chunks: list[bytes] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def abort(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.abort()

    def _fail(self, kind: str, detail: str) -> None:
        waiter, self.waiter = self.waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_exception(RequestFailed(kind, detail))
        self.abort()

    def _deliver(self, response: Response) -> None:
        waiter, self.waiter = self.waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result(response)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self.waiter is not None:
            if isinstance(exc, ConnectionResetError):
                self._fail("reset", "connection reset by the server")
            else:
                self._fail("reset", f"connection lost: {exc or 'closed by the server'}")

    def on_timeout(self) -> None:
        self._fail("timeout", "no complete response within the timeout")


class PostingConnection:
    """One keep-alive HTTP/1.1 connection that POSTs JSON bodies to one path.

    Subclasses say how a request is written (``_encode``) and when the connection can carry
    another (``reusable``); sending, timing and the timeout are the same for both parsers.
    """

    _protocol: ResponseProtocol

    def __init__(self, protocol: ResponseProtocol) -> None:
        self._protocol = protocol
        self._loop = asyncio.get_running_loop()

    @property
    def reusable(self) -> bool:
        raise NotImplementedError

    def _encode(self, body: bytes) -> bytes:
        raise NotImplementedError

    def _encode_request(self, request: PreparedRequest, base_path: str) -> bytes:
        raise NotImplementedError

    async def post(self, body: bytes, *, timeout_s: float) -> Response:
        """POST ``body`` (JSON) to the connection's path."""
        self._check_reusable()
        return await self._exchange(self._encode(body), timeout_s)

    async def send(self, request: PreparedRequest, *, base_path: str, timeout_s: float) -> Response:
        """Send one request of a request set (its path under ``base_path``)."""
        self._check_reusable()
        return await self._exchange(self._encode_request(request, base_path), timeout_s)

    def _check_reusable(self) -> None:
        # Before encoding: h11 counts a request as under way once it is encoded.
        if not self.reusable:
            raise RequestFailed("reset", "connection closed by the server while idle")

    async def _exchange(self, data: bytes, timeout_s: float) -> Response:
        proto = self._protocol
        waiter: asyncio.Future[Response] = self._loop.create_future()
        proto.waiter = waiter
        timer = self._loop.call_later(timeout_s, proto.on_timeout)
        proto.sent_ns = time.perf_counter_ns()
        proto.transport.write(data)  # type: ignore[union-attr]
        try:
            return await waiter
        except asyncio.CancelledError:
            proto.abort()
            raise
        finally:
            timer.cancel()

    def close(self) -> None:
        self._protocol.abort()


async def open_protocol(
    factory: Callable[[], asyncio.Protocol],
    host: str,
    port: int,
    timeout_s: float,
    ssl_context: ssl.SSLContext | None,
) -> asyncio.Protocol:
    loop = asyncio.get_running_loop()
    try:
        _, protocol = await asyncio.wait_for(
            loop.create_connection(
                factory,
                host,
                port,
                ssl=ssl_context,
                server_hostname=host if ssl_context is not None else None,
            ),
            timeout=timeout_s,
        )
    except TimeoutError as exc:
        raise RequestFailed(
            "timeout", f"no connection to {host}:{port} within {timeout_s:g} s"
        ) from exc
    except ConnectionRefusedError as exc:
        raise RequestFailed("refused", f"connection to {host}:{port} refused") from exc
    except ssl.SSLError as exc:
        raise RequestFailed("refused", f"TLS handshake with {host}:{port} failed: {exc}") from exc
    except OSError as exc:
        raise RequestFailed(
            "refused", f"cannot connect to {host}:{port}: {exc.strerror or exc}"
        ) from exc
    return protocol


class _HttptoolsProtocol(ResponseProtocol):
    """httptools (llhttp) parses; callbacks collect one response at a time."""

    def __init__(self) -> None:
        super().__init__()
        self.parser = httptools.HttpResponseParser(self)

    # httptools callbacks
    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers[name.decode("latin-1").lower()] = value.decode("latin-1")

    def on_body(self, body: bytes) -> None:
        self._chunks.append(body)

    def on_message_complete(self) -> None:
        done_ns = time.perf_counter_ns()
        status = self.parser.get_status_code()
        headers, chunks = self._headers, self._chunks
        self._headers, self._chunks = {}, []
        if status < 200:
            return  # an interim 1xx answer: the real one follows
        if not self.parser.should_keep_alive():
            self.closed = True
        self._deliver(Response(status, headers, b"".join(chunks), self.sent_ns, done_ns))

    def data_received(self, data: bytes) -> None:
        if self.waiter is None:
            # Bytes nobody asked for: the connection's framing can no longer be trusted.
            self.abort()
            return
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail("bad_response", f"malformed HTTP response: {exc}")
            return
        if self.closed and self.waiter is None and self.transport is not None:
            self.transport.abort()

    def eof_received(self) -> bool:
        self.closed = True
        if self.waiter is not None:
            self._fail("reset", "connection closed by the server before the response was complete")
        return False


class PostSigner(Protocol):
    """Signs the POSTs of one connection (``loadgen.transport._sign.RequestSigner``)."""

    def for_post(self, host_header: str, path: str) -> Callable[[bytes], bytes]: ...

    def for_request(self, host_header: str, method: str, path: str) -> Callable[[bytes], bytes]: ...


class HttptoolsConnection(PostingConnection):
    """A connection whose responses httptools parses (the request path of every scenario)."""

    def __init__(
        self,
        protocol: _HttptoolsProtocol,
        host: str,
        port: int,
        path: str,
        signer: PostSigner | None = None,
    ) -> None:
        super().__init__(protocol)
        host_header = host if port in (80, 443) else f"{host}:{port}"
        self._head = (
            f"POST {path} HTTP/1.1\r\nhost: {host_header}\r\nuser-agent: loadgen\r\n"
            "content-type: application/json\r\ncontent-length: "
        ).encode("ascii")
        # Signed before the clock starts (post() times from the write), so never counted.
        self._sign = signer.for_post(host_header, path) if signer is not None else None
        self._host_header = host_header
        self._signer = signer
        # A request set's heads and signers, made once per request (the set is small).
        self._heads: dict[tuple[str, str, bytes], tuple[bytes, Callable[[bytes], bytes] | None]]
        self._heads = {}

    @property
    def reusable(self) -> bool:
        proto = self._protocol
        return (
            not proto.closed
            and proto.waiter is None
            and proto.transport is not None
            and not proto.transport.is_closing()
        )

    def _encode(self, body: bytes) -> bytes:
        if self._sign is not None:
            return b"%b%d\r\n%b\r\n%b" % (self._head, len(body), self._sign(body), body)
        return b"%b%d\r\n\r\n%b" % (self._head, len(body), body)

    def _encode_request(self, request: PreparedRequest, base_path: str) -> bytes:
        path = base_path + request.path
        key = (request.method, path, request.header_lines)
        known = self._heads.get(key)
        if known is None:
            head = (
                f"{request.method} {path} HTTP/1.1\r\nhost: {self._host_header}\r\n"
                "user-agent: loadgen\r\n"
            ).encode("ascii") + request.header_lines
            sign = (
                self._signer.for_request(self._host_header, request.method, path)
                if self._signer is not None
                else None
            )
            known = self._heads[key] = (head + b"content-length: ", sign)
        head, sign = known
        body = request.body
        if sign is not None:
            return b"%b%d\r\n%b\r\n%b" % (head, len(body), sign(body), body)
        return b"%b%d\r\n\r\n%b" % (head, len(body), body)


async def connect(
    host: str,
    port: int,
    path: str,
    timeout_s: float,
    *,
    ssl_context: ssl.SSLContext | None = None,
    signer: PostSigner | None = None,
) -> HttptoolsConnection:
    """Open a connection (TLS with ``ssl_context``; SigV4-signed requests with ``signer``),
    or raise RequestFailed."""
    protocol = await open_protocol(_HttptoolsProtocol, host, port, timeout_s, ssl_context)
    return HttptoolsConnection(protocol, host, port, path, signer)  # type: ignore[arg-type]
