"""The network path's timers, and where the front door's two halves of the path start."""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from emulator import FunctionSpec
from emulator.gateway._frontdoor import FrontDoor
from emulator.gateway._timers import MAX_ADVANCE_S, DeadlineTimers, Lateness
from emulator.instance._instance import Outcome

pytestmark = [pytest.mark.anyio]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="timerfd is Linux's")
async def test_deadlines_are_kept_by_a_timerfd_on_linux() -> None:
    timers = DeadlineTimers(asyncio.get_running_loop())
    try:
        assert timers.precise
    finally:
        timers.close()


async def test_each_waiter_wakes_at_its_deadline_in_deadline_order() -> None:
    timers = DeadlineTimers(asyncio.get_running_loop())
    woke: list[tuple[float, float]] = []

    async def wait(offset_s: float) -> None:
        due = start + offset_s
        await timers.sleep_until(due)
        woke.append((due, time.monotonic()))

    start = time.monotonic()
    # Armed out of order, and one deadline already past: it returns at once. The deadlines are
    # 200 ms apart so that a loaded host's scheduling delay while the waiters are armed (tens
    # of ms measured on a busy 2-core machine) cannot pass one before the past one returns.
    await asyncio.gather(*(wait(s) for s in (0.6, 0.2, -1.0, 0.4, 0.2)))
    timers.close()
    assert [due for due, _ in woke] == sorted(due for due, _ in woke)
    assert all(at >= due for due, at in woke)


async def test_a_cancelled_waiter_does_not_hold_up_the_others() -> None:
    timers = DeadlineTimers(asyncio.get_running_loop())
    start = time.monotonic()
    first = asyncio.ensure_future(timers.sleep_until(start + 0.02))
    second = asyncio.ensure_future(timers.sleep_until(start + 0.04))
    await asyncio.sleep(0)
    first.cancel()
    await asyncio.wait_for(second, timeout=5)
    assert first.cancelled() and time.monotonic() >= start + 0.04
    timers.close()


async def test_closing_cancels_whoever_still_waits() -> None:
    timers = DeadlineTimers(asyncio.get_running_loop())
    waiting = asyncio.ensure_future(timers.sleep_until(time.monotonic() + 60))
    await asyncio.sleep(0)
    timers.close()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(waiting, timeout=5)


def test_a_deadline_is_armed_early_by_the_usual_lateness_within_half_a_millisecond() -> None:
    late = Lateness()
    assert late.advance_s == 0.0
    for late_s in (0.0002, 0.0001, 0.0003, 0.05, 0.0002):  # one wake-up of a loaded moment
        late.observe(late_s)
    assert late.advance_s == 0.0002
    for _ in range(40):
        late.observe(0.004)  # a host that stays slow: never early by more than the cap
    assert late.advance_s == MAX_ADVANCE_S
    for _ in range(40):
        late.observe(-0.001)  # a timer that fired on time: no advance, never a delay
    assert late.advance_s == 0.0


class _SlowToNoticeHost:
    """A function host whose result reaches the front door ``late_s`` after the runtime posted
    it, as when the emulator is busy: the gateway's own work, which the path must absorb."""

    def __init__(self, spec: FunctionSpec, late_s: float) -> None:
        self.spec = spec
        self.late_s = late_s

    async def invoke(self, payload: bytes) -> Outcome:
        ended_s = time.monotonic()
        await asyncio.sleep(self.late_s)
        return Outcome("ok", "req-1", payload=b'{"statusCode": 200, "body": "ok"}', ended_s=ended_s)


async def test_the_way_out_counts_from_the_functions_result_not_from_the_gateways_work(
    make_spec: Callable[..., FunctionSpec],
) -> None:
    path_s, late_s = 0.4, 0.2
    host: Any = _SlowToNoticeHost(make_spec(), late_s)
    door = FrontDoor(
        host, integration_timeout_s=30, connection_timeout_s=30, network_delay_ms=path_s * 1000
    )
    await door.start(0)
    try:
        async with httpx.AsyncClient(timeout=30) as client:
            started = time.monotonic()
            response = await client.get(door.url + "/")
            latency_s = time.monotonic() - started
    finally:
        await door.close()
    assert response.status_code == 200 and response.text == "ok"
    # The client meets the path and no more: the gateway's 0.2 s happened within its way out.
    assert path_s - 0.002 <= latency_s < path_s + late_s / 2, latency_s
