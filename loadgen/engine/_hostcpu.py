"""The host's CPU while a run goes: the busy share of all its CPUs, once a second, from
``/proc/stat`` (the whole machine: the emulator, its instances, this generator and anything
else running). The report tells a run bounded by the host from one bounded by its function's
CPU share with it (docs/results.md, "Saturation")."""

from __future__ import annotations

import os
from pathlib import Path

from resultfiles import HostCpuFigures

PROC_STAT = Path("/proc/stat")


def _cpu_times(path: Path) -> tuple[int, int] | None:
    """(busy, total) jiffies of all CPUs, or None where ``/proc/stat`` cannot be read."""
    try:
        with open(path, encoding="ascii") as f:
            fields = f.readline().split()
    except OSError:
        return None
    if not fields or fields[0] != "cpu":
        return None
    # user nice system idle iowait irq softirq steal [guest guest_nice]: guest time is already
    # counted in user and nice, so only the first eight are summed.
    values = [int(v) for v in fields[1:9]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    return sum(values) - idle, sum(values)


class HostCpu:
    """Busy share of the host's CPUs per sample (0..1), one sample a second by the caller."""

    def __init__(self, path: Path = PROC_STAT) -> None:
        self.path = path
        self.samples: list[float] = []
        self._last = _cpu_times(path)

    def sample(self) -> float | None:
        now = _cpu_times(self.path)
        last, self._last = self._last, now
        if now is None or last is None or now[1] <= last[1]:
            return None
        share = (now[0] - last[0]) / (now[1] - last[1])
        self.samples.append(round(min(1.0, max(0.0, share)), 4))
        return share

    def describe(self) -> HostCpuFigures:
        """What summary.json keeps (``host_cpu``): every second's busy share."""
        try:
            cores = len(os.sched_getaffinity(0))
        except AttributeError:
            cores = os.cpu_count() or 0
        return HostCpuFigures(
            source=str(self.path) if self._last is not None else None,
            cores=cores,
            busy_share_per_s=tuple(self.samples),
        )
