"""What the emulator measures about itself while it serves: each instance's CPU throttling, its
own CPU, and one access-log line per request with the delay the network path added.

Every second, per stack, one line of ``<stack>.cpu.jsonl`` beside the stack's log:

``{"t": epoch s, "interval_s", "instances", "periods", "throttled_periods", "throttled_ms",
"usage_ms", "instances_cpu_ms", "requests", "emulator_cpu_ms", "emulator_requests"}``

``periods``/``throttled_periods``/``throttled_ms``/``usage_ms`` sum the stack's instances'
``cpu.stat`` over the interval (an instance that ended during it counts up to its end);
(``usage_ms``: v2 ``usage_usec``, v1 ``cpuacct.usage``; None where v1 has no ``cpuacct``);
``instances_cpu_ms`` is their processes' CPU from ``/proc``, whatever the cgroup version;
``emulator_cpu_ms`` is the emulator process's own CPU in the interval (front doors, Runtime
API, scheduling: every stack's), ``emulator_requests`` every stack's requests in it. The
format is documented in docs/results.md.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from resultfiles import access_log_path, cpu_samples_path

from ..instance._cgroups import CpuStat, InstanceCgroup

#: one sample per second, the resolution the report's thresholds are stated in
SAMPLE_PERIOD_S = 1.0


def parse_ms(text: str) -> float:
    """``80ms``, ``0.08s``, ``80`` (ms) or ``0`` as milliseconds; ValueError says what is wrong."""
    raw = text.strip().lower()
    scale = 1.0
    if raw.endswith("ms"):
        raw = raw[:-2]
    elif raw.endswith("s"):
        raw, scale = raw[:-1], 1000.0
    try:
        value = float(raw) * scale
    except ValueError:
        raise ValueError(f"{text!r} is not a duration: write it like 80ms, 0.08s or 0") from None
    if not 0 <= value <= 10_000:
        raise ValueError(f"{text!r} must be within 0..10000 ms")
    return value


@dataclass
class AccessLog:
    """API Gateway's access log for one stack, buffered: the sampler writes it once a second."""

    path: Path
    pending: list[str] = field(default_factory=list)

    def add(
        self,
        *,
        apigw_id: str,
        request_id: str | None,
        status: int,
        added_ms: float,
        response_ms: float,
    ) -> None:
        self.pending.append(
            json.dumps(
                {
                    "t": round(time.time(), 6),
                    "apigw_id": apigw_id,
                    "request_id": request_id,
                    "status": status,
                    "added_ms": round(added_ms, 3),
                    "response_ms": round(response_ms, 3),
                },
                separators=(",", ":"),
            )
        )

    def flush(self, out: IO[str]) -> None:
        if self.pending:
            out.write("\n".join(self.pending) + "\n")
            out.flush()
            self.pending.clear()


@dataclass
class _StackState:
    name: str
    out: IO[str]
    access_out: IO[str]
    access: AccessLog
    requests: Callable[[], int]
    cgroups: Callable[[], Iterable[InstanceCgroup]]
    pids: Callable[[], Iterable[int]]
    last: dict[int, CpuStat] = field(default_factory=dict)
    last_ticks: dict[int, int] = field(default_factory=dict)
    groups: dict[int, InstanceCgroup] = field(default_factory=dict)
    last_requests: int = 0


