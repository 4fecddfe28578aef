"""A stack's ping schedule (``ping_interval_minutes``): the EventBridge rule that keeps it warm.

On AWS the stack's rule invokes the function every N minutes with the ping event; here the same
event goes through the same invocation path, on the scaled clock, and each ping is logged.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable

from contract import ping_event

from ..instance._instance import Outcome
from ..logs._logs import StackLog


async def ping_forever(
    invoke: Callable[[bytes], Awaitable[Outcome]], log: StackLog, *, period_real_s: float
) -> None:
    """Invoke with the ping event every ``period_real_s`` until cancelled."""
    # The very event the stack's EventBridge rule sends on AWS (contract.ping_event).
    payload = json.dumps(ping_event(), ensure_ascii=False).encode()
    while True:
        await asyncio.sleep(period_real_s)
        outcome = await invoke(payload)
        log.event(
            "ping",
            request_id=outcome.request_id,
            outcome=outcome.kind,
            status=_proxy_status(outcome),
        )


def _proxy_status(outcome: Outcome) -> int | None:
    """The HTTP status a function's proxy result carries (None when it has none)."""
    if outcome.kind != "ok":
        return None
    try:
        result = json.loads(outcome.payload)
    except ValueError:
        return None
    status = result.get("statusCode") if isinstance(result, dict) else None
    return status if isinstance(status, int) else None
