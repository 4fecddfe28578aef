"""Which bound a run met, measured: the host's CPU (loadgen's ``host_cpu`` samples in
summary.json) against each instance's cgroup throttling (the emulator's
``logs/<stack>.cpu.jsonl``), and what the generator and the emulator cost per request.

Two bounds, told apart (thresholds in docs/results.md, "Saturation"):

- **throttled by its share** — the instances used up the CPU their memory buys (cgroup
  ``nr_throttled``): legitimate, it is what memory buys on Lambda;
- **host-bound (⚙)** — the host's CPUs were busy with other work while the stack's requests
  were in flight: the machine, not the memory setting, bounded the run, and its throughput and
  warm tail latency say nothing about the stack.

Only the seconds in which the stack had a request in flight are judged (a saturated host
while the stack waits between idle probes disturbs nothing of it), and in each the host's busy
share is taken net of the stack's own instances' CPU (their cgroup's usage, else their
processes' from /proc): CPU that came from the stack's own entitlement — its init burst, its
invocations — is the stack at work, not contention.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

from resultfiles import (
    LOGS,
    CpuSample,
    RunInfo,
    Summary,
    cpu_samples_path,
    percentile,
    read_cpu_samples,
)

#: a second counts as saturated when the host's CPUs (all cores together) were at least this
#: busy net of the stack's own instances
HOST_BUSY_SHARE = 0.90
#: a run is host-bound (⚙) when at least this share of its requests were in flight during a
#: saturated second
HOST_BOUND_SHARE = 0.20
#: a stack was throttled by its CPU share when at least this share of its CFS periods were
THROTTLED_SHARE = 0.05


class InFlight(Protocol):
    """What this module reads of a request record (``resultfiles.Record``)."""

    @property
    def start_s(self) -> float: ...
    @property
    def latency_us(self) -> int: ...


def flight_seconds(record: InFlight) -> range:
    """The run's seconds (``busy_share_per_s`` indexes) the request was in flight in."""
    first = max(0, int(record.start_s))
    end_s = record.start_s + record.latency_us / 1e6
    # a request ending exactly on a boundary is not in flight in the next second
    last = max(first, math.ceil(end_s) - 1)
    return range(first, last + 1)


@dataclass(frozen=True, kw_only=True)
class HostTimeline:
    """One run's seconds as the samplers saw them: the host's busy share, the stack's own
    instances' share of the host, and which seconds had a request of the stack in flight."""

    cores: int | None
    #: the host's busy share per second of the run (0..1, all cores together)
    busy: tuple[float, ...]
    #: the stack's own instances' CPU per second as a share of the host (0 where not measured)
    own: tuple[float, ...]
    #: where ``own`` comes from: ``cgroup`` (the cgroups' usage), ``/proc`` (the instances'
    #: processes), None (not measured: an AWS run, or no emulator samples found)
    own_source: str | None
    #: seconds with a request of the stack in flight
    in_flight: frozenset[int] = field(default_factory=frozenset)

    def net(self, second: int) -> float:
        """The host's busy share in ``second`` net of the stack's own instances."""
        return max(0.0, self.busy[second] - self.own[second])

    def saturated(self, second: int) -> bool:
        return 0 <= second < len(self.busy) and self.net(second) >= HOST_BUSY_SHARE

    def exposed(self, record: InFlight) -> bool:
        """True when the request was in flight during a saturated second."""
        return any(self.saturated(s) for s in flight_seconds(record))


#: Where a stack's own CPU was read: the cgroup's count, else its processes' (``/proc``).
_OwnCpuKey = Literal["usage_ms", "instances_cpu_ms"]


def _own_cpu(line: CpuSample, key: _OwnCpuKey) -> float | None:
    return line.usage_ms if key == "usage_ms" else line.instances_cpu_ms


