"""What an instance's exit means: an init that failed (its INIT_REPORT, the error the waiting
request gets), an invocation that crashed (out of memory or an exit), or an idle runtime gone."""

from __future__ import annotations

import time
from dataclasses import dataclass

from ..instance._instance import Instance, InstanceState, Invocation, Outcome
from ..logs._logs import StackLog
from ..logs._platform_log import crashed_lines, exit_how, init_report_line

__all__ = [
    "InitFailed",
    "InitFailure",
    "crash_outcome",
    "exit_outcome",
    "fail_init",
    "out_of_memory",
    "release_waiters",
]


class InitFailed(Exception):
    """An instance's init failed: what the request waiting on it answers."""

    def __init__(self, error_type: str, payload: bytes, *, timed_out: bool = False) -> None:
        super().__init__(error_type)
        self.error_type = error_type
        self.payload = payload
        #: it outlasted the init limit (on-demand: Lambda retries it inside the invocation)
        self.timed_out = timed_out


@dataclass(frozen=True)
class InitFailure:
    """How an init failed, and whether it ran inside an invocation (which fails with it)."""

    error_type: str
    payload: bytes
    in_invoke: bool


def out_of_memory(inst: Instance) -> bool:
    """Whether the exited instance was killed for memory (by the watchdog or its cgroup); its
    cgroup's peak then counts as memory used."""
    oom = inst.memory_killed or (inst.cgroup is not None and inst.cgroup.oom_killed())
    if oom and inst.cgroup is not None:
        peak_mb = inst.cgroup.peak_memory_mb()
        if peak_mb is not None:
            inst.last_memory_mb = max(inst.last_memory_mb, peak_mb)
    return oom


def release_waiters(inst: Instance) -> None:
    """Answer the exited instance's pending ``next`` poll and a held SnapStart publish."""
    if inst.waiting_next is not None and not inst.waiting_next.done():
        inst.waiting_next.set_result(None)
    held, inst.held = inst.held, None
    if held is not None and not held.done():
        held.set_result(None)


def fail_init(inst: Instance, log: StackLog, *, oom: bool, log_format: str) -> InitFailure:
    """The instance died (or was killed) during init: its INIT_REPORT (unless written) and
    ``init_failed`` event; the request that started it gets the init error."""
    assert inst.ready is not None
    code, reason = inst.exit_code, inst.kill_reason
    error_type, body = inst.init_error or (
        ("Runtime.OutOfMemory" if oom else "Runtime.ExitError"),
        b"",
    )
    if reason == "init_timeout":
        error_type = "Sandbox.Timedout"
    init_ms = (time.perf_counter() - inst.spawned_s) * 1000.0
    status = "timeout" if reason == "init_timeout" else "error"
    in_invoke = inst.init_reported or (inst.current is not None and inst.current.init_in_invoke)
    if not inst.init_reported:
        log.lines(
            [
                init_report_line(
                    init_ms,
                    status=status,
                    error_type=error_type,
                    phase="invoke" if in_invoke else "init",
                    log_format=log_format,
                )
            ]
        )
    log.event(
        "init_failed",
        instance=inst.id,
        pid=inst.pid,
        exit_code=code,
        error_type=error_type,
        phase="invoke" if in_invoke else "init",
        reason=reason or f"exited with {code} during init",
        request_id=inst.cold_request_id,
    )
    inst.ready.set_exception(InitFailed(error_type, body, timed_out=reason == "init_timeout"))
    inst.ready.exception()  # retrieved here so an unawaited one is not reported
    return InitFailure(error_type, body, in_invoke)


def crash_outcome(inst: Instance, inv: Invocation, log: StackLog, *, oom: bool) -> Outcome:
    """The runtime exited mid-request: its log lines (written with the REPORT), its ``crashed``
    event, and the invocation's outcome."""
    code = inst.exit_code
    error_type = "Runtime.OutOfMemory" if oom else "Runtime.ExitError"
    inst.pending_lines = crashed_lines(inv.request_id, exit_code=code, error_type=error_type)
    log.event(
        "crashed",
        instance=inst.id,
        pid=inst.pid,
        exit_code=code,
        request_id=inv.request_id,
        reason=f"runtime exited mid-request ({exit_how(code)})",
        error_type=error_type,
    )
    return Outcome(
        "crash",
        inv.request_id,
        error_type=error_type,
        instance_id=inst.id,
        cold_start=inv.cold_start,
        exit_how=exit_how(code),
    )


def exit_outcome(
    inst: Instance, log: StackLog, *, was: InstanceState, oom: bool, log_format: str
) -> tuple[Invocation, Outcome] | None:
    """What the exit means for the instance's work: a failed init (an invocation whose init
    was retried inside it fails with it), a crashed invocation, or, for an instance no one
    ended, a ``crashed`` event. The invocation to finish and its outcome, if one was running."""
    if inst.ready is not None and not inst.ready.done():
        failure = fail_init(inst, log, oom=oom, log_format=log_format)
        if failure.in_invoke and inst.current is not None:
            # The init retried inside the invocation failed: so does the invocation.
            inv = inst.current
            failed = Outcome(
                "init_error",
                inv.request_id,
                error_type=failure.error_type,
                payload=failure.payload,
                instance_id=inst.id,
                cold_start=True,
            )
            return inv, failed
    elif inst.current is not None:
        inv = inst.current
        return inv, crash_outcome(inst, inv, log, oom=oom)
    elif inst.kill_reason is None:
        log.event(
            "crashed",
            instance=inst.id,
            pid=inst.pid,
            exit_code=inst.exit_code,
            reason=f"runtime exited while {was.value}",
        )
    return None
