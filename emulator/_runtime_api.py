"""Lambda's Runtime API (2018-06-01), served to the instances by aiohttp.

Each instance gets its own listening socket on 127.0.0.1, so the port a request arrives on says
which instance is asking; ``AWS_LAMBDA_RUNTIME_API`` is that ``host:port``, as on Lambda.
"""

from __future__ import annotations

import asyncio
import json
import socket
from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    from ._host import FunctionHost
    from ._instance import Instance

_BASE = "/2018-06-01/runtime"
_ACCEPTED = json.dumps({"status": "OK"}).encode()


def _error(status: int, error_type: str, message: str) -> web.Response:
    body = json.dumps({"errorMessage": message, "errorType": error_type}).encode()
    return web.Response(status=status, body=body, content_type="application/json")


class RuntimeApi:
    """The Runtime API endpoints of every instance of every stack."""

    def __init__(self) -> None:
        app = web.Application(client_max_size=16 * 1024 * 1024)
        app.router.add_get(f"{_BASE}/invocation/next", self._next)
        app.router.add_post(f"{_BASE}/invocation/{{request_id}}/response", self._response)
        app.router.add_post(f"{_BASE}/invocation/{{request_id}}/error", self._invocation_error)
        app.router.add_post(f"{_BASE}/init/error", self._init_error)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=0.5)
        self._by_port: dict[int, tuple[FunctionHost, Instance]] = {}
        self._stopping: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        await self._runner.setup()

    async def close(self) -> None:
        if self._stopping:
            await asyncio.gather(*self._stopping, return_exceptions=True)
        await self._runner.cleanup()

    async def register(self, host: FunctionHost, inst: Instance) -> int:
        """Open the instance's endpoint; returns its port."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
        site = web.SockSite(self._runner, sock)
        await site.start()
        inst.site = site
        self._by_port[port] = (host, inst)
        return port

    def unregister(self, inst: Instance) -> None:
        self._by_port.pop(inst.port, None)
        site = inst.site
        inst.site = None
        if isinstance(site, web.SockSite):
            task = asyncio.get_running_loop().create_task(site.stop())
            self._stopping.add(task)
            task.add_done_callback(self._stopping.discard)

    def _who(self, request: web.Request) -> tuple[FunctionHost, Instance] | None:
        transport = request.transport
        if transport is None:
            return None
        sockname = transport.get_extra_info("sockname")
        return self._by_port.get(int(sockname[1])) if sockname else None

    async def _next(self, request: web.Request) -> web.StreamResponse:
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

    async def _response(self, request: web.Request) -> web.StreamResponse:
        return await self._result(request, error_type=None)

    async def _invocation_error(self, request: web.Request) -> web.StreamResponse:
        error_type = request.headers.get("Lambda-Runtime-Function-Error-Type", "Unhandled")
        return await self._result(request, error_type=error_type)

    async def _result(self, request: web.Request, *, error_type: str | None) -> web.StreamResponse:
        who = self._who(request)
        if who is None:
            return _error(410, "InstanceGone", "this execution environment has ended")
        host, inst = who
        body = await request.read()
        request_id = request.match_info["request_id"]
        status = host.result_posted(inst, request_id, body, error_type=error_type)
        if status == 400:
            return _error(400, "InvalidRequestID", f"request {request_id} is not in progress here")
        if status == 413:
            return _error(413, "RequestEntityTooLarge", "response payload exceeds Lambda's 6 MB limit")
        return web.Response(status=202, body=_ACCEPTED, content_type="application/json")

    async def _init_error(self, request: web.Request) -> web.StreamResponse:
        who = self._who(request)
        if who is None:
            return _error(410, "InstanceGone", "this execution environment has ended")
        host, inst = who
        body = await request.read()
        error_type = request.headers.get("Lambda-Runtime-Function-Error-Type", "Runtime.Unknown")
        host.init_error_posted(inst, body, error_type)
        return web.Response(status=202, body=_ACCEPTED, content_type="application/json")
