"""Starting one instance's process: its launch, the ``started`` event, or, when it cannot start,
the ``init_failed`` event and nothing left behind."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Callable

from .._errors import EmulatorError
from ..instance._instance import InitType, Instance
from ..instance._launch import Launcher
from ..instance._runtime_api import InstanceHost
from ..logs._logs import StackLog

__all__ = ["start_instance"]


async def start_instance(
    launcher: Launcher,
    host: InstanceHost,
    log: StackLog,
    *,
    instances: dict[str, Instance],
    exited: dict[str, asyncio.Event],
    on_exit: Callable[[Instance], None],
    init_type: InitType,
    provisioned: bool,
    snapshot: bool,
    request_id: str | None,
    reason: str,
) -> Instance | None:
    """Launch a new instance, its endpoint answered by ``host``, and enter it in ``instances``
    and ``exited`` (its exit's event); None, logged, when its process could not start."""
    inst = launcher.new_instance(
        init_type=init_type, provisioned=provisioned, snapshot=snapshot, request_id=request_id
    )
    inst.ready = asyncio.get_running_loop().create_future()
    instances[inst.id] = inst
    exited[inst.id] = asyncio.Event()
    try:
        await launcher.launch(inst, host, on_exit=on_exit)
    except (OSError, ValueError, subprocess.SubprocessError, EmulatorError) as exc:
        # ValueError: an environment no process can have (a NUL, a name with '='), which
        # is this init's failure, not the emulator's.
        log.event(
            "init_failed",
            instance=inst.id,
            reason=f"could not start: {exc}",
            request_id=request_id,
        )
        instances.pop(inst.id, None)
        exited.pop(inst.id, None)
        launcher.discard(inst)
        return None
    log.event(
        "started",
        instance=inst.id,
        pid=inst.pid,
        request_id=request_id,
        reason=reason,
        cpu_limited=inst.cgroup is not None,
    )
    return inst
