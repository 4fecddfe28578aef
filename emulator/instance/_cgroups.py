"""Memory means CPU: each instance in its own cgroup with a CPU quota proportional to its memory
(1,769 MB = one vCPU, Lambda's documented ratio) and a memory limit equal to the memory setting.

cgroup v1 (``<root>/cpu`` and ``<root>/memory`` hierarchies) and v2 (``cpu.max``, ``memory.max``)
are supported. Where neither is writable, :func:`probe` says why and instances run unthrottled.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from pathlib import Path

from contract import MB_PER_VCPU

#: 20 ms: the throttling pauses measured on Lambda come in multiples of 20 ms, and their share
#: of the time is 1 - memory / 1,769 (docs/sweep.md, "How Lambda meters the CPU")
CFS_PERIOD_US = 20_000
#: the kernel refuses CFS quotas below 1 ms
_MIN_QUOTA_US = 1_000
_MIB = 1024 * 1024


def cpu_quota_us(memory_mb: int, period_us: int = CFS_PERIOD_US) -> int:
    """CPU time per period an instance of ``memory_mb`` gets (period × memory / 1,769)."""
    return max(_MIN_QUOTA_US, round(period_us * memory_mb / MB_PER_VCPU))


#: Lambda shows a function 2 vCPUs up to this size (rwnx/lambda-cpuinfo's measurements:
#: 2 at 128-3,008 MB, 3 to 5,307, 4 to 7,076, 5 to 8,845, 6 to 10,240: past 3,008 MB, one
#: more vCPU each time the memory share passes a whole 1,769 MB).
TWO_VCPU_MAX_MB = 3008


def lambda_vcpus(memory_mb: int) -> int:
    """How many CPUs a Lambda function of ``memory_mb`` sees (``/proc/cpuinfo``, nproc)."""
    if memory_mb <= TWO_VCPU_MAX_MB:
        return 2
    return max(3, -(-memory_mb // MB_PER_VCPU))


def instance_cpus(memory_mb: int, available: frozenset[int], turn: int = 0) -> frozenset[int]:
    """The CPUs an instance of ``memory_mb`` may run on: as many as Lambda would show it, out
    of ``available`` (all of them when there are fewer), taken from position ``turn`` round
    the list so that successive instances spread over a large host. Thread pools size
    themselves by this count (Java's availableProcessors, OpenBLAS, os.sched_getaffinity);
    the CPU time stays the memory share (``cpu_quota_us``)."""
    ordered = sorted(available)
    want = lambda_vcpus(memory_mb)
    if want >= len(ordered):
        return frozenset(ordered)
    return frozenset(ordered[(turn + i) % len(ordered)] for i in range(want))


@dataclass(frozen=True)
class CgroupSupport:
    """Whether instances can be limited here, and if not, why."""

    limited: bool
    version: int | None
    reason: str


@dataclass(frozen=True, kw_only=True)
class CpuStat:
    """An instance's CPU throttling as its cgroup counts it (``cpu.stat``), since it started."""

    #: CFS periods in which the cgroup had runnable work
    periods: int
    #: periods in which it used up its quota and was throttled
    throttled_periods: int
    #: time its threads waited throttled (v1 ``throttled_time`` ns, v2 ``throttled_usec``)
    throttled_ms: float
    #: CPU time used (v2 ``usage_usec``, v1 ``cpuacct.usage``); None where v1's ``cpuacct``
    #: controller is not there to count it
    usage_ms: float | None


def parse_cpu_stat(text: str, version: int) -> CpuStat:
    """``cpu.stat`` of cgroup v1 or v2 as a :class:`CpuStat` (absent keys count as 0)."""
    values: dict[str, int] = {}
    for line in text.splitlines():
        key, _, value = line.partition(" ")
        if value.strip().isdigit():
            values[key] = int(value)
    if version == 1:
        throttled_ms = values.get("throttled_time", 0) / 1e6
        usage_ms = None
    else:
        throttled_ms = values.get("throttled_usec", 0) / 1e3
        usage_ms = values["usage_usec"] / 1e3 if "usage_usec" in values else None
    return CpuStat(
        periods=values.get("nr_periods", 0),
        throttled_periods=values.get("nr_throttled", 0),
        throttled_ms=throttled_ms,
        usage_ms=usage_ms,
    )


@dataclass
class InstanceCgroup:
    """One instance's cgroup(s): the files its pid goes into, and what can be read back."""

    version: int
    dirs: tuple[Path, ...]
    #: ``cpu.stat`` as it stood when the cgroup was removed (the sampler's last reading)
    final_stat: CpuStat | None = None

    @property
    def procs_files(self) -> tuple[str, ...]:
        return tuple(str(d / "cgroup.procs") for d in self.dirs)

    def _memory_dir(self) -> Path:
        return self.dirs[-1]

    def cpu_quota_us(self) -> int | None:
        """The CPU quota as the kernel holds it (read back from the cgroup)."""
        if self.version == 1:
            return int((self.dirs[0] / "cpu.cfs_quota_us").read_text())
        quota = (self.dirs[0] / "cpu.max").read_text().split()[0]
        return None if quota == "max" else int(quota)

    def set_cpu_quota_us(self, quota_us: int) -> None:
        """Change the CPU quota of a running instance (the init burst's end)."""
        if self.version == 1:
            (self.dirs[0] / "cpu.cfs_quota_us").write_text(str(quota_us))
        else:
            (self.dirs[0] / "cpu.max").write_text(f"{quota_us} {CFS_PERIOD_US}")

    def memory_limit_bytes(self) -> int | None:
        name = "memory.limit_in_bytes" if self.version == 1 else "memory.max"
        raw = (self._memory_dir() / name).read_text().strip()
        return None if raw == "max" else int(raw)

    def oom_killed(self) -> bool:
        """True when the kernel killed a process of this cgroup for exceeding its memory."""
        name = "memory.oom_control" if self.version == 1 else "memory.events"
        try:
            text = (self._memory_dir() / name).read_text()
        except OSError:
            return False
        for line in text.splitlines():
            key, _, value = line.partition(" ")
            if key == "oom_kill" and value.strip() not in ("", "0"):
                return True
        return False

    def cpu_stat(self) -> CpuStat | None:
        """The instance's CPU throttling so far; None once the cgroup is gone or unreadable."""
        try:
            stat = parse_cpu_stat((self.dirs[0] / "cpu.stat").read_text(), self.version)
        except (OSError, ValueError):
            return None
        if self.version == 1 and stat.usage_ms is None:
            return dataclasses.replace(stat, usage_ms=self._cpuacct_usage_ms())
        return stat

    def _cpuacct_usage_ms(self) -> float | None:
        # v1 counts CPU time in the cpuacct controller: mounted with cpu (``cpu,cpuacct``, the
        # usual layout) its file is in the cpu directory, else in a cpuacct directory of ours.
        for d in self.dirs:
            try:
                return int((d / "cpuacct.usage").read_text()) / 1e6
            except (OSError, ValueError):
                continue
        return None

    def peak_memory_mb(self) -> int | None:
        """The cgroup's peak memory (MiB): anonymous memory and the page-cache pages charged to
        it, the part of Lambda's Max Memory Used that file pages make (``_memory``); after an
        out-of-memory kill, about the memory size, which the killed process's own ``VmHWM`` can
        no longer say."""
        name = "memory.max_usage_in_bytes" if self.version == 1 else "memory.peak"
        try:
            return max(1, round(int((self._memory_dir() / name).read_text()) / _MIB))
        except (OSError, ValueError):
            return None

    def remove(self) -> None:
        # Read before the directory goes: the sampler accounts an instance's last second from it.
        if self.final_stat is None:
            self.final_stat = self.cpu_stat()
        for d in self.dirs:
            try:
                d.rmdir()
            except OSError:
                pass


class Cgroups:
    """The emulator's cgroup parent(s); creates one child per instance."""

    def __init__(self, root: Path, *, enabled: bool = True, tag: str | None = None) -> None:
        self.root = Path(root)
        self.tag = tag or f"lambda-emulator-{os.getpid()}"
        self._parents: list[Path] = []
        #: v1's cpuacct parent when that controller has a hierarchy of its own
        self._cpuacct: Path | None = None
        if not enabled:
            self.support = CgroupSupport(False, None, "CPU limits turned off by option")
        else:
            self.support = self._probe()

    def _remove_stale(self, parent_dirs: list[Path]) -> None:
        # An emulator killed with SIGKILL cannot clean up; its instances died with it (pdeathsig),
        # so its empty cgroups can go now.
        for base in parent_dirs:
            for stale in base.glob("lambda-emulator-*"):
                pid = stale.name.rsplit("-", 1)[-1]
                if not pid.isdigit() or int(pid) == os.getpid() or Path(f"/proc/{pid}").exists():
                    continue
                for child in stale.iterdir():
                    if child.is_dir():
                        try:
                            child.rmdir()
                        except OSError:
                            pass
                try:
                    stale.rmdir()
                except OSError:
                    pass

    def _probe(self) -> CgroupSupport:
        v1_cpu, v1_mem = self.root / "cpu", self.root / "memory"
        if (v1_cpu / "cpu.cfs_quota_us").exists() and (v1_mem / "memory.limit_in_bytes").exists():
            try:
                self._remove_stale([v1_cpu, v1_mem])
                parents = [v1_cpu / self.tag, v1_mem / self.tag]
                for p in parents:
                    p.mkdir(exist_ok=True)
                    self._parents.append(p)
                # A real cgroup fs fills a new directory with control files; a plain one does not.
                if not (parents[0] / "cpu.cfs_quota_us").exists():
                    raise OSError(f"{v1_cpu} is not a cgroup v1 cpu hierarchy")
                (parents[0] / "cpu.cfs_quota_us").write_text("-1")
                self._cpuacct = self._probe_cpuacct()
                return CgroupSupport(True, 1, f"cgroup v1 at {self.root}")
            except OSError as exc:
                self.close()
                return CgroupSupport(False, None, f"cgroup v1 at {self.root} not writable: {exc}")
        controllers = self.root / "cgroup.controllers"
        if controllers.exists():
            try:
                available = controllers.read_text().split()
                if not {"cpu", "memory"} <= set(available):
                    return CgroupSupport(
                        False, None, f"cgroup v2 at {self.root} lacks the cpu/memory controllers"
                    )
                self._remove_stale([self.root])
                parent = self.root / self.tag
                parent.mkdir(exist_ok=True)
                self._parents.append(parent)
                (self.root / "cgroup.subtree_control").write_text("+cpu +memory")
                (parent / "cgroup.subtree_control").write_text("+cpu +memory")
                return CgroupSupport(True, 2, f"cgroup v2 at {self.root}")
            except OSError as exc:
                self.close()
                return CgroupSupport(False, None, f"cgroup v2 at {self.root} not writable: {exc}")
        return CgroupSupport(
            False,
            None,
            f"no writable cgroup found at {self.root} (neither v1 cpu/memory nor v2 "
            "cpu.max/memory.max)",
        )

    def _probe_cpuacct(self) -> Path | None:
        """v1's CPU time count for the instances: nothing to add where ``cpuacct`` is mounted
        with ``cpu`` (its files are in the cpu directories), else a parent in its own
        hierarchy; None where it cannot be had (the instances' CPU is then read from /proc)."""
        v1_cpu, v1_acct = self.root / "cpu", self.root / "cpuacct"
        if (v1_cpu / "cpuacct.usage").exists() or not (v1_acct / "cpuacct.usage").exists():
            return None
        if v1_acct.resolve() == v1_cpu.resolve():
            return None
        try:
            self._remove_stale([v1_acct])
            parent = v1_acct / self.tag
            parent.mkdir(exist_ok=True)
        except OSError:
            return None
        # Close removes the parents last to first: the memory parent stays last.
        self._parents.insert(1, parent)
        return parent

    def create(
        self, name: str, memory_mb: int, *, initial_quota_us: int | None = None
    ) -> InstanceCgroup | None:
        """A cgroup for one instance with its CPU quota and memory limit; None when unlimited.

        ``initial_quota_us``: the quota it starts with (the init burst), if not its memory share.
        """
        if not self.support.limited:
            return None
        quota_us = initial_quota_us if initial_quota_us is not None else cpu_quota_us(memory_mb)
        limit_bytes = memory_mb * _MIB
        if self.support.version == 1:
            cpu_dir, mem_dir = self._parents[0] / name, self._parents[-1] / name
            cpu_dir.mkdir()
            mem_dir.mkdir()
            dirs: tuple[Path, ...] = (cpu_dir, mem_dir)
            if self._cpuacct is not None:
                acct_dir = self._cpuacct / name
                acct_dir.mkdir()
                # the memory directory stays last: InstanceCgroup reads its memory files there
                dirs = (cpu_dir, acct_dir, mem_dir)
            group = InstanceCgroup(1, dirs)
            try:
                (cpu_dir / "cpu.cfs_period_us").write_text(str(CFS_PERIOD_US))
                (cpu_dir / "cpu.cfs_quota_us").write_text(str(quota_us))
                (mem_dir / "memory.limit_in_bytes").write_text(str(limit_bytes))
                # Lambda has no swap: memory + swap is held to the same limit (absent without
                # swap accounting, where nothing can swap past the limit anyway).
                memsw = mem_dir / "memory.memsw.limit_in_bytes"
                if memsw.exists():
                    memsw.write_text(str(limit_bytes))
            except OSError:
                group.remove()
                raise
            return group
        d = self._parents[0] / name
        d.mkdir()
        group = InstanceCgroup(2, (d,))
        try:
            (d / "cpu.max").write_text(f"{quota_us} {CFS_PERIOD_US}")
            (d / "memory.max").write_text(str(limit_bytes))
            if (d / "memory.swap.max").exists():
                (d / "memory.swap.max").write_text("0")
        except OSError:
            group.remove()
            raise
        return group

    def close(self) -> None:
        for p in reversed(self._parents):
            try:
                p.rmdir()
            except OSError:
                pass
        self._parents.clear()
