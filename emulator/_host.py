"""Lambda's scheduling for one function: instances, cold starts, concurrency, keep-alive,
timeouts, crashes, and the CloudWatch lines of every invocation."""

from __future__ import annotations

import asyncio
import json
import math
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from stack.settings import ping_event

from ._cgroups import Cgroups
from ._errors import EmulatorError
from ._instance import Instance, Invocation, Outcome
from ._java import java_command
from ._logs import StackLog
from ._report_writer import billed_restore_ms, end_line, report_line, start_line
from ._runtime_api import RuntimeApi
from ._spec import LAMBDA_PAYLOAD_LIMIT_BYTES, SEBS_PERIOD_S, EmulatorOptions, FunctionSpec

#: fake credentials, so SDK-style signing code in a function has something to sign with
FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "AKIAEMULATOR00000000",
    "AWS_SECRET_ACCESS_KEY": "emulator-secret-key-not-checked-by-anything",
    "AWS_SESSION_TOKEN": "emulator-session-token",
}


class ConcurrencyPool:
    """Concurrency slots: one per request in flight (Lambda counts requests, not instances).

    The account's unreserved pool is shared by every function without reserved concurrency; a
    function with a reservation has a pool of its own, carved out of the account's.
    """

    def __init__(self, limit: int, *, name: str) -> None:
        self.limit = limit
        self.name = name
        self.in_flight = 0

    def take(self) -> bool:
        if self.in_flight >= self.limit:
            return False
        self.in_flight += 1
        return True

    def release(self) -> None:
        self.in_flight = max(0, self.in_flight - 1)


