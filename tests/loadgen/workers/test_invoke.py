"""One worker's Invoke: refused is final, dropped may still run, TCP keepalive probes."""

from __future__ import annotations

import http.server
import json
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from loadgen.workers._invoke import (
    KEEPALIVE_IDLE_S,
    KEEPALIVE_INTERVAL_S,
    LambdaInvoker,
    WorkerFailed,
)
from loadgen.workers._stack import WorkerStack

BUCKET = "loadgen-workers-test"


class _InvokeApi(http.server.BaseHTTPRequestHandler):
    """Lambda's Invoke on loopback: answers every POST with a worker's reply."""

    protocol_version = "HTTP/1.1"  # keeps the connection, so the client pools its socket

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length") or 0))
        if "/functions/dropped/" in self.path:
            self.close_connection = True  # the flow dropped while the worker runs
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        if "/functions/refused/" in self.path:
            body = json.dumps({"Type": "User", "message": "Rate exceeded"}).encode()
            self.send_response(429)
            self.send_header("x-amzn-errortype", "TooManyRequestsException")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        body = json.dumps({"worker": 0, "status": "ok"}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: Any) -> None:
        pass


@pytest.fixture
def invoke_api(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _InvokeApi)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_an_invoke_refused_is_final_and_one_dropped_may_still_run(invoke_api: str) -> None:
    def invoker(function_name: str) -> LambdaInvoker:
        return LambdaInvoker(
            WorkerStack(
                name="w",
                function_name=function_name,
                bucket=BUCKET,
                lambda_endpoint=invoke_api,
                credentials=("AKIDEXAMPLE", "secret"),
            ),
            workers=1,
            timeout_s=60,
        )

    # Lambda refused it: the worker never ran, nothing to wait for.
    with pytest.raises(WorkerFailed, match="TooManyRequestsException"):
        invoker("refused")({"worker": 0})
    # The connection dropped after the call was sent: not a WorkerFailed, so the controller
    # looks for the worker's folder in the bucket before calling its users lost.
    with pytest.raises(Exception) as dropped:
        invoker("dropped")({"worker": 0})
    assert not isinstance(dropped.value, WorkerFailed)


def test_the_invoke_connection_sends_keepalive_probes_well_inside_350_s(invoke_api: str) -> None:
    stack = WorkerStack(
        name="w",
        function_name="fn",
        bucket=BUCKET,
        lambda_endpoint=invoke_api,
        credentials=("AKIDEXAMPLE", "secret"),
    )
    invoker = LambdaInvoker(stack, workers=1, timeout_s=60)
    assert invoker({"worker": 0}) == {"worker": 0, "status": "ok"}
    # The very socket the call used, back in botocore's pool.
    manager = invoker.client._endpoint.http_session._manager
    sockets = [
        conn.sock
        for pool in manager.pools._container.values()
        for conn in list(pool.pool.queue)
        if conn is not None and conn.sock
    ]
    assert len(sockets) == 1
    sock = sockets[0]
    assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) == 1
    if hasattr(socket, "TCP_KEEPIDLE"):
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE) == KEEPALIVE_IDLE_S < 350
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL) == KEEPALIVE_INTERVAL_S
