"""Lambda's Runtime API (2018-06-01), served to the instances by aiohttp: ``invocation/next``,
the results, ``init/error``, and SnapStart's ``restore/next`` and ``restore/error``.

Each instance gets its own listening socket on 127.0.0.1, so the port a request arrives on says
which instance is asking; ``AWS_LAMBDA_RUNTIME_API`` is that ``host:port``, as on Lambda.
"""

from __future__ import annotations

import asyncio
import json
import socket
from typing import Protocol

from aiohttp import web

from ._instance import Instance, Invocation

_BASE = "/2018-06-01/runtime"
_NEXT = f"{_BASE}/invocation/next"
_INVOCATION = f"{_BASE}/invocation/"
_INIT_ERROR = f"{_BASE}/init/error"
#: SnapStart: the runtime calls it when init (and its before-snapshot hooks) are done; Lambda
#: answers it in the restored environment, where after-restore hooks run before the first next.
_RESTORE_NEXT = f"{_BASE}/restore/next"
_RESTORE_ERROR = f"{_BASE}/restore/error"
_ACCEPTED = json.dumps({"status": "OK"}).encode()


def _error(status: int, error_type: str, message: str) -> web.Response:
    body = json.dumps({"errorMessage": message, "errorType": error_type}).encode()
    return web.Response(status=status, body=body, content_type="application/json")


class InstanceHost(Protocol):
    """What the Runtime API asks of whoever hosts an instance (``FunctionHost``): one call per
    endpoint, so the API knows HTTP and the host knows Lambda, and neither imports the other."""

    def next_requested(
        self, inst: Instance, loop: asyncio.AbstractEventLoop
    ) -> asyncio.Future[Invocation | None]:
        """``invocation/next``: resolves to the invocation to hand over (None: instance ended)."""
        ...

    async def restore_requested(self, inst: Instance) -> bool:
        """``restore/next``: True to answer it, False when the instance has ended."""
        ...

    def handed_off(self, inst: Instance, inv: Invocation) -> dict[str, str]:
        """The headers of the ``next`` response that hands ``inv`` to the runtime."""
        ...

    def result_posted(
        self, inst: Instance, request_id: str, body: bytes, *, error_type: str | None
    ) -> int:
        """``response`` or ``error``: 202 accepted, 400 not in progress, 413 too large."""
        ...

    def init_error_posted(self, inst: Instance, body: bytes, error_type: str) -> None:
        """``init/error`` or ``restore/error``."""
        ...


class RuntimeApi:
    """The Runtime API endpoints of every instance of every stack."""

    def __init__(self) -> None:
        # aiohttp's low-level server with a dispatch on the four paths (no router on the hot path).
        self._runner = web.ServerRunner(
            web.Server(self._dispatch), access_log=None, handle_signals=False, shutdown_timeout=0.5
        )
        self._by_port: dict[int, tuple[InstanceHost, Instance]] = {}
        self._sites: dict[int, web.SockSite] = {}
        self._stopping: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        await self._runner.setup()

    async def close(self) -> None:
        if self._stopping:
            await asyncio.gather(*self._stopping, return_exceptions=True)
        await self._runner.cleanup()

    async def register(self, host: InstanceHost, inst: Instance) -> int:
        """Open the instance's endpoint; returns its port."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
        site = web.SockSite(self._runner, sock)
        await site.start()
        self._sites[port] = site
        self._by_port[port] = (host, inst)
        return port

    def unregister(self, inst: Instance) -> None:
        self._by_port.pop(inst.port, None)
        site = self._sites.pop(inst.port, None)
        if site is not None:
            task = asyncio.get_running_loop().create_task(site.stop())
            self._stopping.add(task)
            task.add_done_callback(self._stopping.discard)

    async def _dispatch(self, request: web.BaseRequest) -> web.StreamResponse:
        path, method = request.path, request.method
        if path == _NEXT and method == "GET":
            return await self._next(request)
        if path.startswith(_INVOCATION) and method == "POST":
            request_id, _, kind = path[len(_INVOCATION) :].partition("/")
            if kind == "response":
                return await self._result(request, request_id, error_type=None)
            if kind == "error":
                error_type = request.headers.get("Lambda-Runtime-Function-Error-Type", "Unhandled")
                return await self._result(request, request_id, error_type=error_type)
        if path == _INIT_ERROR and method == "POST":
            return await self._init_error(request)
        if path == _RESTORE_NEXT and method == "GET":
            return await self._restore_next(request)
        if path == _RESTORE_ERROR and method == "POST":
            return await self._init_error(request)
        return _error(404, "NotFound", f"no Runtime API endpoint {method} {path}")

    def _who(self, request: web.BaseRequest) -> tuple[InstanceHost, Instance] | None:
        transport = request.transport
        if transport is None:
            return None
        sockname = transport.get_extra_info("sockname")
        return self._by_port.get(int(sockname[1])) if sockname else None

    async def _next(self, request: web.BaseRequest) -> web.StreamResponse:
        who = self._who(request)
        if who is None:
            return _error(410, "InstanceGone", "this execution environment has ended")
        host, inst = who
        waiter = host.next_requested(inst, asyncio.get_running_loop())
        inv = await waiter
        if inv is None:
            return _error(410, "InstanceGone", "this execution environment has ended")
        headers = host.handed_off(inst, inv)
        # awslambdaric's native client needs Content-Type on this response (it crashes without).
        return web.Response(body=inv.payload, headers=headers)

    async def _restore_next(self, request: web.BaseRequest) -> web.StreamResponse:
        who = self._who(request)
        if who is None:
            return _error(410, "InstanceGone", "this execution environment has ended")
        host, inst = who
        restored = await host.restore_requested(inst)
        if not restored:
            return _error(410, "InstanceGone", "this execution environment has ended")
        return web.Response(status=200, body=b"", content_type="application/json")

    async def _result(
        self, request: web.BaseRequest, request_id: str, *, error_type: str | None
    ) -> web.StreamResponse:
        who = self._who(request)
        if who is None:
            return _error(410, "InstanceGone", "this execution environment has ended")
        host, inst = who
        body = await request.content.read()
        status = host.result_posted(inst, request_id, body, error_type=error_type)
        if status == 400:
            return _error(400, "InvalidRequestID", f"request {request_id} is not in progress here")
        if status == 413:
            return _error(
                413, "RequestEntityTooLarge", "response payload exceeds Lambda's 6 MB limit"
            )
        return web.Response(status=202, body=_ACCEPTED, content_type="application/json")

    async def _init_error(self, request: web.BaseRequest) -> web.StreamResponse:
        who = self._who(request)
        if who is None:
            return _error(410, "InstanceGone", "this execution environment has ended")
        host, inst = who
        body = await request.content.read()
        error_type = request.headers.get("Lambda-Runtime-Function-Error-Type", "Runtime.Unknown")
        host.init_error_posted(inst, body, error_type)
        return web.Response(status=202, body=_ACCEPTED, content_type="application/json")
