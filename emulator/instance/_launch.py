"""Starting an instance's process: its folders, its cgroup, its Runtime API endpoint, and its
runtime's command line and environment. When to start one, and what it then does, is the host's."""

from __future__ import annotations

import asyncio
import itertools
import os
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .._spec import INIT_BURST_VCPU, FunctionSpec
from ..gateway._sigv4 import StaticCredentials
from ..logs._logs import StackLog
from ._cgroups import CFS_PERIOD_US, Cgroups, cpu_quota_us, instance_cpus
from ._environment import instance_environment
from ._instance import InitType, Instance
from ._java import java_command
from ._memory import PACKAGE_EVICT_MIN_BYTES, evict_file_pages
from ._package_trees import PackageTrees, read_only_mounts
from ._pyruntime import python_path
from ._runtime_api import InstanceHost, RuntimeApi

#: successive instances start their CPU set one CPU further round the host's (``_cpus``)
_TURNS = itertools.count()


@dataclass(frozen=True, kw_only=True)
class Launcher:
    """Starts and cleans up the processes of one function's instances."""

    spec: FunctionSpec
    cgroups: Cgroups
    runtime_api: RuntimeApi
    #: where the instances' output goes, unless an invocation holds it back (``pending_lines``)
    log: StackLog
    #: this emulator's scratch folder for instance directories (one folder per stack in it)
    instances_dir: Path
    #: the run's unpacked packages and layers, shared by the instances (``_package_trees``)
    packages: PackageTrees
    java: str | None = None
    java_bootstrap: Path | None = None
    #: the local S3 endpoint serving ``s3`` stacks' artifacts
    s3_endpoint: str | None = None
    #: what AWS's Python runtime provides (awslambdaric, boto3): ``_pyruntime.runtime_dir``
    python_runtime: Path | None = None
    #: the package's third-party dependencies for this host's Python, if it needs any
    dependencies: Path | None = None
    #: init runs with the burst quota (``EmulatorOptions.init_cpu == "burst"``)
    init_burst: bool = False
    #: moto's S3 holding the spec's buckets (only when it names some)
    buckets_endpoint: str | None = None
    #: the function's role credentials, if it signs its own calls (``_environment``)
    credentials: StaticCredentials | None = None
    #: the version the instances run: ``$LATEST``, or a published version's number
    version: str = "$LATEST"

    @property
    def init_quota_us(self) -> int | None:
        """The CPU quota init runs with; None: the memory share from the start."""
        if not self.init_burst:
            return None
        return max(cpu_quota_us(self.spec.memory_mb), round(CFS_PERIOD_US * INIT_BURST_VCPU))

    def end_init_burst(self, inst: Instance) -> None:
        """Init is over (its first ``next``): from now on the instance gets its memory share."""
        if self.init_burst and inst.cgroup is not None:
            inst.cgroup.set_cpu_quota_us(cpu_quota_us(self.spec.memory_mb))

    def new_instance(
        self, *, init_type: InitType, provisioned: bool, snapshot: bool, request_id: str | None
    ) -> Instance:
        """An instance not started yet, with a fresh id and its own folder, running from its
        package's and layer's shared trees (unpacked by ``launch`` if need be)."""
        inst_id = uuid.uuid4().hex[:12]
        workdir = self.instances_dir / self.spec.name / inst_id
        return Instance(
            id=inst_id,
            stack=self.spec.name,
            workdir=workdir,
            task_root=self.packages.location(self.spec.name, self.spec.code_zip, mount="task"),
            opt_dir=self.packages.location(self.spec.name, self.spec.layer_zip, mount="opt"),
            tmp_dir=workdir / "tmp",
            provisioned=provisioned,
            init_type=init_type,
            snapshot=snapshot,
            cold_request_id=request_id,
        )

    async def launch(
        self, inst: Instance, host: InstanceHost, *, on_exit: Callable[[Instance], None]
    ) -> None:
        """Unpack (once per package), confine and start ``inst``, its endpoint answered by
        ``host``.

        Raises OSError, SubprocessError or EmulatorError when it cannot start; ``discard`` it then.
        """
        await self._unpack(inst)
        inst.tmp_dir.mkdir(parents=True, exist_ok=True)
        inst.cgroup = self.cgroups.create(
            f"{self.spec.name}-{inst.id}", self.spec.memory_mb, initial_quota_us=self.init_quota_us
        )
        inst.port = await self.runtime_api.register(host, inst)
        path = None
        if self.spec.language == "python" and self.python_runtime is not None:
            path = python_path(
                task_root=inst.task_root,
                opt_dir=inst.opt_dir,
                dependencies=self.dependencies,
                runtime=self.python_runtime,
            )
        env = instance_environment(
            self.spec,
            inst,
            s3_endpoint=self.s3_endpoint,
            python_path=path,
            buckets_endpoint=self.buckets_endpoint,
            credentials=self.credentials,
            version=self.version,
        )
        if inst.cgroup is not None:
            await self._evict_file_pages(inst)
        mounts = (
            read_only_mounts([inst.task_root, inst.opt_dir])
            if self.packages.read_only == "mount"
            else ()
        )
        inst.spawn(
            self._command(inst),
            env,
            on_line=self._output_line(inst),
            on_exit=on_exit,
            cpus=self._cpus(),
            read_only=mounts,
        )

    async def _unpack(self, inst: Instance) -> None:
        """The instance's package and layer trees, unpacked once per run (the first cold start
        of a package waits for it, as do those that start meanwhile)."""
        for source, tree in (
            (self.spec.code_zip, inst.task_root),
            (self.spec.layer_zip, inst.opt_dir),
        ):
            elapsed_ms = await self.packages.ensure(source, tree)
            if elapsed_ms is not None and source is not None:
                self.log.event(
                    "package_unpacked",
                    instance=inst.id,
                    source=str(source),
                    tree=str(tree),
                    elapsed_ms=round(elapsed_ms, 1),
                    read_only=self.packages.read_only,
                )

    async def _evict_file_pages(self, inst: Instance) -> None:
        """Out of the host's page cache with what the instance will read, so that its reads are
        charged to its cgroup as a microVM's memory holds them (``_memory``): the package's files
        of 1 MiB or more (written out first, if just unpacked), and a framework's dependency folder
        and the runtime folder for stacks that have one. Not the evaluator's runtime folder nor
        small files: walking the runtime folder's 2,500 files alone takes ~20 ms, and reading
        them back from disk more, on every evaluator cold start, for the few MB they hold."""
        folders: list[Path] = []
        if self.dependencies is not None:
            folders.append(self.dependencies)
            if self.python_runtime is not None:
                folders.append(self.python_runtime)
        done = await asyncio.to_thread(
            evict_file_pages,
            folders,
            flush=(inst.task_root, inst.opt_dir),
            flush_min_bytes=PACKAGE_EVICT_MIN_BYTES,
        )
        if folders:
            self.log.event(
                "page_cache_evicted",
                instance=inst.id,
                files=done.files,
                elapsed_ms=round(done.elapsed_ms, 1),
            )

    def _cpus(self) -> frozenset[int] | None:
        """The CPUs the next instance may use: Lambda's count at this memory size, within the
        emulator's own; None where affinity cannot be set."""
        try:
            available = frozenset(os.sched_getaffinity(0))
        except (AttributeError, OSError):
            return None
        turn = next(_TURNS)
        return instance_cpus(self.spec.memory_mb, available, turn)

    def discard(self, inst: Instance) -> None:
        """Close its endpoint, remove its cgroup and folder (its process is gone or never ran)."""
        self.runtime_api.unregister(inst)
        inst.cleanup()

    def _command(self, inst: Instance) -> list[str]:
        if self.spec.language == "python":
            # -S: no site-packages (the emulator's virtualenv stays out of sight); what the
            # instance imports comes from PYTHONPATH: its package, layers, the runtime folder.
            # -P: `-m` would put the working directory (the task root) ahead of PYTHONPATH, where
            # a framework package's python3.12 wheels would shadow the host's dependency folder.
            flags = ["-S", "-P"] if self.python_runtime is not None else []
            return [sys.executable, *flags, "-m", "awslambdaric", self.spec.handler]
        assert self.java is not None and self.java_bootstrap is not None
        return java_command(
            java=self.java,
            memory_mb=self.spec.memory_mb,
            bootstrap_dir=self.java_bootstrap,
            task_root=inst.task_root,
        )

    def _output_line(self, inst: Instance) -> Callable[[str], None]:
        def on_line(line: str) -> None:
            if inst.pending_lines is not None:
                inst.pending_lines.append(line)
            else:
                self.log.lines([line])

        return on_line
