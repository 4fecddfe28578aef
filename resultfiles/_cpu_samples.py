"""Reading a stack's CPU samples (``logs/<stack>.cpu.jsonl``, docs/results.md): one typed
sample per second the emulator sampled the stack's instances and itself.

The emulator writes a line every second; the report reads the lines inside a run's window to
tell a host-bound run from a throttled one. Tolerant as the report always was: a missing or
unreadable file is no samples, a torn or foreign line or one without a numeric ``t`` is
skipped, a value of the wrong type reads as None.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

__all__ = ["CpuSample", "read_cpu_samples"]


def _number(value: object) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    return None


@dataclass(frozen=True, kw_only=True)
class CpuSample:
    """One line: the second (``interval_s``) before ``t``, summed over the stack's instances."""

    #: when the interval ended, epoch seconds
    t: float
    interval_s: float | None = None
    instances: float | None = None
    #: the instances' cgroup ``cpu.stat``: CFS periods, those throttled, the time throttled
    periods: float | None = None
    throttled_periods: float | None = None
    throttled_ms: float | None = None
    #: the cgroup's own CPU count (v2 ``usage_usec``, v1 ``cpuacct.usage``); None: not read
    usage_ms: float | None = None
    #: the instances' processes' CPU from ``/proc/<pid>/stat``
    instances_cpu_ms: float | None = None
    requests: float | None = None
    #: the emulator process's own CPU, and every stack's requests, in the interval
    emulator_cpu_ms: float | None = None
    emulator_requests: float | None = None


def read_cpu_samples(path: Path, *, after_s: float, until_s: float) -> list[CpuSample]:
    """The samples at ``path`` whose ``t`` is in (``after_s``, ``until_s``]."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return []
    samples: list[CpuSample] = []
    for raw in text.splitlines():
        try:
            data = json.loads(raw)
        except ValueError:
            continue  # a torn last line of a log still being written
        if not isinstance(data, dict):
            continue
        t = _number(data.get("t"))
        if t is None or not after_s < t <= until_s:
            continue
        samples.append(
            CpuSample(
                t=t,
                interval_s=_number(data.get("interval_s")),
                instances=_number(data.get("instances")),
                periods=_number(data.get("periods")),
                throttled_periods=_number(data.get("throttled_periods")),
                throttled_ms=_number(data.get("throttled_ms")),
                usage_ms=_number(data.get("usage_ms")),
                instances_cpu_ms=_number(data.get("instances_cpu_ms")),
                requests=_number(data.get("requests")),
                emulator_cpu_ms=_number(data.get("emulator_cpu_ms")),
                emulator_requests=_number(data.get("emulator_requests")),
            )
        )
    return samples