class Sampler:
    """Samples every stack once a second until closed; see the module's docstring."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self._stacks: list[_StackState] = []
        self._task: asyncio.Task[None] | None = None
        self._last_s = time.monotonic()
        self._last_cpu_s = time.process_time()

    def add_stack(
        self,
        name: str,
        *,
        requests: Callable[[], int],
        cgroups: Callable[[], Iterable[InstanceCgroup]],
        pids: Callable[[], Iterable[int]] = tuple,
    ) -> AccessLog:
        """Sample a stack; returns the access log its front door writes to."""
        self.log_dir.mkdir(parents=True, exist_ok=True)
        access = AccessLog(self.access_path(name))
        self._stacks.append(
            _StackState(
                name=name,
                out=open(self.cpu_path(name), "a", encoding="utf-8"),  # noqa: SIM115
                access_out=open(access.path, "a", encoding="utf-8"),  # noqa: SIM115
                access=access,
                requests=requests,
                cgroups=cgroups,
                pids=pids,
            )
        )
        return access

    def cpu_path(self, name: str) -> Path:
        return cpu_samples_path(self.log_dir, name)

    def access_path(self, name: str) -> Path:
        return access_log_path(self.log_dir, name)

    def start(self) -> None:
        self._last_s, self._last_cpu_s = time.monotonic(), time.process_time()
        self._task = asyncio.create_task(self._run(), name="emulator-sampler")

    async def _run(self) -> None:
        next_s = time.monotonic() + SAMPLE_PERIOD_S
        while True:
            await asyncio.sleep(max(0.0, next_s - time.monotonic()))
            next_s += SAMPLE_PERIOD_S
            self.sample()

    def sample(self) -> None:
        """Write one line per stack for the interval since the last sample."""
        now_s, cpu_s = time.monotonic(), time.process_time()
        interval_s = now_s - self._last_s
        emulator_cpu_ms = (cpu_s - self._last_cpu_s) * 1000.0
        self._last_s, self._last_cpu_s = now_s, cpu_s
        counts = [s.requests() for s in self._stacks]
        emulator_requests = sum(
            c - s.last_requests for c, s in zip(counts, self._stacks, strict=True)
        )
        epoch_s = round(time.time(), 3)
        for state, count in zip(self._stacks, counts, strict=True):
            line = _interval(state)
            line["instances_cpu_ms"] = _process_cpu_ms(state)
            line.update(
                t=epoch_s,
                interval_s=round(interval_s, 4),
                requests=count - state.last_requests,
                emulator_cpu_ms=round(emulator_cpu_ms, 3),
                emulator_requests=emulator_requests,
            )
            state.last_requests = count
            state.out.write(json.dumps(line, separators=(",", ":")) + "\n")
            state.out.flush()
            state.access.flush(state.access_out)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None
        self.sample()
        for state in self._stacks:
            state.out.close()
            state.access_out.close()
        self._stacks.clear()

    def describe(self, name: str) -> Mapping[str, Path]:
        return {"cpu_samples": self.cpu_path(name), "access_log": self.access_path(name)}


_TICK_MS = 1000.0 / os.sysconf("SC_CLK_TCK")


def _process_cpu_ms(state: _StackState) -> float:
    """The instances' processes' CPU over the interval (``/proc/<pid>/stat``: user + system,
    every thread), whatever the cgroup version; an instance that exited meanwhile loses the
    part of its last second not read yet."""
    total_ticks = 0
    seen: dict[int, int] = {}
    for pid in state.pids():
        try:
            with open(f"/proc/{pid}/stat", "rb") as f:
                # The command may hold spaces and parentheses: the fields follow the last ")".
                fields = f.read().rsplit(b")", 1)[1].split()
            ticks = int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            continue
        seen[pid] = ticks
        total_ticks += ticks - state.last_ticks.get(pid, 0)
    state.last_ticks = seen
    return round(total_ticks * _TICK_MS, 1)


def _interval(state: _StackState) -> dict[str, Any]:
    """The stack's instances' throttling over the interval: what each counted since last read."""
    for group in state.cgroups():
        state.groups.setdefault(id(group), group)
    totals = {"periods": 0, "throttled_periods": 0, "throttled_ms": 0.0}
    usage_ms: float | None = None
    live = 0
    for key, group in list(state.groups.items()):
        stat = group.final_stat or group.cpu_stat()
        if group.final_stat is not None:
            del state.groups[key]
        else:
            live += 1
        if stat is None:
            continue
        before = state.last.get(key)
        totals["periods"] += stat.periods - (before.periods if before else 0)
        totals["throttled_periods"] += stat.throttled_periods - (
            before.throttled_periods if before else 0
        )
        totals["throttled_ms"] += stat.throttled_ms - (before.throttled_ms if before else 0.0)
        if stat.usage_ms is not None:
            usage_ms = (
                (usage_ms or 0.0) + stat.usage_ms - (before.usage_ms or 0.0 if before else 0.0)
            )
        if key in state.groups:
            state.last[key] = stat
        else:
            state.last.pop(key, None)
    totals["throttled_ms"] = round(totals["throttled_ms"], 3)
    return {
        "instances": live,
        **totals,
        "usage_ms": round(usage_ms, 3) if usage_ms is not None else None,
    }
