"""The front door: one HTTP API per stack on 127.0.0.1, turning requests into payload-2.0
events and function results (or failures) into the responses API Gateway gives."""

from __future__ import annotations

import asyncio
import logging
import socket
import time
import uuid
from collections.abc import Sequence
from typing import Any

from aiohttp import web
from aiohttp.client_exceptions import ClientError
from aiohttp.http_exceptions import HttpProcessingError

from contract import API_PAYLOAD_LIMIT_BYTES, REQUEST_ID_HEADER

from ..instance._instance import Outcome
from ..lambda_service._host import FunctionHost
from ..logs._samples import AccessLog
from ._apigw import (
    INTERNAL_SERVER_ERROR,
    NOT_FOUND,
    PAYLOAD_TOO_LARGE,
    REQUEST_TIMEOUT,
    SERVICE_UNAVAILABLE,
    TOO_MANY_REQUESTS,
    ApiResponse,
    MalformedResult,
    TokenBucket,
    build_event,
    event_payload,
    gateway_error,
    map_result,
    match_route,
    new_request_id,
    route_path,
    sent_path,
)
from ._sigv4 import DEFAULT_CREDENTIALS, SigV4Check, StaticCredentials
from ._timers import DeadlineTimers, Lateness


class _OneLinePerMalformedRequest(logging.LoggerAdapter):  # type: ignore[type-arg]
    """aiohttp's server log, with a malformed request told in one line instead of a traceback.

    Anyone can send a malformed request; it says nothing about the emulator, so it gets one
    warning naming the peer and the fault. Other errors keep their traceback.
    """

    def exception(self, msg: object, *args: object, exc_info: Any = True, **kwargs: Any) -> None:
        if isinstance(exc_info, HttpProcessingError):
            fault = " ".join(str(exc_info.message).split()) or type(exc_info).__name__
            context = str(msg) % args if args else str(msg)
            self.warning(
                "%s: malformed request, answered %s: %s", context, exc_info.code, fault, **kwargs
            )
        else:
            super().exception(msg, *args, exc_info=exc_info, **kwargs)


_server_log = _OneLinePerMalformedRequest(logging.getLogger("emulator.frontdoor"), {})


