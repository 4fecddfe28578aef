"""Retiring a replaced configuration's instances (``UpdateFunctionConfiguration``): the idle
ones ended now, the busy or starting ones marked to end when their invocation is over."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from ..instance._instance import Instance, InstanceState
from ..logs._logs import StackLog

__all__ = ["retire"]


def retire(
    instances: Iterable[Instance],
    log: StackLog,
    *,
    memory_mb: int,
    end: Callable[[Instance, str], None],
    retired: set[str],
) -> int:
    """Retire every live instance of ``instances``: a ``retired`` event each, the idle ones
    ``end``-ed, the others' ids added to ``retired``. Returns how many were retired."""
    count = 0
    for inst in list(instances):
        if inst.state is InstanceState.DEAD:
            continue
        count += 1
        log.event(
            "retired",
            instance=inst.id,
            pid=inst.pid,
            state=inst.state.value,
            reason="configuration updated",
            memory_mb=memory_mb,
        )
        if inst.state is InstanceState.IDLE:
            end(inst, "configuration updated")
        else:
            retired.add(inst.id)
    return count