def _apportion(
    lines: Sequence[CpuSample], key: _OwnCpuKey, start_s: float, seconds: int
) -> list[float]:
    """``key`` of the emulator's lines (each the interval before its ``t``) spread over the
    run's seconds in proportion to how much of each interval falls in each second."""
    out = [0.0] * seconds
    for line in lines:
        value, interval_s = _own_cpu(line, key), line.interval_s
        if value is None or interval_s is None:
            continue
        if interval_s <= 0:
            continue
        end = float(line.t) - start_s
        begin = end - float(interval_s)
        for second in range(max(0, int(begin)), min(seconds, math.ceil(end))):
            overlap = min(end, second + 1.0) - max(begin, float(second))
            if overlap > 0:
                out[second] += float(value) * overlap / float(interval_s)
    return out


def host_timeline(
    folder: Path, run: RunInfo, summary: Summary, stack: str, records: Sequence[InFlight]
) -> HostTimeline:
    """The run's host samples beside its stack's own CPU and its requests in flight."""
    busy = summary.host_cpu.busy_share_per_s
    cores = summary.host_cpu.cores
    own = [0.0] * len(busy)
    source: str | None = None
    start_s = run.start_epoch_s
    if start_s is not None and busy and cores:
        lines = _cgroup_lines(
            samples_file(folder, run, stack), float(start_s), float(start_s) + len(busy)
        )
        key = _own_cpu_key(lines)
        if key is not None:
            source = "cgroup" if key == "usage_ms" else "/proc"
            own = [
                ms / (1000.0 * cores) for ms in _apportion(lines, key, float(start_s), len(busy))
            ]
    in_flight = {s for r in records for s in flight_seconds(r) if s < len(busy)}
    return HostTimeline(
        cores=cores, busy=busy, own=tuple(own), own_source=source, in_flight=frozenset(in_flight)
    )


def _own_cpu_key(lines: Sequence[CpuSample]) -> _OwnCpuKey | None:
    # The cgroup's own count (v2 usage_usec, v1 cpuacct.usage) where it was read, else /proc's.
    keys: tuple[_OwnCpuKey, ...] = ("usage_ms", "instances_cpu_ms")
    for key in keys:
        if any(_own_cpu(line, key) is not None for line in lines):
            return key
    return None


@dataclass(frozen=True, kw_only=True)
class Saturation:
    """One stack's run, as the samples saw it (None: that part was not sampled)."""

    host_cores: int | None = None
    #: the host's busy share over the seconds with a request in flight (all its CPU)
    host_busy_p50: float | None = None
    host_busy_max: float | None = None
    #: seconds sampled with a request of the stack in flight
    host_seconds: int = 0
    #: of those, the seconds saturated net of the stack's own instances
    host_busy_seconds: int = 0
    #: the run's requests, and those in flight during a saturated second
    requests: int = 0
    requests_exposed: int = 0
    #: the stack's own instances' mean share of the host over its in-flight seconds
    own_busy_mean: float | None = None
    #: where the stack's own CPU was read (``cgroup``, ``/proc``; None: not measured)
    own_source: str | None = None
    throttled_ms: float | None = None
    throttled_share: float | None = None
    periods: int | None = None
    generator_cpu_us_per_request: float | None = None
    emulator_cpu_us_per_request: float | None = None
    instance_cpu_us_per_request: float | None = None
    #: the study's own processes' CPU (generator + emulator + instances) as a share of the host's
    study_cpu_share: float | None = None

    @property
    def exposed_share(self) -> float | None:
        return self.requests_exposed / self.requests if self.requests else None

    @property
    def host_bound(self) -> bool:
        return (
            self.requests > 0
            and self.host_seconds > 0
            and self.requests_exposed >= HOST_BOUND_SHARE * self.requests
        )

    @property
    def throttled(self) -> bool:
        return self.throttled_share is not None and self.throttled_share >= THROTTLED_SHARE

    def host_words(self) -> str:
        if not self.host_seconds or self.host_busy_p50 is None or self.host_busy_max is None:
            return "host CPU not sampled while a request was in flight"
        own = (
            "its own instances' CPU not measured"
            if self.own_source is None
            else f"its own instances used {self.own_busy_mean or 0.0:.0%} ({self.own_source})"
        )
        exposed = self.exposed_share or 0.0
        study = (
            f"; the study's own processes used {self.study_cpu_share:.0%} of the host"
            if self.study_cpu_share is not None
            else ""
        )
        return (
            f"host CPU busy {self.host_busy_p50:.0%} p50, {self.host_busy_max:.0%} max of "
            f"{self.host_cores or '?'} CPUs over its {self.host_seconds} s with requests in "
            f"flight, {own}; {self.host_busy_seconds} of {self.host_seconds} s at >= "
            f"{HOST_BUSY_SHARE:.0%} net of them, holding {self.requests_exposed:,} of its "
            f"{self.requests:,} requests ({exposed:.0%}){study}"
        )

    def throttle_words(self) -> str:
        if self.throttled_share is None or self.throttled_ms is None:
            return "cgroup throttling not sampled"
        return (
            f"instances throttled in {self.throttled_share:.1%} of their CPU periods, "
            f"{self.throttled_ms / 1000.0:,.1f} s throttled in all"
        )


