"""The end of an instance's init: at its first ``next`` (its Init Duration, the CPU burst over,
the request waiting on it told), or, for SnapStart's publish instance, at ``restore/next``."""

from __future__ import annotations

import asyncio
import time

from ..instance._instance import Instance
from ..instance._launch import Launcher
from ..logs._logs import StackLog

__all__ = ["end_init", "hold_snapshot"]


def end_init(inst: Instance, log: StackLog, launcher: Launcher) -> None:
    """The first ``next`` ends init: its duration (and the part after a restore), the ``ready``
    event, the init limit's timer stopped, the init's CPU burst ended, the waiters told."""
    now_s = time.perf_counter()
    inst.init_duration_ms = (now_s - inst.spawned_s) * 1000.0
    if inst.restored_s is not None:
        inst.after_restore_ms = (now_s - inst.restored_s) * 1000.0
    log.event(
        "ready",
        instance=inst.id,
        pid=inst.pid,
        init_ms=round(inst.init_duration_ms, 2),
        init_type=inst.init_type.value,
        request_id=inst.cold_request_id,
    )
    if inst.init_timer is not None:
        inst.init_timer.cancel()
        inst.init_timer = None
    try:
        launcher.end_init_burst(inst)
    except OSError as exc:
        log.event("cpu_quota_failed", instance=inst.id, reason=str(exc))
    if inst.ready is not None and not inst.ready.done():
        inst.ready.set_result(None)


async def hold_snapshot(inst: Instance) -> None:
    """SnapStart's publish instance at ``restore/next``: its init is done (what the snapshot
    would hold); it is held here until it is ended."""
    if inst.init_duration_ms is None:
        inst.init_duration_ms = (time.perf_counter() - inst.spawned_s) * 1000.0
    held: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    inst.held = held
    if inst.ready is not None and not inst.ready.done():
        inst.ready.set_result(None)
    await held
