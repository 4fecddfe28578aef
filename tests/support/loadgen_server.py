"""A small misbehaving prediction server on 127.0.0.1 for the load generator's tests.

It speaks the HTTP contract (POST /predict, GET /health) through h11 and, per request, does
what ``behaviour(n)`` says: answer, delay, fail with a status, answer 429, send bad JSON,
reset the connection, stall, close in the middle of the body, or cold-start an instance
after an idle gap (``evict_after_s``).
"""

from __future__ import annotations

import asyncio
import json
import socket
import struct
import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any, Self

import h11

FEATURES = ["duration", "src_bytes", "dst_bytes"]
Behaviour = Callable[[int], str]


def _always(outcome: str) -> Behaviour:
    """The behaviour that answers every request the same way."""
    return lambda _n: outcome


class TestServer:
    """Serve in the running asyncio loop; ``seen`` counts POST /predict requests received."""

    __test__ = False  # not a pytest test class

    def __init__(
        self, behaviour: Behaviour | str = "ok", *, evict_after_s: float | None = None
    ) -> None:
        self.behaviour: Behaviour = _always(behaviour) if isinstance(behaviour, str) else behaviour
        self.evict_after_s = evict_after_s
        self.seen = 0
        self.health_seen = 0
        self.connections = 0
        self.by_behaviour: Counter[str] = Counter()
        self.instance = 0
        self._last_done: float | None = None
        self._server: asyncio.base_events.Server | None = None
        self.port = 0
        self._writers: set[asyncio.StreamWriter] = set()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> Self:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        assert self._server is not None
        self._server.close()
        for writer in list(self._writers):
            writer.transport.abort()
        await self._server.wait_closed()

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self._writers.add(writer)
        conn = h11.Connection(h11.SERVER)
        try:
            while True:
                request, body = await self._read_request(conn, reader)
                if request is None:
                    return
                keep_going = await self._respond(conn, writer, request, body)
                if not keep_going or conn.our_state is h11.MUST_CLOSE:
                    writer.close()
                    return
                conn.start_next_cycle()
        except (ConnectionError, h11.ProtocolError, asyncio.IncompleteReadError):
            writer.transport.abort()
        finally:
            self._writers.discard(writer)
            if not writer.transport.is_closing():
                writer.transport.abort()

    async def _read_request(
        self, conn: h11.Connection, reader: asyncio.StreamReader
    ) -> tuple[h11.Request | None, bytes]:
        request = None
        chunks = []
        while True:
            event = conn.next_event()
            if event is h11.NEED_DATA:
                data = await reader.read(65536)
                conn.receive_data(data)
                if not data and conn.their_state is h11.IDLE:
                    return None, b""
                continue
            if isinstance(event, h11.Request):
                request = event
            elif isinstance(event, h11.Data):
                chunks.append(event.data)
            elif isinstance(event, h11.EndOfMessage):
                return request, b"".join(chunks)
            elif isinstance(event, h11.ConnectionClosed):
                return None, b""

    def _instance_headers(self) -> list[tuple[str, str]]:
        now = time.monotonic()
        cold = False
        if self._last_done is None or (
            self.evict_after_s is not None and now - self._last_done > self.evict_after_s
        ):
            self.instance += 1
            cold = True
        headers = [
            ("x-cold-start", "true" if cold else "false"),
            ("x-instance-id", f"i-{self.instance}"),
            ("x-runtime", "test"),
            ("x-model-version", "m1"),
            ("x-request-id", f"r-{self.seen}"),
        ]
        if cold:
            headers.append(("x-init-ms", "123.5"))
        return headers

    async def _send(
        self,
        conn: h11.Connection,
        writer: asyncio.StreamWriter,
        status: int,
        body: bytes,
        headers: list[tuple[str, str]] | None = None,
    ) -> None:
        all_headers = [
            ("content-type", "application/json"),
            ("content-length", str(len(body))),
            *(headers or []),
        ]
        writer.write(
            conn.send(h11.Response(status_code=status, headers=all_headers))
            + conn.send(h11.Data(data=body))
            + conn.send(h11.EndOfMessage())
        )
        await writer.drain()

    async def _respond(
        self, conn: h11.Connection, writer: asyncio.StreamWriter, request: h11.Request, body: bytes
    ) -> bool:
        if request.method == b"GET" and request.target == b"/health":
            self.health_seen += 1
            await self._send(
                conn,
                writer,
                200,
                json.dumps(
                    {
                        "model_version": "m1",
                        "runtime": "test",
                        "features": FEATURES,
                        "subset": "http",
                    }
                ).encode(),
            )
            return True
        if request.target != b"/predict":
            await self._send(conn, writer, 404, b'{"error":"not_found"}')
            return True
        n = self.seen
        self.seen += 1
        behaviour = self.behaviour(n)
        self.by_behaviour[behaviour.split(":")[0]] += 1
        instances = json.loads(body)["instances"]
        ok_body = json.dumps(
            {
                "predictions": [{"probability": 0.25, "anomaly": False}] * len(instances),
                "model_version": "m1",
            }
        ).encode()
        kind, _, arg = behaviour.partition(":")
        if kind == "delay":
            await asyncio.sleep(float(arg))
            kind = "ok"
        if kind in ("ok", "cold"):
            headers = self._instance_headers()
            if kind == "cold":
                headers = [(k, "true") if k == "x-cold-start" else (k, v) for k, v in headers]
            await self._send(conn, writer, 200, ok_body, headers)
            self._last_done = time.monotonic()
        elif kind == "status":
            await self._send(conn, writer, int(arg), b'{"error":"boom"}', self._instance_headers())
        elif kind == "429":
            await self._send(conn, writer, 429, b'{"message":"Too Many Requests"}')
        elif kind == "bad_json":
            await self._send(conn, writer, 200, b"{not json", self._instance_headers())
        elif kind == "wrong_count":
            await self._send(conn, writer, 200, b'{"predictions":[],"model_version":"m1"}')
        elif kind == "garbage":
            writer.write(b"THIS IS NOT HTTP\r\n\r\n")
            await writer.drain()
            return False
        elif kind == "reset":
            sock = writer.get_extra_info("socket")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            writer.transport.abort()
            return False
        elif kind == "close_mid_body":
            writer.write(
                b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                b'content-length: 100\r\n\r\n{"predictions":'
            )
            await writer.drain()
            writer.close()
            return False
        elif kind == "stall":
            await asyncio.sleep(3600)
        else:
            raise ValueError(f"unknown behaviour {behaviour!r}")
        return True


class ServerThread:
    """The test server in its own thread and loop, for subprocess and blocking tests."""

    def __init__(self, behaviour: Behaviour | str = "ok", **kwargs: Any) -> None:
        self.server = TestServer(behaviour, **kwargs)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    def __enter__(self) -> TestServer:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self.server.start(), self._loop).result(10)
        return self.server

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self.server.stop(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()