def samples_file(folder: Path, run: RunInfo, stack: str) -> Path | None:
    """The emulator's CPU samples of ``stack``: ``logs/`` kept with the results, else where
    endpoints.json said they were written (as run.json's target records it)."""
    for parent in list(folder.parents)[:3]:
        candidate = cpu_samples_path(parent / LOGS, stack)
        if candidate.is_file():
            return candidate
    named = run.target.cpu_samples
    if named is not None and Path(named).is_file():
        return Path(named)
    return None


def _cgroup_lines(path: Path | None, start_s: float, end_s: float) -> list[CpuSample]:
    if path is None:
        return []
    # A line covers the second before its time: the run's window plus one closing second.
    return read_cpu_samples(path, after_s=start_s, until_s=end_s + 1.5)


def saturation(
    folder: Path, run: RunInfo, summary: Summary, stack: str, records: Sequence[InFlight]
) -> Saturation:
    """The bounds of one run from its own files and the stack's samples beside the logs."""
    timeline = host_timeline(folder, run, summary, stack, records)
    judged = sorted(timeline.in_flight)
    shares = [timeline.busy[s] for s in judged]
    figures: dict[str, Any] = {
        "host_cores": timeline.cores,
        "host_busy_p50": percentile(shares, 50),
        "host_busy_max": max(shares) if shares else None,
        "host_seconds": len(judged),
        "host_busy_seconds": sum(1 for s in judged if timeline.saturated(s)),
        "requests": len(records) if judged else 0,
        "requests_exposed": sum(1 for r in records if timeline.exposed(r)),
        "own_source": timeline.own_source,
        "own_busy_mean": (
            sum(timeline.own[s] for s in judged) / len(judged)
            if judged and timeline.own_source
            else None
        ),
        "generator_cpu_us_per_request": summary.generator.cpu_us_per_request,
    }
    requests = len(records)
    start_s = run.start_epoch_s
    duration_s = run.duration_s
    if start_s is not None and duration_s is not None:
        lines = _cgroup_lines(
            samples_file(folder, run, stack), float(start_s), float(start_s) + float(duration_s)
        )
        if lines:
            periods = sum(int(line.periods or 0) for line in lines)
            throttled = sum(int(line.throttled_periods or 0) for line in lines)
            figures["periods"] = periods
            figures["throttled_ms"] = sum(float(line.throttled_ms or 0.0) for line in lines)
            figures["throttled_share"] = throttled / periods if periods else 0.0
            emulator_ms = sum(float(line.emulator_cpu_ms or 0.0) for line in lines)
            all_requests = sum(int(line.emulator_requests or 0) for line in lines)
            if all_requests:
                figures["emulator_cpu_us_per_request"] = emulator_ms * 1000.0 / all_requests
            key = _own_cpu_key(lines)
            usage = (
                [float(v) for line in lines if (v := _own_cpu(line, key)) is not None]
                if key
                else []
            )
            if usage and requests:
                figures["instance_cpu_us_per_request"] = sum(usage) * 1000.0 / requests
            generator_s = summary.generator.cpu_s
            cores = figures["host_cores"]
            if usage and generator_s is not None and cores and duration_s > 0:
                own_s = float(generator_s) + (emulator_ms + sum(usage)) / 1000.0
                figures["study_cpu_share"] = own_s / (float(duration_s) * cores)
    return Saturation(**figures)
