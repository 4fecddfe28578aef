"""Invoking one worker through the Lambda API (RequestResponse, TCP keepalive probes)."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable
from typing import Any

from ._stack import WorkerStack

__all__ = [
    "KEEPALIVE_IDLE_S",
    "KEEPALIVE_INTERVAL_S",
    "Invoker",
    "LambdaInvoker",
    "WorkerFailed",
    "lambda_invoker",
]

#: Calls one worker with its event and returns its reply; raises WorkerFailed when the
#: function failed, anything else when the call did (the worker may still be running).
Invoker = Callable[[dict[str, Any]], dict[str, Any]]


class WorkerFailed(RuntimeError):
    """The function itself failed (a function error: it raised, timed out or its process died).

    Unlike a failed call (a connection dropped, a read timeout), the worker is known to have
    stopped: the controller looks for its folder once rather than until the deadline.
    """


class LambdaInvoker:
    """Invoke the stack's function (RequestResponse) and return its reply as a dict.

    The call may wait 14 minutes with no byte on the wire: NATs, firewalls and load
    balancers drop flows idle for 350 s, so the connection sends TCP keepalive probes (after
    KEEPALIVE_IDLE_S idle, then every KEEPALIVE_INTERVAL_S), not the kernel's default 2 hours.
    """

    def __init__(self, stack: WorkerStack, *, workers: int, timeout_s: float) -> None:
        import boto3
        from botocore.config import Config

        # One connection per worker; no retry (a retried worker would run its users twice).
        config = Config(
            read_timeout=int(timeout_s) + 30,
            connect_timeout=30,
            retries={"max_attempts": 1, "mode": "standard"},
            max_pool_connections=max(workers, 10),
            tcp_keepalive=True,
        )
        self.function_name = stack.function_name
        self.client = boto3.client(
            "lambda", endpoint_url=stack.lambda_endpoint, config=config, **stack.client_args()
        )
        _probe_sooner(self.client)

    def __call__(self, event: dict[str, Any]) -> dict[str, Any]:
        from botocore.exceptions import BotoCoreError, ClientError, HTTPClientError

        try:
            response = self.client.invoke(
                FunctionName=self.function_name,
                InvocationType="RequestResponse",
                Payload=json.dumps(event).encode(),
            )
        except HTTPClientError:
            raise  # sent, then the connection failed (reset, read timeout): it may run on
        except (BotoCoreError, ClientError) as exc:
            # Refused, or never sent (no credentials, no connection): the worker never ran.
            raise WorkerFailed(
                f"its Invoke did not start it ({type(exc).__name__}: {exc})"
            ) from exc
        payload = response["Payload"].read().decode("utf-8", "replace")
        if response.get("FunctionError"):
            raise WorkerFailed(
                f"the function failed ({response['FunctionError']}): {payload[:300]}"
            )
        reply = json.loads(payload)
        if not isinstance(reply, dict):
            raise WorkerFailed(f"the function replied {payload[:200]!r}, not an object")
        return reply


#: Idle seconds before the first keepalive probe, and between probes (well inside the 350 s
#: after which AWS's NAT gateways and load balancers drop an idle flow).
KEEPALIVE_IDLE_S = 60
KEEPALIVE_INTERVAL_S = 30


def _probe_sooner(client: Any) -> None:
    """Add the probe timing to botocore's SO_KEEPALIVE (``tcp_keepalive=True``).

    botocore has no public setting for it; its HTTP session keeps the socket options in a
    list that every new connection gets. Where either is missing, SO_KEEPALIVE alone stays.
    """
    options = getattr(
        getattr(getattr(client, "_endpoint", None), "http_session", None), "_socket_options", None
    )
    if not isinstance(options, list):
        return
    for name, value in (
        ("TCP_KEEPIDLE", KEEPALIVE_IDLE_S),
        ("TCP_KEEPINTVL", KEEPALIVE_INTERVAL_S),
        ("TCP_KEEPCNT", 5),
    ):
        if hasattr(socket, name):
            options.append((socket.IPPROTO_TCP, getattr(socket, name), value))


def lambda_invoker(stack: WorkerStack, *, workers: int, timeout_s: float) -> Invoker:
    """Invoke the stack's function (RequestResponse) and return its reply as a dict."""
    return LambdaInvoker(stack, workers=workers, timeout_s=timeout_s)