class FrontDoor:
    """API Gateway for one function."""

    def __init__(
        self,
        host: FunctionHost,
        *,
        integration_timeout_s: float,
        connection_timeout_s: float,
        credentials: StaticCredentials | None = None,
        admitted: Sequence[StaticCredentials] = (),
        denied: Sequence[StaticCredentials] = (),
        network_delay_ms: float = 0.0,
        access_log: AccessLog | None = None,
    ) -> None:
        self.host = host
        #: the network path (client round trip + API Gateway) added to every request
        self.network_delay_s = network_delay_ms / 1000.0
        self.access_log = access_log
        #: apigw id → the Lambda request id of its invocation, until its access-log line
        self._lambda_ids: dict[str, str] = {}
        #: requests answered so far (the sampler's per-second counts)
        self.requests = 0
        self.integration_timeout_s = integration_timeout_s
        self.connection_timeout_s = connection_timeout_s
        spec = host.spec
        self.api_id = uuid.uuid5(uuid.NAMESPACE_DNS, spec.name).hex[:10]
        self.bucket = (
            TokenBucket(rate_per_s=spec.api_throttle_rate, burst=spec.api_throttle_burst)
            if spec.api_throttle_rate is not None and spec.api_throttle_burst is not None
            else None
        )
        # AWS_IAM routes: checked before the integration, so a refused request never invokes.
        # ``admitted``: the function roles whose policy allows invoking this API (a worker
        # stack's invoke_targets); ``denied``: the other roles, recognised but refused.
        self.sigv4 = (
            SigV4Check(
                credentials or DEFAULT_CREDENTIALS, spec.region, admitted=admitted, denied=denied
            )
            if spec.authorization == "iam"
            else None
        )
        # aiohttp's low-level server: one handler for every path, no router on the hot path.
        # Its keep-alive timer runs from a connection's opening (and from each response) and
        # closes it if no complete request head has arrived by then: idle connections and
        # half-sent heads (slowloris) alike; the body has its own bound in _read_body.
        self._runner = web.ServerRunner(
            web.Server(self.handle, keepalive_timeout=connection_timeout_s, logger=_server_log),
            access_log=None,
            handle_signals=False,
            shutdown_timeout=0.5,
        )
        self.port = 0
        self._pending: set[asyncio.Task[Outcome]] = set()
        #: the network path's timers, made on the serving loop, and how late each half's work
        #: ends after its timer (the invocation's start; the reply written)
        self._timers: DeadlineTimers | None = None
        self._way_in = Lateness()
        self._way_out = Lateness()

    async def start(self, port: int) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(("127.0.0.1", port))
        except OSError:
            sock.close()
            raise
        self.port = int(sock.getsockname()[1])
        if self.sigv4 is not None:
            # A request signed for another stack's host is not for this API.
            self.sigv4.hosts = frozenset(self.authorities)
        await self._runner.setup()
        await web.SockSite(self._runner, sock).start()

    @property
    def authorities(self) -> tuple[str, ...]:
        """The ``host:port`` an absolute-form request target may name to reach this API."""
        return (f"127.0.0.1:{self.port}", f"localhost:{self.port}")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def close(self) -> None:
        await self._runner.cleanup()
        if self._timers is not None:
            self._timers.close()
            self._timers = None

    async def handle(self, request: web.BaseRequest) -> web.StreamResponse:
        """The network path around the gateway: half of it on the way in, half on the way out.

        The request is read and its event built as soon as it arrives; the gateway invokes the
        function half a path later, and the reply is written half a path after the function's
        result came back. Both ends are absolute deadlines on precise timers (``_timers``), armed
        early by how late the work they end usually is, so the emulator's own work on either side
        happens within the path, and each request's added delay is the stated one to a fraction
        of a millisecond.
        """
        arrived_s = time.monotonic()
        half_s = self.network_delay_s / 2
        apigw_id = new_request_id()
        admitted = await self._admit(request, apigw_id, gateway_epoch_s=time.time() + half_s)
        if isinstance(admitted, web.Response) and admitted.prepared:
            return admitted  # already answered and the connection dropped (a request timeout)
        if half_s > 0:
            await self._wait_half(arrived_s + half_s, self._way_in)
        handed_s = time.monotonic()
        if isinstance(admitted, bytes):
            response, ended_s = await self._integrate(admitted, apigw_id)
        else:
            response, ended_s = admitted, handed_s
        armed_s = ended_s + half_s - self._way_out.advance_s
        waited = half_s > 0 and armed_s > time.monotonic()
        if waited:
            await self._sleep_until(armed_s)
        try:
            # Written here rather than by aiohttp after we return, so the path ends when the
            # reply is on its way (aiohttp then finds it sent).
            await response.prepare(request)
            await response.write_eof()
        except ConnectionError:
            pass  # the client left; aiohttp sees the same and lets the connection go
        done_s = time.monotonic()
        if waited:
            self._way_out.observe(done_s - armed_s)
        self.requests += 1
        lambda_id = self._lambda_ids.pop(apigw_id, None)
        if self.access_log is not None:
            self.access_log.add(
                apigw_id=apigw_id,
                request_id=lambda_id or response.headers.get(REQUEST_ID_HEADER),
                status=response.status,
                added_ms=((handed_s - arrived_s) + (done_s - ended_s)) * 1000.0
                if half_s > 0
                else 0.0,
                response_ms=(done_s - arrived_s) * 1000.0,
            )
        return response

    async def _wait_half(self, due_s: float, lateness: Lateness) -> None:
        """Wait for ``due_s``, armed early by ``lateness``; a timer that fired teaches it."""
        armed_s = due_s - lateness.advance_s
        if armed_s > time.monotonic():
            await self._sleep_until(armed_s)
            lateness.observe(time.monotonic() - armed_s)

    async def _sleep_until(self, when_s: float) -> None:
        if self._timers is None:
            self._timers = DeadlineTimers(asyncio.get_running_loop())
        await self._timers.sleep_until(when_s)

    async def _admit(
        self, request: web.BaseRequest, apigw_id: str, *, gateway_epoch_s: float
    ) -> bytes | web.Response:
        """The event to hand to the function, or the gateway's own answer (a route it does not
        have, throttling, a body too large or too slow, a refused signature).

        ``gateway_epoch_s``: when the request reaches API Gateway, as the event states it.
        """
        target = route_path(request.raw_path, authorities=self.authorities)
        if target is None:
            return _send(gateway_error(*NOT_FOUND, apigw_id))
        raw_path, raw_query = target
        route_key = match_route(self.host.spec.routes, request.method, raw_path)
        if route_key is None:
            return _send(gateway_error(*NOT_FOUND, apigw_id))
        if self.bucket is not None and not self.bucket.take():
            return _send(gateway_error(*TOO_MANY_REQUESTS, apigw_id))
        try:
            async with asyncio.timeout(self.connection_timeout_s):
                body = await _read_body(request, API_PAYLOAD_LIMIT_BYTES)
        except (ConnectionError, ClientError, HttpProcessingError) as exc:
            # The client left mid-body: nothing to invoke and no one to answer; one line.
            _server_log.warning(
                "%s left before sending its whole body (%s); nothing was invoked",
                request.remote or "a client",
                " ".join(str(exc).split()) or type(exc).__name__,
            )
            gone = _send(gateway_error(400, "Bad Request", apigw_id))
            gone.force_close()
            return gone
        except TimeoutError:
            # Answer, then drop the connection at once: aiohttp would otherwise linger,
            # reading what is left of the body for 10 more seconds.
            late = _send(gateway_error(*REQUEST_TIMEOUT, apigw_id))
            late.force_close()
            await late.prepare(request)
            await late.write_eof()
            if request.protocol is not None:
                request.protocol.force_close()
            return late
        if body is None:
            return _send(gateway_error(*PAYLOAD_TOO_LARGE, apigw_id))
        if self.sigv4 is not None:
            refused = self.sigv4.refusal(
                method=request.method,
                raw_path=sent_path(request.raw_path),
                raw_query=raw_query,
                headers=request.headers.items(),
                body=body,
                request_id=apigw_id,
            )
            if refused is not None:
                return _send(refused)
        peer = request.remote or "127.0.0.1"
        event = build_event(
            method=request.method,
            raw_path=raw_path,
            raw_query=raw_query,
            headers=request.headers.items(),
            body=body,
            source_ip=peer,
            route_key=route_key,
            request_id=apigw_id,
            api_id=self.api_id,
            host=request.host,
            now_s=gateway_epoch_s,
        )
        return event_payload(event)

    async def _integrate(self, payload: bytes, apigw_id: str) -> tuple[web.Response, float]:
        """Invoke the function; its response and when the gateway had it (time.monotonic())."""
        task = asyncio.ensure_future(self.host.invoke(payload))
        try:
            outcome = await asyncio.wait_for(
                asyncio.shield(task), timeout=self.integration_timeout_s
            )
        except TimeoutError:
            # The invocation keeps running in its instance, as on Lambda; only the client gives up.
            self._pending.add(task)
            task.add_done_callback(self._pending.discard)
            return _send(gateway_error(*SERVICE_UNAVAILABLE, apigw_id)), time.monotonic()
        ended_s = outcome.ended_s if outcome.ended_s is not None else time.monotonic()
        # The invocation's Lambda request id ($context.integration.requestId in an HTTP API's
        # access log): what joins a request to its REPORT line when the function does not
        # return the id itself.
        self._lambda_ids[apigw_id] = outcome.request_id
        return _send(response_for(outcome, apigw_id)), ended_s


def response_for(outcome: Outcome, apigw_id: str) -> ApiResponse:
    """What API Gateway answers for each way an invocation can end (see docs/emulator.md)."""
    if outcome.kind == "ok":
        try:
            return map_result(outcome.payload, apigw_id)
        except MalformedResult:
            return gateway_error(*INTERNAL_SERVER_ERROR, apigw_id)
    if outcome.kind == "throttled":
        return gateway_error(*TOO_MANY_REQUESTS, apigw_id)
    if outcome.kind == "too_large":
        return gateway_error(*PAYLOAD_TOO_LARGE, apigw_id)
    return gateway_error(*INTERNAL_SERVER_ERROR, apigw_id)


async def _read_body(request: web.BaseRequest, limit_bytes: int) -> bytes | None:
    """The request body, or None when it is larger than ``limit_bytes``."""
    if request.content_length is not None and request.content_length > limit_bytes:
        return None
    chunks: list[bytes] = []
    total = 0
    async for chunk in request.content.iter_any():
        total += len(chunk)
        if total > limit_bytes:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _send(response: ApiResponse) -> web.Response:
    return web.Response(status=response.status, body=response.body, headers=response.headers)
