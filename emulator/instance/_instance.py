"""One instance = one OS process running the function's real runtime from its package's tree.

The process is started in its own session (so its whole process group can be killed), dies with
the emulator (``PR_SET_PDEATHSIG``), and is placed in its cgroup before it executes anything, so
its CPU share applies from its first instruction. Its exit is watched through a pidfd and its
output (stdout and stderr merged, as CloudWatch merges them) through a non-blocking pipe.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import enum
import errno
import fcntl
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from ._cgroups import InstanceCgroup
from ._package_trees import Mount, mount_read_only

_PR_SET_PDEATHSIG = 1
_libc = ctypes.CDLL(None, use_errno=True)


class InstanceState(enum.Enum):
    """Where an instance is in its life; it only moves forward, except idle and busy."""

    #: its process is starting and has not yet asked for its first invocation (init)
    STARTING = "starting"
    IDLE = "idle"
    #: an invocation holds it (from being taken off the idle list to its result)
    BUSY = "busy"
    #: ended, or ending: it serves nothing more, whether or not its process is gone yet
    DEAD = "dead"


class InitType(enum.StrEnum):
    """``AWS_LAMBDA_INITIALIZATION_TYPE``: how Lambda started the instance."""

    ON_DEMAND = "on-demand"
    PROVISIONED = "provisioned-concurrency"
    SNAP_START = "snap-start"


@dataclass(eq=False)
class Invocation:
    """One request to the function, from the front door (or the ping schedule) to its result."""

    request_id: str
    payload: bytes
    done: asyncio.Future[Outcome]
    trace_id: str
    #: perf_counter when the runtime received it (Duration starts here)
    started_s: float | None = None
    deadline_ms: int = 0
    timer: asyncio.TimerHandle | None = None
    cold_start: bool = False
    #: the first invocation of an instance restored from a SnapStart snapshot
    restore: bool = False
    #: Lambda retries an init that outlasted the init limit inside this invocation, under the
    #: function's timeout: its Duration (and bill) includes that init
    init_in_invoke: bool = False
    #: the ARN it was invoked by (with the alias or version named, if any); None: the host's
    invoked_arn: str | None = None


@dataclass(frozen=True)
class Outcome:
    """How an invocation ended, as Lambda would tell API Gateway."""

    #: ok | function_error | timeout | crash | init_error | throttled | too_large
    kind: str
    request_id: str
    payload: bytes = b""
    error_type: str | None = None
    instance_id: str | None = None
    cold_start: bool = False
    #: how the runtime ended, in Lambda's words (``signal: killed``), for a crash
    exit_how: str | None = None
    #: time.monotonic() when the platform learnt how it ended (the runtime posted its result):
    #: the front door's way-out half of the network path counts from here
    ended_s: float | None = None


@dataclass(eq=False)
class Instance:
    """An execution environment: its process, directory, cgroup and Runtime API endpoint."""

    id: str
    stack: str
    #: its own folder (its ``tmp``), removed with it
    workdir: Path
    #: Lambda's /var/task: its package's read-only tree, shared with the stack's other instances
    task_root: Path
    #: Lambda's /opt: its layer's read-only tree (empty without a layer), shared likewise
    opt_dir: Path
    tmp_dir: Path
    provisioned: bool = False
    init_type: InitType = InitType.ON_DEMAND
    #: SnapStart's one init at publish: it is held after init and serves nothing
    snapshot: bool = False
    #: the request whose arrival started it (None: provisioned, or SnapStart's publish)
    cold_request_id: str | None = None
    state: InstanceState = InstanceState.STARTING
    proc: subprocess.Popen[bytes] | None = None
    pid: int = 0
    port: int = 0
    cgroup: InstanceCgroup | None = None
    spawned_s: float = 0.0
    init_duration_ms: float | None = None
    #: kills it when init outlasts the init timeout; cancelled by its first ``next``
    init_timer: asyncio.TimerHandle | None = None
    #: perf_counter when its ``restore/next`` was answered (a SnapStart restore)
    restored_s: float | None = None
    #: from ``restore/next`` answered to the first ``next``: what AWS bills of a restore
    after_restore_ms: float | None = None
    #: SnapStart's publish instance waits on it after init, until it is ended
    held: asyncio.Future[None] | None = None
    ready: asyncio.Future[None] | None = None
    waiting_next: asyncio.Future[Invocation | None] | None = None
    mailbox: Invocation | None = None
    current: Invocation | None = None
    served: int = 0
    idle_since_s: float = 0.0
    #: why the emulator ended it (reclaimed, timed_out, shutdown...); None if it ended by itself
    kill_reason: str | None = None
    init_error: tuple[str, bytes] | None = None
    #: its failed init's INIT_REPORT is written already (a retried init that timed out)
    init_reported: bool = False
    exit_code: int | None = None
    #: the output lines of a timed-out or crashed invocation, held to go before its END and REPORT
    pending_lines: list[str] | None = None
    #: the last peak memory read, reported when /proc no longer has the process
    last_memory_mb: int = 0
    #: the memory watchdog (no memory cgroup) killed it for a resident set past its memory size
    memory_killed: bool = False
    _pidfd: int = -1
    _out_fd: int = -1
    _partial: bytes = b""
    _on_line: Callable[[str], None] | None = None

    def spawn(
        self,
        argv: Sequence[str],
        env: Mapping[str, str],
        *,
        on_line: Callable[[str], None],
        on_exit: Callable[[Instance], None],
        cpus: frozenset[int] | None = None,
        read_only: Sequence[Mount] = (),
    ) -> None:
        """Start the runtime's process: in its cgroup, on ``cpus``, with ``read_only``'s paths
        (its package trees) bound read-only in a mount namespace of its own, if any."""
        procs_files = self.cgroup.procs_files if self.cgroup is not None else ()
        parent_pid = os.getpid()
        task_root = self.task_root

        def child_setup() -> None:
            # Runs in the child between fork and exec: die with the emulator, join the cgroup.
            _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
            if os.getppid() != parent_pid:
                os._exit(1)
            me = str(os.getpid())
            for path in procs_files:
                with open(path, "w") as f:
                    f.write(me)
            if cpus:
                # the CPU count Lambda shows at this memory size (``_cgroups.instance_cpus``);
                # a mask the kernel refuses leaves the instance the emulator's CPUs
                with contextlib.suppress(OSError):
                    os.sched_setaffinity(0, cpus)
            if read_only:
                mount_read_only(read_only)
                # Popen entered the task root before the mounts: enter the read-only one.
                os.chdir(task_root)

        self.spawned_s = time.perf_counter()
        self.proc = subprocess.Popen(
            list(argv),
            cwd=self.task_root,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            # The emulator's loop thread is the only one forking; the hook only makes syscalls.
            preexec_fn=child_setup,  # noqa: PLW1509
            close_fds=True,
        )
        self.pid = self.proc.pid
        assert self.proc.stdout is not None
        self._out_fd = self.proc.stdout.fileno()
        flags = fcntl.fcntl(self._out_fd, fcntl.F_GETFL)
        fcntl.fcntl(self._out_fd, fcntl.F_SETFL, flags | os.O_NONBLOCK)
        self._on_line = on_line
        loop = asyncio.get_running_loop()
        loop.add_reader(self._out_fd, self.drain_output)
        self._pidfd = os.pidfd_open(self.pid)
        loop.add_reader(self._pidfd, self._exited, on_exit)

    def drain_output(self) -> None:
        """Read what the process has written so far and pass on each complete line."""
        if self._out_fd < 0:
            return
        chunks = []
        while True:
            try:
                chunk = os.read(self._out_fd, 65536)
            except BlockingIOError:
                break
            except OSError as exc:
                if exc.errno == errno.EINTR:
                    continue
                break
            if not chunk:
                break
            chunks.append(chunk)
        if not chunks:
            return
        data = self._partial + b"".join(chunks)
        *lines, self._partial = data.split(b"\n")
        if self._on_line is not None:
            for line in lines:
                self._on_line(line.decode("utf-8", "replace").rstrip("\r"))

    def _exited(self, on_exit: Callable[[Instance], None]) -> None:
        loop = asyncio.get_running_loop()
        loop.remove_reader(self._pidfd)
        os.close(self._pidfd)
        self._pidfd = -1
        assert self.proc is not None
        self.exit_code = self.proc.wait()
        self.drain_output()
        if self._partial and self._on_line is not None:
            self._on_line(self._partial.decode("utf-8", "replace"))
            self._partial = b""
        loop.remove_reader(self._out_fd)
        assert self.proc.stdout is not None
        self.proc.stdout.close()
        self._out_fd = -1
        on_exit(self)

    def kill(self) -> None:
        """SIGKILL the instance's whole process group (the runtime and anything it started)."""
        if self.pid and self.exit_code is None:
            try:
                os.killpg(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def max_memory_used_mb(self) -> int:
        """What the instance held at its peak, in MB as Lambda reports it: the larger of the
        process's resident peak (VmHWM: anonymous + file pages it mapped) and its memory
        cgroup's peak (anonymous + every page-cache page charged to it, mapped or read), never
        above its memory size when a cgroup holds it there (as a microVM's total cannot be).
        Without a cgroup it is the resident peak alone, and may exceed the memory size."""
        peak_mb = self.last_memory_mb
        try:
            with open(f"/proc/{self.pid}/status", "rb") as f:
                for line in f:
                    if line.startswith(b"VmHWM:"):
                        peak_mb = max(peak_mb, max(1, round(int(line.split()[1]) / 1024)))
                        break
        except (OSError, ValueError, IndexError):
            pass
        if self.cgroup is None:
            return peak_mb
        peak_mb = max(peak_mb, self.cgroup.peak_memory_mb() or 0)
        try:
            limit_bytes = self.cgroup.memory_limit_bytes()
        except (OSError, ValueError):
            limit_bytes = None
        if limit_bytes is not None:
            peak_mb = min(peak_mb, max(1, round(limit_bytes / (1024 * 1024))))
        return peak_mb

    def cleanup(self) -> None:
        if self.cgroup is not None:
            self.cgroup.remove()
        shutil.rmtree(self.workdir, ignore_errors=True)
