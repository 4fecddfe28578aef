"""Lambda's scheduling for one function: which instance serves an invocation (an idle one, a cold
start, or none: throttled), provisioned and SnapStart starts, timeouts, crashes, ending instances.

Starting a process is the launcher's (``_launch``) and logging it ``_instance_start``'s;
reclaiming idle instances is decided by the keep-alive policy (``_keepalive``) each tick of
``_reaper``, and the platform's log lines are written by ``_platform_log``; starts ahead of traffic
are ``_prestart``'s, an invocation's start ``_invocation_start``'s and its end
``_invocation_end``'s, the end of an init ``_instance_init``'s, what an instance's exit means
``_instance_exit``'s, retiring a replaced configuration's instances ``_retirement``'s, and the
memory watchdog (no memory cgroup) ``_memory_watchdog``'s.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
import uuid

from contract import PAYLOAD_LIMIT_BYTES

from .._spec import EmulatorOptions, FunctionSpec
from ..instance._instance import InitType, Instance, InstanceState, Invocation, Outcome
from ..instance._launch import Launcher
from ..logs._logs import StackLog
from ._concurrency import ConcurrencyPool
from ._instance_exit import InitFailed, exit_outcome, out_of_memory, release_waiters
from ._instance_init import end_init, hold_snapshot
from ._instance_start import start_instance
from ._invocation_end import closing_report, posted_outcome, timed_out_outcome
from ._invocation_start import new_invocation, next_headers, start_clock
from ._memory_watchdog import watch_memory
from ._ping import ping_forever
from ._prestart import provision, publish_snapshot
from ._reaper import log_reclaimed, reap_forever
from ._retirement import retire

_IDLE, _BUSY, _DEAD = InstanceState.IDLE, InstanceState.BUSY, InstanceState.DEAD


class FunctionHost:
    """The instances of one function and the rules that start, reuse and end them.

    It is the ``InstanceHost`` its instances' Runtime API endpoints report to.
    """

    def __init__(
        self,
        spec: FunctionSpec,
        options: EmulatorOptions,
        *,
        pool: ConcurrencyPool,
        log: StackLog,
        launcher: Launcher,
    ) -> None:
        self.spec = spec
        self.options = options
        self.pool = pool
        self.log = log
        self.launcher = launcher
        self.instances: dict[str, Instance] = {}
        #: idle instances, most recently used last (reused first, so extras age out)
        self.idle: list[Instance] = []
        self.arn = f"arn:aws:lambda:{spec.region}:123456789012:function:{spec.name}"
        self._tasks: list[asyncio.Task[None]] = []
        self._closing = False
        self._exited: dict[str, asyncio.Event] = {}
        #: busy instances of a configuration since replaced: ended when their invocation is over
        self._retired: set[str] = set()

    async def start(self) -> None:
        reaper = reap_forever(self.options, self.idle, self._reclaim)
        self._tasks.append(asyncio.create_task(reaper, name=f"reaper-{self.spec.name}"))
        if not self.launcher.cgroups.support.limited:
            watchdog = watch_memory(self.instances, self.log, lambda: self.spec.memory_mb)
            self._tasks.append(asyncio.create_task(watchdog, name=f"memory-{self.spec.name}"))
        if self.spec.ping_interval_minutes:
            period_real_s = self.spec.ping_interval_minutes * 60.0 / self.options.time_scale
            pings = ping_forever(self.invoke, self.log, period_real_s=period_real_s)
            self._tasks.append(asyncio.create_task(pings, name=f"ping-{self.spec.name}"))
        if self.spec.snapstart:
            await publish_snapshot(
                self._spawn, self._end, self.log, log_format=self.spec.log_format
            )
        if self.spec.provisioned_concurrency:
            await provision(self._spawn, self._make_idle, self._provisioned_count)

    def _provisioned_count(self) -> int:
        return min(self.spec.provisioned_concurrency or 0, self.pool.limit)

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

    async def invoke(
        self, payload: bytes, request_id: str | None = None, *, invoked_arn: str | None = None
    ) -> Outcome:
        """Run one invocation: reuse an idle instance, or cold-start one, or throttle.
        ``invoked_arn``: the ARN the caller named (an alias's, say), which the runtime hands the
        function (``context.invoked_function_arn``); by default the host's own.

        A concurrency slot is held from here until the invocation ends, whether an instance
        was idle or not: idle instances hold none.
        """
        request_id = request_id or str(uuid.uuid4())
        if len(payload) > PAYLOAD_LIMIT_BYTES:
            return Outcome("too_large", request_id, error_type="RequestTooLargeException")
        if self._closing or not self.pool.take():
            self.log.event(
                "throttled",
                request_id=request_id,
                pool=self.pool.name,
                in_flight=self.pool.in_flight,
                limit=self.pool.limit,
                instances=len(self.instances),
            )
            return Outcome("throttled", request_id, error_type="TooManyRequestsException")
        try:
            return await self._invoke(payload, request_id, invoked_arn)
        finally:
            self.pool.release()

    async def _invoke(
        self, payload: bytes, request_id: str, invoked_arn: str | None = None
    ) -> Outcome:
        inst = self._take_idle()
        if inst is None:
            inst = await self._spawn(provisioned=False, request_id=request_id)
            if inst is None:
                return Outcome("init_error", request_id, error_type="Runtime.Unknown")
            assert inst.ready is not None
            try:
                await asyncio.shield(inst.ready)
            except InitFailed as exc:
                if exc.timed_out and inst.init_type is InitType.ON_DEMAND:
                    return await self._invoke_with_init(payload, request_id, invoked_arn)
                return Outcome(
                    "init_error",
                    request_id,
                    error_type=exc.error_type,
                    payload=exc.payload,
                    instance_id=inst.id,
                    cold_start=inst.init_type is InitType.ON_DEMAND,
                )
            inst.state = _BUSY
        inv = new_invocation(
            request_id,
            payload,
            cold_start=inst.served == 0 and inst.init_type is InitType.ON_DEMAND,
            restore=inst.served == 0 and inst.init_type is InitType.SNAP_START,
            invoked_arn=invoked_arn,
        )
        inv.timer = asyncio.get_running_loop().call_later(
            self.spec.timeout_s, self._timed_out, inst, inv
        )
        inst.current = inv
        if inst.waiting_next is not None and not inst.waiting_next.done():
            waiter, inst.waiting_next = inst.waiting_next, None
            waiter.set_result(inv)
        else:
            inst.mailbox = inv
        return await inv.done

    async def _invoke_with_init(
        self, payload: bytes, request_id: str, invoked_arn: str | None = None
    ) -> Outcome:
        """Lambda's answer to an on-demand init that outlasted the init limit: a fresh init runs
        inside this invocation, under the function's timeout, and its time is the invocation's
        Duration (billed as such); the REPORT carries no Init Duration."""
        inv = new_invocation(
            request_id, payload, cold_start=True, init_in_invoke=True, invoked_arn=invoked_arn
        )
        start_clock(inv, self.spec, self.log, version=self.launcher.version)
        inst = await self._spawn(provisioned=False, request_id=request_id, init_in_invoke=True)
        if inst is None:
            return Outcome("init_error", request_id, error_type="Runtime.Unknown", cold_start=True)
        inst.state = _BUSY
        inv.timer = asyncio.get_running_loop().call_later(
            self.spec.timeout_s, self._timed_out, inst, inv
        )
        inst.current = inv
        inst.mailbox = inv
        return await inv.done

    def _take_idle(self) -> Instance | None:
        while self.idle:
            inst = self.idle.pop()
            if inst.state is _IDLE:
                inst.state = _BUSY
                return inst
        return None

    def _make_idle(self, inst: Instance) -> None:
        if inst.state is _DEAD:
            return
        if inst.id in self._retired:
            self._end(inst, "configuration updated")
            return
        inst.state = _IDLE
        inst.idle_since_s = time.monotonic()
        self.idle.append(inst)

    def next_requested(
        self, inst: Instance, loop: asyncio.AbstractEventLoop
    ) -> asyncio.Future[Invocation | None]:
        """A ``next`` long poll: the first one ends init; it is answered with the next
        invocation."""
        if inst.init_duration_ms is None:
            end_init(inst, self.log, self.launcher)
        fut: asyncio.Future[Invocation | None] = loop.create_future()
        if inst.state is _DEAD:
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
        if inst.snapshot:
            await hold_snapshot(inst)
            return False
        inst.restored_s = time.perf_counter()
        return inst.state is not _DEAD

    def handed_off(self, inst: Instance, inv: Invocation) -> dict[str, str]:
        """The runtime now has the invocation: its clock starts; these are the next headers."""
        inst.drain_output()
        if not inv.init_in_invoke:  # else its clock started, and START was written, before init
            start_clock(inv, self.spec, self.log, version=self.launcher.version)
        return next_headers(inv, self.arn)

    def result_posted(
        self, inst: Instance, request_id: str, body: bytes, *, error_type: str | None
    ) -> int:
        """``/response`` or ``/error`` from the runtime; returns the status to answer it with."""
        inv = inst.current
        if inv is None or inv.request_id != request_id:
            return 400
        outcome, status = posted_outcome(inst, inv, body, error_type=error_type)
        self._finish(inst, inv, outcome)
        return status

    def init_error_posted(self, inst: Instance, body: bytes, error_type: str) -> None:
        inst.init_error = (error_type, body)

    def _finish(
        self, inst: Instance, inv: Invocation, outcome: Outcome, *, status: str | None = None
    ) -> None:
        if inv.timer is not None:
            inv.timer.cancel()
        if inst.current is inv:
            inst.current = None
        duration_ms = (time.perf_counter() - inv.started_s) * 1000.0 if inv.started_s else 0.0
        inst.served += 1
        if status is None:
            self._make_idle(inst)
        if not inv.done.done():
            inv.done.set_result(dataclasses.replace(outcome, ended_s=time.monotonic()))
        # Logged after the client's response is on its way: the REPORT is not on the hot path.
        asyncio.get_running_loop().call_soon(
            self._log_invocation, inst, inv, duration_ms, status, outcome.error_type
        )

    def _log_invocation(
        self,
        inst: Instance,
        inv: Invocation,
        duration_ms: float,
        status: str | None,
        error_type: str | None,
    ) -> None:
        self.log.lines(
            closing_report(
                inst, inv, self.spec, duration_ms=duration_ms, status=status, error_type=error_type
            )
        )

    def _timed_out(self, inst: Instance, inv: Invocation) -> None:
        if inst.current is not inv:
            return
        outcome = timed_out_outcome(inst, inv, self.spec, self.log)
        self._finish(inst, inv, outcome, status="timeout")
        self._end(inst, "timed_out")

    def _end(self, inst: Instance, reason: str) -> None:
        """Kill an instance on purpose (reclaimed, timed out, init failed, shutdown)."""
        if inst.state is _DEAD:
            inst.kill()
            return
        inst.state = _DEAD
        inst.kill_reason = inst.kill_reason or reason
        if inst in self.idle:
            self.idle.remove(inst)
        inst.kill()

    def instance_exited(self, inst: Instance) -> None:
        """The process is gone: answer what it was doing, free its slot, clean up."""
        was = inst.state
        inst.state = _DEAD
        if inst in self.idle:
            self.idle.remove(inst)
        code = inst.exit_code
        reason = inst.kill_reason
        oom = out_of_memory(inst)
        release_waiters(inst)
        ended = exit_outcome(inst, self.log, was=was, oom=oom, log_format=self.spec.log_format)
        if ended is not None:
            self._finish(inst, ended[0], ended[1], status="error")
        self.log.event(
            "stopped",
            instance=inst.id,
            pid=inst.pid,
            exit_code=code,
            reason=reason or "exited",
            served=inst.served,
        )
        self.instances.pop(inst.id, None)
        self._retired.discard(inst.id)
        self.launcher.discard(inst)
        event = self._exited.pop(inst.id, None)
        if event is not None:
            event.set()

    async def _spawn(
        self,
        *,
        provisioned: bool,
        request_id: str | None,
        snapshot: bool = False,
        init_in_invoke: bool = False,
    ) -> Instance | None:
        """Start an instance; ``snapshot``: SnapStart's one init at publish (it serves nothing);
        ``init_in_invoke``: its init runs inside an invocation, limited by that one's timeout."""
        if provisioned:
            init_type, reason = InitType.PROVISIONED, "provisioned"
        elif self.spec.snapstart:
            init_type, reason = InitType.SNAP_START, ("snapshot" if snapshot else "restore")
        else:
            init_type, reason = InitType.ON_DEMAND, "cold start"
        if init_in_invoke:
            reason = "init retried in invoke"
        inst = await start_instance(
            self.launcher,
            self,
            self.log,
            instances=self.instances,
            exited=self._exited,
            on_exit=self.instance_exited,
            init_type=init_type,
            provisioned=provisioned,
            snapshot=snapshot,
            request_id=request_id,
            reason=reason,
        )
        if inst is None:
            return None
        if not init_in_invoke:
            inst.init_timer = asyncio.get_running_loop().call_later(
                self.options.init_timeout_s, self._init_timed_out, inst
            )
        return inst

    def _init_timed_out(self, inst: Instance) -> None:
        if inst.ready is not None and not inst.ready.done():
            inst.kill_reason = "init_timeout"
            self._end(inst, "init_timeout")

    def _reclaim(self, inst: Instance, idle_real_s: float, reason: str) -> None:
        log_reclaimed(self.log, inst, idle_real_s, reason, time_scale=self.options.time_scale)
        self._end(inst, "reclaimed")

    def reclaim_idle(self) -> int:
        """Reclaim every idle instance now (benchmarks use it to force the next cold start)."""
        count = 0
        for inst in list(self.idle):
            if inst.state is _IDLE:
                self._reclaim(inst, time.monotonic() - inst.idle_since_s, "reclaimed on request")
                count += 1
        return count

    def reconfigure(self, spec: FunctionSpec) -> int:
        """UpdateFunctionConfiguration: instances started from now on have ``spec`` (its
        memory's CPU share and memory limit, its environment); the idle instances of the old
        configuration are ended now, so the next invocation is a cold start, and the busy or
        starting ones when their invocation is over; provisioned instances of the new
        configuration are started in their place. Returns how many were retired."""
        self.spec = spec
        self.launcher = dataclasses.replace(self.launcher, spec=spec)
        retired = retire(
            self.instances.values(),
            self.log,
            memory_mb=spec.memory_mb,
            end=self._end,
            retired=self._retired,
        )
        if spec.provisioned_concurrency and not self._closing:
            # The provisioned instances were retired with the rest: provision the new
            # configuration's, as Lambda allocates a version's before it serves it.
            provisioning = provision(self._spawn, self._make_idle, self._provisioned_count)
            self._tasks.append(
                asyncio.get_running_loop().create_task(provisioning, name=f"provision-{spec.name}")
            )
        return retired

    async def wait_gone(self) -> None:
        """Wait until every ended instance has exited and been cleaned up."""
        waits = [
            self._exited[i].wait()
            for i, inst in self.instances.items()
            if inst.state is _DEAD and i in self._exited
        ]
        if waits:
            await asyncio.gather(*waits)
