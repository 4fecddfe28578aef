"""run.json: what was run, where, how and on what machine (docs/results.md)."""

from __future__ import annotations

import dataclasses
import functools
import os
import platform
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

from resultfiles import SCHEMA_VERSION, Machine, RunFile

from ..engine._settings import RunSettings, Scenario
from ..plans._rate_plan import RatePlan
from ..plans._staged_plan import StagedPlan
from ..transport._h11 import connect_h11
from ..transport._http import Connector, connect
from ..transport._target import Target

__all__ = ["client_description", "run_info", "stage_info"]


def run_info(
    *,
    plan: Scenario,
    scaled: Scenario,
    run_id: str,
    name: str,
    target: Target,
    settings: RunSettings,
    health: dict[str, Any],
    features: list[str],
    rows: int,
    connector: Connector | None,
    notes: list[str],
) -> RunFile:
    """run.json as it is written at the start (the end adds ``ended_at`` and the rest)."""
    return RunFile(
        schema_version=SCHEMA_VERSION,
        run_id=run_id,
        scenario=name,
        plan=dataclasses.asdict(plan),
        plan_scaled=dataclasses.asdict(scaled),
        plan_duration_s=scaled.duration_s,
        time_scale=settings.time_scale,
        target=target.describe(),
        health=health,
        features=tuple(features),
        batch=settings.batch,
        timeout_s=settings.timeout_s,
        payload=str(settings.payload),
        payload_rows=rows,
        versions=_versions(),
        machine=_machine(),
        command=tuple(sys.argv),
        notes=(*settings.notes, *notes),
        latency_unit="microseconds",
        client=client_description(connector),
        # What the emulator adds to every request (None for a URL it does not describe).
        network_path=target.extra.get("network_path"),
    )


def stage_info(plan: Scenario) -> list[dict[str, Any]]:
    """The plan's stages as summary.json's ``stages`` describe them."""
    if isinstance(plan, StagedPlan):
        return [
            {"users": s.users, "ramp_up_s": s.ramp_up_s, "hold_s": s.hold_s, "steps": s.steps}
            for s in plan.stages
        ]
    if isinstance(plan, RatePlan):
        return [{"rate_rps": s.rate_rps, "duration_s": s.duration_s} for s in plan.steps]
    return [{"offsets_s": list(plan.offsets_s)}]


def client_description(connector: Connector | None) -> str:
    """What sends the requests, as run.json records it."""
    base = connector.func if isinstance(connector, functools.partial) else connector
    if base is None or base is connect:
        parser = "httptools (llhttp)"
    elif base is connect_h11:
        parser = "h11"
    else:
        return f"an injected connector ({getattr(base, '__qualname__', type(base).__name__)})"
    return f"asyncio Protocol + {parser} response parser, one keep-alive connection per user"


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for dist in ("anyio", "h11", "hdrhistogram", "httptools", "httpx"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = "absent"
    from .._version import __version__

    out["loadgen"] = __version__
    return out


def _machine() -> Machine:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count() or 0
    return Machine(
        hostname=platform.node(),
        platform=platform.platform(),
        cpu_model=model,
        cpu_count=os.cpu_count(),
        cpus_usable=usable,
    )
