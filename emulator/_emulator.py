"""The emulator: every model stack's front door, the Lambda Invoke API (every function; the
load generator's workers have nothing else), the Runtime API, the local S3 endpoints, one event
loop."""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import socket
import uuid
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

from aiohttp import web

from ._buckets import LocalBuckets
from ._errors import EmulatorConfigError, EmulatorStartError
from ._spec import EmulatorOptions, FunctionSpec, S3Object
from .gateway._frontdoor import FrontDoor
from .gateway._sigv4 import DEFAULT_CREDENTIALS, StaticCredentials, role_credentials
from .instance._cgroups import Cgroups, InstanceCgroup
from .instance._java import bootstrap_classes, find_java
from .instance._launch import Launcher
from .instance._memory import MemoryLimit, memory_limit
from .instance._package_trees import PackageTrees, read_only_mode, remove_tree
from .instance._pyruntime import framework_dir, package_dependencies_dir, runtime_dir
from .instance._runtime_api import RuntimeApi
from .lambda_service._concurrency import concurrency_pools
from .lambda_service._host import FunctionHost
from .lambda_service._lambda_api import LambdaApi
from .logs._logs import StackLog
from .logs._samples import Sampler

log = logging.getLogger("emulator")


class _S3Endpoint:
    """A path-style GET-only S3 stand-in serving the artifacts of ``s3`` stacks.

    Signatures are not checked: the function signs with the fake credentials the emulator
    gives it, and nothing here could verify them.
    """

    def __init__(self, objects: Sequence[S3Object]) -> None:
        self.objects = {(o.bucket, o.key): Path(o.path) for o in objects}
        app = web.Application()
        app.router.add_route("GET", "/{bucket}/{key:.+}", self._get)
        app.router.add_route("HEAD", "/{bucket}/{key:.+}", self._get)
        self._runner = web.AppRunner(
            app, access_log=None, handle_signals=False, shutdown_timeout=0.5
        )
        self.url = ""

    async def start(self) -> None:
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        site = web.SockSite(self._runner, sock)
        await site.start()
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}"

    async def close(self) -> None:
        await self._runner.cleanup()

    async def _get(self, request: web.Request) -> web.StreamResponse:
        path = self.objects.get((request.match_info["bucket"], request.match_info["key"]))
        if path is None or not path.is_file():
            body = (
                '<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchKey</Code>'
                "<Message>The specified key does not exist.</Message></Error>"
            )
            return web.Response(status=404, text=body, content_type="application/xml")
        return web.FileResponse(path)


#: this emulator's instance folders live in ``<work_dir>/instances/emulator-<pid>-<tag>``
_SCRATCH_PREFIX = "emulator-"


def remove_stale_scratch(instances_root: Path) -> list[Path]:
    """Remove the instance folders of emulators that are gone (killed outright, say); returns them.

    A folder is another emulator's until its process is gone: only folders whose pid no
    longer runs are removed, so a live emulator sharing the work dir keeps its instances.
    """
    removed: list[Path] = []
    if not instances_root.is_dir():
        return removed
    for folder in instances_root.glob(f"{_SCRATCH_PREFIX}*"):
        pid = folder.name[len(_SCRATCH_PREFIX) :].split("-", 1)[0]
        if not pid.isdigit() or int(pid) == os.getpid() or Path(f"/proc/{pid}").exists():
            continue
        remove_tree(folder)
        removed.append(folder)
    return removed


def _pids_of(host: FunctionHost) -> list[int]:
    return [inst.pid for inst in list(host.instances.values()) if inst.pid]


def _requests_of(door: FrontDoor) -> int:
    return door.requests


def _invocations_of(api: LambdaApi, name: str) -> int:
    return api.invocations.get(name, 0)


def _cgroups_of(host: FunctionHost) -> list[InstanceCgroup]:
    return [inst.cgroup for inst in list(host.instances.values()) if inst.cgroup is not None]


