"""Instances started ahead of traffic: provisioned concurrency's, and SnapStart's one init when a
version is published."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Protocol

from ..instance._instance import Instance
from ..logs._logs import StackLog
from ..logs._platform_log import init_report_line
from ._instance_exit import InitFailed

__all__ = ["Spawn", "provision", "publish_snapshot"]


class Spawn(Protocol):
    """The host's start of one instance (``FunctionHost._spawn``); None: it could not start."""

    async def __call__(
        self,
        *,
        provisioned: bool,
        request_id: str | None,
        snapshot: bool = False,
        init_in_invoke: bool = False,
    ) -> Instance | None: ...


async def provision(
    spawn: Spawn, make_idle: Callable[[Instance], None], count: Callable[[], int]
) -> None:
    """Start ``count()`` provisioned instances ahead of traffic (counted as this starts: an
    update may have come since it was asked for); return once they are idle."""
    starting = []
    for _ in range(count()):
        inst = await spawn(provisioned=True, request_id=None)
        if inst is not None:
            starting.append(inst)
    for inst in starting:
        assert inst.ready is not None
        try:
            await asyncio.shield(inst.ready)
        except InitFailed:
            continue  # logged as init_failed; on-demand instances will take its place
        make_idle(inst)


async def publish_snapshot(
    spawn: Spawn, end: Callable[[Instance, str], None], log: StackLog, *, log_format: str
) -> None:
    """SnapStart's init when a version is published: run init once, report it, end it.

    Lambda would snapshot this environment's memory and restore every new one from it; the
    emulator cannot (docs/emulator.md), so each restore runs init again in a new process.
    What it keeps: init runs ahead of traffic and its failure shows before any request, init
    is reported in an INIT_REPORT line, and every instance then starts as a restore.
    """
    # Publishing a version runs no invocation, so it takes no concurrency slot.
    inst = await spawn(provisioned=False, request_id=None, snapshot=True)
    if inst is None:
        return
    assert inst.ready is not None
    try:
        await asyncio.shield(inst.ready)
    except InitFailed:
        return  # logged as init_failed; each restore will fail its init the same way
    log.lines(
        [
            init_report_line(
                inst.init_duration_ms or 0.0,
                status="success",
                log_format=log_format,
                initialization_type="snap-start",
            )
        ]
    )
    end(inst, "snapshot taken")