class FunctionHost:
    """The instances of one function and the rules that start, reuse and end them."""

    def __init__(
        self,
        spec: FunctionSpec,
        options: EmulatorOptions,
        *,
        pool: ConcurrencyPool,
        cgroups: Cgroups,
        log: StackLog,
        runtime_api: RuntimeApi,
        instances_dir: Path,
        java: str | None = None,
        java_bootstrap: Path | None = None,
        s3_endpoint: str | None = None,
    ) -> None:
        self.spec = spec
        self.options = options
        self.pool = pool
        self.cgroups = cgroups
        self.log = log
        self.runtime_api = runtime_api
        #: this emulator's scratch folder for instance directories (one folder per stack in it)
        self.instances_dir = instances_dir
        self.java = java
        self.java_bootstrap = java_bootstrap
        self.s3_endpoint = s3_endpoint
        self.instances: dict[str, Instance] = {}
        #: idle instances, most recently used last (reused first, so extras age out)
        self.idle: list[Instance] = []
        self.arn = f"arn:aws:lambda:{spec.region}:123456789012:function:{spec.name}"
        self._tasks: list[asyncio.Task[None]] = []
        self._closing = False
        self._exited: dict[str, asyncio.Event] = {}

    # ---- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        self._tasks.append(asyncio.create_task(self._reaper(), name=f"reaper-{self.spec.name}"))
        if self.spec.ping_interval_minutes:
            self._tasks.append(asyncio.create_task(self._pinger(), name=f"ping-{self.spec.name}"))
        if self.spec.snapstart:
            await self._publish_snapshot()
        if self.spec.provisioned_concurrency:
            starting = []
            for _ in range(min(self.spec.provisioned_concurrency, self.pool.limit)):
                inst = await self._spawn(provisioned=True, request_id=None)
                if inst is not None:
                    starting.append(inst)
            for inst in starting:
                assert inst.ready is not None
                try:
                    await asyncio.shield(inst.ready)
                except _InitFailed:
                    continue  # logged as init_failed; on-demand instances will take its place
                self._make_idle(inst)

    async def _publish_snapshot(self) -> None:
        """SnapStart's init when a version is published: run init once, report it, end it.

        Lambda would snapshot this environment's memory and restore every new one from it; the
        emulator cannot (docs/emulator.md), so each restore runs init again in a new process.
        What it keeps: init runs ahead of traffic and its failure shows before any request, init
        is reported in an INIT_REPORT line, and every instance then starts as a restore.
        """
        # Publishing a version runs no invocation, so it takes no concurrency slot.
        inst = await self._spawn(provisioned=False, request_id=None, snapshot=True)
        if inst is None:
            return
        assert inst.ready is not None
        try:
            await asyncio.shield(inst.ready)
        except _InitFailed:
            return  # logged as init_failed; each restore will fail its init the same way
        init_ms = inst.init_duration_ms or 0.0
        self.log.lines([f"INIT_REPORT Init Duration: {init_ms:.2f} ms\tPhase: init\tStatus: success"])
        self._end(inst, "snapshot taken")

    async def close(self) -> None:
        self._closing = True
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            try:
                await task
            except asyncio.CancelledError:
                pass
        waits = []
        for inst in list(self.instances.values()):
            waits.append(self._exited[inst.id].wait())
            self._end(inst, "shutdown")
        if waits:
            await asyncio.wait_for(asyncio.gather(*waits), timeout=10)

    # ---- invoking ----------------------------------------------------------------------------

    async def invoke(self, payload: bytes, request_id: str | None = None) -> Outcome:
        """Run one invocation: reuse an idle instance, or cold-start one, or throttle.

        A concurrency slot is held from here until the invocation ends, whether an instance
        was idle or not: idle instances hold none.
        """
        request_id = request_id or str(uuid.uuid4())
        if len(payload) > LAMBDA_PAYLOAD_LIMIT_BYTES:
            return Outcome("too_large", request_id, error_type="RequestTooLargeException")
        if self._closing or not self.pool.take():
            self.log.event("throttled", request_id=request_id, pool=self.pool.name,
                           in_flight=self.pool.in_flight, limit=self.pool.limit,
                           instances=len(self.instances))
            return Outcome("throttled", request_id, error_type="TooManyRequestsException")
        try:
            return await self._invoke(payload, request_id)
        finally:
            self.pool.release()

    async def _invoke(self, payload: bytes, request_id: str) -> Outcome:
        inst = self._take_idle()
        if inst is None:
            inst = await self._spawn(provisioned=False, request_id=request_id)
            if inst is None:
                return Outcome("init_error", request_id, error_type="Runtime.Unknown")
            assert inst.ready is not None
            try:
                await asyncio.shield(inst.ready)
            except _InitFailed as exc:
                return Outcome("init_error", request_id, error_type=exc.error_type,
                               payload=exc.payload, instance_id=inst.id,
                               cold_start=inst.init_type == "on-demand")
            inst.state = "busy"
        loop = asyncio.get_running_loop()
        inv = Invocation(
            request_id=request_id,
            payload=payload,
            done=loop.create_future(),
            trace_id=f"Root=1-{int(time.time()):08x}-{os.urandom(12).hex()};Sampled=0",
            cold_start=inst.served == 0 and inst.init_type == "on-demand",
            restore=inst.served == 0 and inst.init_type == "snap-start",
        )
        inv.timer = loop.call_later(self.spec.timeout_s, self._timed_out, inst, inv)
        inst.current = inv
        if inst.waiting_next is not None and not inst.waiting_next.done():
            waiter, inst.waiting_next = inst.waiting_next, None
            waiter.set_result(inv)
        else:
            inst.mailbox = inv
        return await inv.done

    def _take_idle(self) -> Instance | None:
        while self.idle:
            inst = self.idle.pop()
            if inst.state == "idle":
                inst.state = "busy"
                return inst
        return None

    def _make_idle(self, inst: Instance) -> None:
        if inst.state == "dead":
            return
        inst.state = "idle"
        inst.idle_since_s = time.monotonic()
        self.idle.append(inst)

    # ---- the Runtime API side ------------------------------------------------------------------

    def next_requested(self, inst: Instance, loop: asyncio.AbstractEventLoop) -> asyncio.Future[Invocation | None]:
        """A ``next`` long poll: the first one ends init; it is answered with the next invocation."""
        if inst.init_duration_ms is None:
            now_s = time.perf_counter()
            inst.init_duration_ms = (now_s - inst.spawned_s) * 1000.0
            restored_s = inst.extra.get("restored_s")
            if isinstance(restored_s, float):
                inst.extra["after_restore_ms"] = (now_s - restored_s) * 1000.0
            self.log.event("ready", instance=inst.id, pid=inst.pid,
                           init_ms=round(inst.init_duration_ms, 2), init_type=inst.init_type,
                           request_id=inst.extra.get("cold_request_id"))
            timer = inst.extra.pop("init_timer", None)
            if isinstance(timer, asyncio.TimerHandle):
                timer.cancel()
            if inst.ready is not None and not inst.ready.done():
                inst.ready.set_result(None)
        fut: asyncio.Future[Invocation | None] = loop.create_future()
        if inst.state == "dead":
            fut.set_result(None)
        elif inst.mailbox is not None:
            inv, inst.mailbox = inst.mailbox, None
            fut.set_result(inv)
        else:
            inst.waiting_next = fut
        return fut

    async def restore_requested(self, inst: Instance) -> bool:
        """SnapStart's ``restore/next``: init is done and Lambda would snapshot here.

        The publish instance has done its work (its init is what the snapshot would hold): it is
        held until it is ended. Any other instance is a restore and is answered at once; from
        here to its first ``next`` is its after-restore part, the part AWS bills.
        """
        if inst.extra.get("snapshot"):
            if inst.init_duration_ms is None:
                inst.init_duration_ms = (time.perf_counter() - inst.spawned_s) * 1000.0
            held: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            inst.extra["held"] = held
            if inst.ready is not None and not inst.ready.done():
                inst.ready.set_result(None)
            await held
            return False
        inst.extra["restored_s"] = time.perf_counter()
        return inst.state != "dead"

    def handed_off(self, inst: Instance, inv: Invocation) -> dict[str, str]:
        """The runtime now has the invocation: its clock starts; these are the next headers."""
        inv.started_s = time.perf_counter()
        inv.deadline_ms = int(time.time() * 1000 + self.spec.timeout_s * 1000)
        inst.drain_output()
        self.log.lines([start_line(inv.request_id)])
        return {
            "Lambda-Runtime-Aws-Request-Id": inv.request_id,
            "Lambda-Runtime-Deadline-Ms": str(inv.deadline_ms),
            "Lambda-Runtime-Invoked-Function-Arn": self.arn,
            "Lambda-Runtime-Trace-Id": inv.trace_id,
            "Content-Type": "application/json",
        }

    def result_posted(self, inst: Instance, request_id: str, body: bytes, *, error_type: str | None) -> int:
        """``/response`` or ``/error`` from the runtime; returns the status to answer it with."""
        inv = inst.current
        if inv is None or inv.request_id != request_id:
            return 400
        if error_type is None and len(body) > LAMBDA_PAYLOAD_LIMIT_BYTES:
            self._finish(inst, inv, Outcome("function_error", request_id,
                                            error_type="Function.ResponseSizeTooLarge",
                                            instance_id=inst.id, cold_start=inv.cold_start))
            return 413
        kind = "ok" if error_type is None else "function_error"
        self._finish(inst, inv, Outcome(kind, request_id, payload=body, error_type=error_type,
                                        instance_id=inst.id, cold_start=inv.cold_start))
        return 202

    def init_error_posted(self, inst: Instance, body: bytes, error_type: str) -> None:
        inst.init_error = (error_type, body)

    # ---- ending invocations and instances ------------------------------------------------------

    def _finish(self, inst: Instance, inv: Invocation, outcome: Outcome, *, status: str | None = None) -> None:
        if inv.timer is not None:
            inv.timer.cancel()
        if inst.current is inv:
            inst.current = None
        duration_ms = (time.perf_counter() - inv.started_s) * 1000.0 if inv.started_s else 0.0
        inst.served += 1
        if status is None:
            self._make_idle(inst)
        if not inv.done.done():
            inv.done.set_result(outcome)
        # Logged after the client's response is on its way: the REPORT is not on the hot path.
        asyncio.get_running_loop().call_soon(
            self._log_invocation, inst, inv, duration_ms, status, outcome.error_type
        )

    def _log_invocation(self, inst: Instance, inv: Invocation, duration_ms: float,
                        status: str | None, error_type: str | None) -> None:
        inst.drain_output()
        memory_mb = inst.max_memory_used_mb()
        inst.extra["last_memory_mb"] = memory_mb
        lines = inst.extra.pop("pending_lines", [])
        assert isinstance(lines, list)
        lines.append(end_line(inv.request_id))
        lines.append(report_line(
            request_id=inv.request_id,
            duration_ms=duration_ms,
            memory_size_mb=self.spec.memory_mb,
            max_memory_used_mb=memory_mb,
            init_duration_ms=inst.init_duration_ms if inv.cold_start else None,
            restore_duration_ms=inst.init_duration_ms if inv.restore else None,
            billed_restore_duration_ms=_billed_restore_ms(inst) if inv.restore else None,
            status=status,
            error_type=error_type if status == "error" else None,
        ))
        self.log.lines(lines)

    def _timed_out(self, inst: Instance, inv: Invocation) -> None:
        if inst.current is not inv:
            return
        inst.drain_output()
        inst.extra["last_memory_mb"] = inst.max_memory_used_mb()
        stamp = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        inst.extra["pending_lines"] = [
            f"{stamp} {inv.request_id} Task timed out after {self.spec.timeout_s:.2f} seconds"
        ]
        self.log.event("timed_out", instance=inst.id, pid=inst.pid, request_id=inv.request_id,
                       reason=f"function timeout {self.spec.timeout_s:g} s")
        self._finish(inst, inv, Outcome("timeout", inv.request_id, error_type="Sandbox.Timedout",
                                        instance_id=inst.id, cold_start=inv.cold_start),
                     status="timeout")
        self._end(inst, "timed_out")

    def _end(self, inst: Instance, reason: str) -> None:
        """Kill an instance on purpose (reclaimed, timed out, init failed, shutdown)."""
        if inst.state == "dead":
            inst.kill()
            return
        inst.state = "dead"
        inst.kill_reason = inst.kill_reason or reason
        if inst in self.idle:
            self.idle.remove(inst)
        inst.kill()

    def instance_exited(self, inst: Instance) -> None:
        """The process is gone: answer what it was doing, free its slot, clean up."""
        was = inst.state
        inst.state = "dead"
        if inst in self.idle:
            self.idle.remove(inst)
        code = inst.exit_code
        reason = inst.kill_reason
        oom = inst.cgroup.oom_killed() if inst.cgroup is not None else False
        if inst.waiting_next is not None and not inst.waiting_next.done():
            inst.waiting_next.set_result(None)
        held = inst.extra.pop("held", None)
        if isinstance(held, asyncio.Future) and not held.done():
            held.set_result(None)
        if inst.ready is not None and not inst.ready.done():
            # Died (or was killed) during init: the request that started it gets an init error.
            error_type, body = inst.init_error or (
                ("Runtime.OutOfMemory" if oom else "Runtime.ExitError"), b""
            )
            if reason == "init_timeout":
                error_type = "Sandbox.Timedout"
            init_ms = (time.perf_counter() - inst.spawned_s) * 1000.0
            status = "timeout" if reason == "init_timeout" else "error"
            self.log.lines([
                f"INIT_REPORT Init Duration: {init_ms:.2f} ms\tPhase: init\tStatus: {status}"
                + ("" if status == "timeout" else f"\tError Type: {error_type}")
            ])
            self.log.event("init_failed", instance=inst.id, pid=inst.pid, exit_code=code,
                           error_type=error_type, reason=reason or f"exited with {code} during init",
                           request_id=inst.extra.get("cold_request_id"))
            inst.ready.set_exception(_InitFailed(error_type, body))
            inst.ready.exception()  # retrieved here so an unawaited one is not reported
        elif inst.current is not None:
            inv = inst.current
            error_type = "Runtime.OutOfMemory" if oom else "Runtime.ExitError"
            how = f"signal: {-code}" if code is not None and code < 0 else f"exit status {code}"
            inst.extra["pending_lines"] = [
                f"RequestId: {inv.request_id} Error: Runtime exited with error: {how}",
                error_type,
            ]
            self.log.event("crashed", instance=inst.id, pid=inst.pid, exit_code=code,
                           request_id=inv.request_id, reason=f"runtime exited mid-request ({how})",
                           error_type=error_type)
            self._finish(inst, inv, Outcome("crash", inv.request_id, error_type=error_type,
                                            instance_id=inst.id, cold_start=inv.cold_start),
                         status="error")
        elif reason is None:
            self.log.event("crashed", instance=inst.id, pid=inst.pid, exit_code=code,
                           reason=f"runtime exited while {was}")
        self.log.event("stopped", instance=inst.id, pid=inst.pid, exit_code=code,
                       reason=reason or "exited", served=inst.served)
        self.instances.pop(inst.id, None)
        self.runtime_api.unregister(inst)
        inst.cleanup()
        event = self._exited.pop(inst.id, None)
        if event is not None:
            event.set()

    # ---- starting instances ---------------------------------------------------------------------

    async def _spawn(self, *, provisioned: bool, request_id: str | None,
                     snapshot: bool = False) -> Instance | None:
        """Start an instance; ``snapshot``: SnapStart's one init at publish (it serves nothing)."""
        inst_id = uuid.uuid4().hex[:12]
        if provisioned:
            init_type, reason = "provisioned-concurrency", "provisioned"
        elif self.spec.snapstart:
            init_type, reason = "snap-start", ("snapshot" if snapshot else "restore")
        else:
            init_type, reason = "on-demand", "cold start"
        workdir = self.instances_dir / self.spec.name / inst_id
        inst = Instance(
            id=inst_id,
            stack=self.spec.name,
            workdir=workdir,
            task_root=workdir / "task",
            opt_dir=workdir / "opt",
            tmp_dir=workdir / "tmp",
            provisioned=provisioned,
            init_type=init_type,
        )
        loop = asyncio.get_running_loop()
        inst.ready = loop.create_future()
        inst.extra["cold_request_id"] = request_id
        if snapshot:
            inst.extra["snapshot"] = True
        self.instances[inst_id] = inst
        self._exited[inst_id] = asyncio.Event()
        try:
            inst.unpack(self.spec.code_zip, self.spec.layer_zip)
            inst.cgroup = self.cgroups.create(f"{self.spec.name}-{inst_id}", self.spec.memory_mb)
            inst.port = await self.runtime_api.register(self, inst)
            argv = self._command(inst)
            env = self._environment(inst)
            inst.spawn(argv, env, on_line=self._output_line(inst), on_exit=self.instance_exited)
        except (OSError, subprocess.SubprocessError, EmulatorError) as exc:
            self.log.event("init_failed", instance=inst_id, reason=f"could not start: {exc}",
                           request_id=request_id)
            self.instances.pop(inst_id, None)
            self._exited.pop(inst_id, None)
            self.runtime_api.unregister(inst)
            inst.cleanup()
            return None
        self.log.event("started", instance=inst_id, pid=inst.pid, request_id=request_id,
                       reason=reason,
                       cpu_limited=inst.cgroup is not None)
        inst.extra["init_timer"] = loop.call_later(self.options.init_timeout_s, self._init_timed_out, inst)
        return inst

    def _init_timed_out(self, inst: Instance) -> None:
        if inst.ready is not None and not inst.ready.done():
            inst.kill_reason = "init_timeout"
            self._end(inst, "init_timeout")

    def _output_line(self, inst: Instance) -> Callable[[str], None]:
        def on_line(line: str) -> None:
            pending = inst.extra.get("pending_lines")
            if isinstance(pending, list):
                pending.append(line)
            else:
                self.log.lines([line])

        return on_line

    def _command(self, inst: Instance) -> list[str]:
        if self.spec.language == "python":
            return [sys.executable, "-m", "awslambdaric", self.spec.handler]
        assert self.java is not None and self.java_bootstrap is not None
        return java_command(java=self.java, memory_mb=self.spec.memory_mb,
                            bootstrap_dir=self.java_bootstrap, task_root=inst.task_root)

    def _environment(self, inst: Instance) -> dict[str, str]:
        spec = self.spec
        day = datetime.now(UTC).strftime("%Y/%m/%d")
        env = {
            "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
            "LANG": "en_US.UTF-8",
            "TZ": ":UTC",
            "TMPDIR": str(inst.tmp_dir),
            "AWS_LAMBDA_RUNTIME_API": f"127.0.0.1:{inst.port}",
            "AWS_LAMBDA_FUNCTION_NAME": spec.name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_mb),
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{spec.name}",
            "AWS_LAMBDA_LOG_STREAM_NAME": f"{day}/[$LATEST]{inst.id}",
            "AWS_LAMBDA_INITIALIZATION_TYPE": inst.init_type,
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{spec.runtime}",
            "AWS_REGION": spec.region,
            "AWS_DEFAULT_REGION": spec.region,
            "LAMBDA_TASK_ROOT": str(inst.task_root),
            "_HANDLER": spec.handler,
            **FAKE_CREDENTIALS,
        }
        if inst.init_type == "snap-start":
            # AWS: these two are not available in SnapStart functions (one snapshot, many streams).
            del env["AWS_LAMBDA_LOG_GROUP_NAME"], env["AWS_LAMBDA_LOG_STREAM_NAME"]
        if spec.language == "python":
            env["PYTHONPATH"] = str(inst.task_root)
            # The task root is read-only on Lambda: no bytecode is cached there between starts.
            env["PYTHONDONTWRITEBYTECODE"] = "1"
        if self.s3_endpoint is not None and spec.s3_objects:
            env["MODEL_S3_ENDPOINT"] = self.s3_endpoint
        for name, value in spec.environment.items():
            env[name] = self._map_path(inst, value)
        return env

    @staticmethod
    def _map_path(inst: Instance, value: str) -> str:
        # Lambda's fixed paths (/opt for layers, /var/task, /tmp) are this instance's directories.
        for prefix, local in (("/opt", inst.opt_dir), ("/var/task", inst.task_root), ("/tmp", inst.tmp_dir)):
            if value == prefix or value.startswith(prefix + "/"):
                return str(local) + value[len(prefix):]
        return value

    # ---- keep-alive and ping ---------------------------------------------------------------------

    async def _reaper(self) -> None:
        scale = self.options.time_scale
        if self.options.idle_policy == "fixed":
            keep_alive_real_s = self.options.keep_alive_s / scale
            tick_s = min(1.0, max(0.02, keep_alive_real_s / 20))
            while True:
                await asyncio.sleep(tick_s)
                now = time.monotonic()
                for inst in list(self.idle):
                    idle_real_s = now - inst.idle_since_s
                    if not inst.provisioned and inst.state == "idle" and idle_real_s >= keep_alive_real_s:
                        self._reclaim(inst, idle_real_s, f"idle {idle_real_s * scale:.1f} s >= keep-alive {self.options.keep_alive_s:g} s")
        else:
            period_real_s = SEBS_PERIOD_S / scale
            while True:
                await asyncio.sleep(period_real_s)
                now = time.monotonic()
                candidates = sorted(
                    (i for i in self.idle if i.state == "idle" and not i.provisioned),
                    key=lambda i: i.idle_since_s,
                )
                for inst in candidates[: math.ceil(len(candidates) / 2)]:
                    idle_real_s = now - inst.idle_since_s
                    self._reclaim(inst, idle_real_s, f"sebs: half of {len(candidates)} idle reclaimed")

    def _reclaim(self, inst: Instance, idle_real_s: float, reason: str) -> None:
        self.log.event("reclaimed", instance=inst.id, pid=inst.pid, reason=reason,
                       idle_s=round(idle_real_s * self.options.time_scale, 3),
                       idle_real_s=round(idle_real_s, 3), served=inst.served)
        self._end(inst, "reclaimed")

    def reclaim_idle(self) -> int:
        """Reclaim every idle instance now (benchmarks use it to force the next cold start)."""
        count = 0
        for inst in list(self.idle):
            if inst.state == "idle":
                self._reclaim(inst, time.monotonic() - inst.idle_since_s, "reclaimed on request")
                count += 1
        return count

    async def wait_gone(self) -> None:
        """Wait until every ended instance has exited and been cleaned up."""
        waits = [self._exited[i].wait() for i, inst in self.instances.items() if inst.state == "dead" and i in self._exited]
        if waits:
            await asyncio.gather(*waits)

    async def _pinger(self) -> None:
        assert self.spec.ping_interval_minutes is not None
        period_real_s = self.spec.ping_interval_minutes * 60.0 / self.options.time_scale
        while True:
            await asyncio.sleep(period_real_s)
            # The very event the stack's EventBridge rule sends on AWS (stack.settings.ping_event).
            outcome = await self.invoke(json.dumps(ping_event(), ensure_ascii=False).encode())
            self.log.event("ping", request_id=outcome.request_id, outcome=outcome.kind,
                           status=_proxy_status(outcome))


def _proxy_status(outcome: Outcome) -> int | None:
    """The HTTP status a function's proxy result carries (None when it has none)."""
    if outcome.kind != "ok":
        return None
    try:
        result = json.loads(outcome.payload)
    except ValueError:
        return None
    status = result.get("statusCode") if isinstance(result, dict) else None
    return status if isinstance(status, int) else None


def _billed_restore_ms(inst: Instance) -> int:
    """AWS bills a restore's after-restore part (runtime load, after-restore hooks): here, from
    ``restore/next`` answered to the first ``next``; the whole start for a runtime that never
    asked ``restore/next``."""
    after = inst.extra.get("after_restore_ms")
    return billed_restore_ms(after if isinstance(after, float) else inst.init_duration_ms or 0.0)


class _InitFailed(Exception):
    def __init__(self, error_type: str, payload: bytes) -> None:
        super().__init__(error_type)
        self.error_type = error_type
        self.payload = payload