class Emulator:
    """Hosts functions behind local HTTP APIs with Lambda's semantics.

    Use as ``async with Emulator(specs, options) as emu: emu.urls[name]``.
    """

    def __init__(
        self, specs: Sequence[FunctionSpec], options: EmulatorOptions | None = None
    ) -> None:
        names = [s.name for s in specs]
        if len(set(names)) != len(names):
            raise EmulatorConfigError(f"stack names must be unique, got {names}")
        if not specs:
            raise EmulatorConfigError("nothing to host: pass at least one function spec")
        self.specs = list(specs)
        self.options = options or EmulatorOptions()
        self._pools = concurrency_pools(self.specs, self.options.account_concurrency)
        self.hosts: dict[str, FunctionHost] = {}
        self.front_doors: dict[str, FrontDoor] = {}
        self.logs: dict[str, StackLog] = {}
        self.cgroups: Cgroups | None = None
        self._runtime_api = RuntimeApi()
        self._s3: _S3Endpoint | None = None
        #: moto's S3, when a function names buckets (the load generator's worker stack)
        self.buckets: LocalBuckets | None = None
        #: the execution role's credentials of each function that signs its own requests (one
        #: with buckets, or allowed to invoke other stacks' APIs: a worker stack), new for each
        #: emulator; its instances get them instead of the fake keys the others get
        self.role_credentials: dict[str, StaticCredentials] = {
            s.name: role_credentials(s.name)
            for s in self.specs
            if s.buckets or s.invoke_targets or s.kind == "loadgen-worker"
        }
        self.lambda_api = LambdaApi(
            self.hosts,
            credentials=self.options.credentials,
            roles=self.role_credentials,
            body_timeout_s=self.options.connection_timeout_s,
        )
        #: per-stack CPU samples and access logs beside the stacks' logs (docs/results.md)
        self.sampler = Sampler(self.options.log_dir)
        self._started = False
        #: what Python instances see besides their package (``_pyruntime``), once started
        self.python_runtime_dir: Path | None = None
        self.dependency_dirs: dict[str, Path] = {}
        # Several emulators may share a work dir (and, in tests, a process): the tag keeps their
        # folders apart.
        tag = f"{_SCRATCH_PREFIX}{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.instances_dir = self.options.work_dir / "instances" / tag

    @property
    def urls(self) -> dict[str, str]:
        """The HTTP API of each model stack (a worker stack has none)."""
        return {name: door.url for name, door in self.front_doors.items()}

    @property
    def lambda_url(self) -> str:
        """The Lambda Invoke API serving every function (boto3's ``endpoint_url``)."""
        return self.lambda_api.url

    @property
    def buckets_url(self) -> str | None:
        """moto's S3 holding the functions' buckets; None when no function names one."""
        return self.buckets.url if self.buckets is not None else None

    @property
    def cpu_limited(self) -> bool:
        return self.cgroups is not None and self.cgroups.support.limited

    @property
    def cpu_limit_reason(self) -> str:
        return self.cgroups.support.reason if self.cgroups is not None else "not started"

    @property
    def memory_limit(self) -> MemoryLimit:
        """How the instances' memory size is enforced: their cgroup, or the watchdog."""
        return memory_limit(cgroup_limited=self.cpu_limited, reason=self.cpu_limit_reason)

    async def __aenter__(self) -> Emulator:  # noqa: PYI034
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    async def start(self) -> None:
        try:
            await self._start()
        except BaseException:
            await self.stop()
            raise

    async def _start(self) -> None:
        opts = self.options
        opts.work_dir.mkdir(parents=True, exist_ok=True)
        java = bootstrap = None
        if any(s.language == "java" for s in self.specs):
            java = find_java()
            bootstrap = bootstrap_classes(opts.work_dir)
        self._started = True
        remove_stale_scratch(opts.work_dir / "instances")
        self.instances_dir.mkdir(parents=True, exist_ok=True)
        packages = PackageTrees(self.instances_dir, read_only=read_only_mode(self.instances_dir))
        python_runtime = None
        dependencies: dict[str, Path] = {}
        env_dir = opts.python_env_dir or opts.work_dir / "python-runtime"
        if any(s.language == "python" for s in self.specs):
            # Built once per set of versions (copies: seconds the first time, TensorFlow longer).
            python_runtime = await asyncio.to_thread(runtime_dir, env_dir)
        for spec in self.specs:
            if spec.dependencies_dir is not None:
                dependencies[spec.name] = Path(spec.dependencies_dir)
            elif spec.language == "python" and spec.host_distributions:
                dependencies[spec.name] = await asyncio.to_thread(
                    package_dependencies_dir,
                    env_dir,
                    f"package-{spec.name}",
                    spec.host_distributions,
                )
            elif spec.language == "python" and spec.model_runtime != "artifact":
                # One copy per stack: pages one stack's live instance maps (TensorFlow's
                # libraries) would otherwise come uncharged to another stack's new instance.
                dependencies[spec.name] = await asyncio.to_thread(
                    framework_dir, env_dir / "stacks" / spec.name, spec.model_runtime
                )
        self.python_runtime_dir, self.dependency_dirs = python_runtime, dependencies
        self.cgroups = Cgroups(opts.cgroup_root, enabled=opts.cpu_limits)
        if not self.cgroups.support.limited:
            log.warning(
                "instances run without CPU limits and with the memory watchdog: %s",
                self.cgroups.support.reason,
            )
        await self._runtime_api.start()
        s3_objects = [o for s in self.specs for o in s.s3_objects]
        if s3_objects:
            self._s3 = _S3Endpoint(s3_objects)
            await self._s3.start()
        buckets = [b for s in self.specs for b in s.buckets]
        credentials = opts.credentials or DEFAULT_CREDENTIALS
        if buckets:
            self.buckets = LocalBuckets(
                buckets,
                credentials=credentials,
                region=next(s.region for s in self.specs if s.buckets),
            )
            await self.buckets.start()
        await self.lambda_api.start()
        for index, spec in enumerate(self.specs):
            stack_log = StackLog(opts.log_dir, spec.name)
            self.logs[spec.name] = stack_log
            stack_log.event(
                "emulator_started",
                cpu_limited=self.cpu_limited,
                cpu_limit_reason=self.cpu_limit_reason,
                memory_limit=self.memory_limit.mode,
                memory_mb=spec.memory_mb,
                time_scale=opts.time_scale,
                keep_alive_s=opts.keep_alive_s,
                idle_policy=opts.idle_policy,
                init_cpu=opts.init_cpu,
            )
            host = FunctionHost(
                spec,
                opts,
                pool=self._pools[spec.name],
                log=stack_log,
                launcher=Launcher(
                    spec=spec,
                    cgroups=self.cgroups,
                    runtime_api=self._runtime_api,
                    log=stack_log,
                    instances_dir=self.instances_dir,
                    packages=packages,
                    java=java,
                    java_bootstrap=bootstrap,
                    s3_endpoint=self._s3.url if self._s3 is not None else None,
                    python_runtime=python_runtime,
                    dependencies=dependencies.get(spec.name),
                    init_burst=opts.init_cpu == "burst",
                    buckets_endpoint=self.buckets_url,
                    credentials=self.role_credentials.get(spec.name),
                ),
            )
            self.hosts[spec.name] = host
            if spec.kind == "loadgen-worker":
                # No HTTP API: the Lambda API invokes it, and counts its invocations.
                self.sampler.add_stack(
                    spec.name,
                    requests=functools.partial(_invocations_of, self.lambda_api, spec.name),
                    cgroups=functools.partial(_cgroups_of, host),
                    pids=functools.partial(_pids_of, host),
                )
                continue
            door = FrontDoor(
                host,
                integration_timeout_s=opts.integration_timeout_s,
                connection_timeout_s=opts.connection_timeout_s,
                credentials=opts.credentials,
                admitted=[
                    creds
                    for name, creds in self.role_credentials.items()
                    if spec.name in self._spec(name).invoke_targets
                ],
                denied=[
                    creds
                    for name, creds in self.role_credentials.items()
                    if spec.name not in self._spec(name).invoke_targets
                ],
                network_delay_ms=opts.network_delay_ms,
            )
            door.access_log = self.sampler.add_stack(
                spec.name,
                requests=functools.partial(_requests_of, door),
                cgroups=functools.partial(_cgroups_of, host),
                pids=functools.partial(_pids_of, host),
            )
            port = opts.port_base + index if opts.port_base else 0
            try:
                await door.start(port)
            except OSError as exc:
                raise EmulatorStartError(
                    f"cannot listen on 127.0.0.1:{port} for stack {spec.name}: {exc.strerror}; "
                    "pick another --port-base or stop what uses the port"
                ) from None
            self.front_doors[spec.name] = door
        self.sampler.start()
        for host in self.hosts.values():
            await host.start()

    async def stop(self) -> None:
        """Stop serving, kill every instance's process group, remove cgroups and scratch dirs."""
        if not self._started:
            return
        self._started = False
        for door in self.front_doors.values():
            await door.close()
        await self.lambda_api.close()
        for host in self.hosts.values():
            await host.close()
        await self.sampler.close()
        await self._runtime_api.close()
        if self._s3 is not None:
            await self._s3.close()
        if self.buckets is not None:
            await self.buckets.close()
        if self.cgroups is not None:
            self.cgroups.close()
        remove_tree(self.instances_dir)
        for stack_log in self.logs.values():
            stack_log.event("emulator_stopped")
            stack_log.close()

    def _spec(self, name: str) -> FunctionSpec:
        return next(s for s in self.specs if s.name == name)

    def concurrency_limit(self, stack: str) -> int:
        """The most invocations of ``stack`` in flight at once: its reserved concurrency, or
        what is left of the account concurrency for the functions without one (shared)."""
        return self._pools[stack].limit

    def reclaim_idle(self, stack: str | None = None) -> int:
        """Reclaim idle instances now (of one stack, or all); returns how many."""
        hosts = [self.hosts[stack]] if stack is not None else list(self.hosts.values())
        return sum(h.reclaim_idle() for h in hosts)

    async def wait_gone(self) -> None:
        await asyncio.gather(*(h.wait_gone() for h in self.hosts.values()))
