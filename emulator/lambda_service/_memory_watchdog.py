"""The memory watchdog, where no memory cgroup holds an instance to its memory size: an instance
whose resident set (anonymous + file pages) is past that size is killed as out of memory."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping

from ..instance._instance import Instance
from ..instance._memory import WATCHDOG_INTERVAL_S, resident_mb
from ..logs._logs import StackLog

__all__ = ["watch_memory"]


async def watch_memory(
    instances: Mapping[str, Instance], log: StackLog, memory_mb: Callable[[], int]
) -> None:
    """Sample every live instance of ``instances`` each ``WATCHDOG_INTERVAL_S``, forever; kill
    the ones past ``memory_mb()`` (the function's memory size now: an update changes it)."""
    while True:
        await asyncio.sleep(WATCHDOG_INTERVAL_S)
        for inst in list(instances.values()):
            if not inst.pid or inst.exit_code is not None or inst.memory_killed:
                continue
            rss_mb = resident_mb(inst.pid)
            if rss_mb is None:
                continue
            inst.last_memory_mb = max(inst.last_memory_mb, rss_mb)
            limit_mb = memory_mb()
            if rss_mb > limit_mb:
                inst.memory_killed = True
                log.event(
                    "out_of_memory",
                    instance=inst.id,
                    pid=inst.pid,
                    resident_mb=rss_mb,
                    memory_mb=limit_mb,
                    reason="resident set past the memory size (memory watchdog)",
                )
                inst.kill()
