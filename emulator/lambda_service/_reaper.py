"""Reclaiming idle instances: the loop that asks the keep-alive policy which to reclaim, and the
``reclaimed`` event that says how long each was idle."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from .._spec import EmulatorOptions
from ..instance._instance import Instance
from ..logs._logs import StackLog
from ._keepalive import keep_alive_policy

__all__ = ["log_reclaimed", "reap_forever"]


async def reap_forever(
    options: EmulatorOptions,
    idle: list[Instance],
    reclaim: Callable[[Instance, float, str], None],
) -> None:
    """Each tick of the keep-alive policy, ``reclaim`` (instance, its idle real seconds, why)
    the idle instances it chooses."""
    policy = keep_alive_policy(options)
    while True:
        await asyncio.sleep(policy.tick_real_s)
        now_s = time.monotonic()
        for chosen in policy.reclaims(idle, now_s):
            inst = chosen.instance
            reclaim(inst, now_s - inst.idle_since_s, chosen.reason)


def log_reclaimed(
    log: StackLog, inst: Instance, idle_real_s: float, reason: str, *, time_scale: float
) -> None:
    """The ``reclaimed`` event: idle time in the study's time and in real time."""
    log.event(
        "reclaimed",
        instance=inst.id,
        pid=inst.pid,
        reason=reason,
        idle_s=round(idle_real_s * time_scale, 3),
        idle_real_s=round(idle_real_s, 3),
        served=inst.served,
    )
