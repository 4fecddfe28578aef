"""The end of an invocation: the outcome of the result its runtime posted, the outcome and log
lines of one that timed out, and its closing log lines (END, REPORT)."""

from __future__ import annotations

import time

from contract import PAYLOAD_LIMIT_BYTES

from .._spec import FunctionSpec
from ..instance._instance import Instance, Invocation, Outcome
from ..logs._logs import StackLog
from ..logs._platform_log import closing_lines, init_report_line, timed_out_line

__all__ = ["closing_report", "posted_outcome", "timed_out_outcome"]


def posted_outcome(
    inst: Instance, inv: Invocation, body: bytes, *, error_type: str | None
) -> tuple[Outcome, int]:
    """The outcome of ``/response`` or ``/error``, and the status to answer the runtime with
    (413 for a response over Lambda's payload limit, else 202)."""
    if error_type is None and len(body) > PAYLOAD_LIMIT_BYTES:
        too_large = Outcome(
            "function_error",
            inv.request_id,
            error_type="Function.ResponseSizeTooLarge",
            instance_id=inst.id,
            cold_start=inv.cold_start,
        )
        return too_large, 413
    kind = "ok" if error_type is None else "function_error"
    outcome = Outcome(
        kind,
        inv.request_id,
        payload=body,
        error_type=error_type,
        instance_id=inst.id,
        cold_start=inv.cold_start,
    )
    return outcome, 202


def timed_out_outcome(
    inst: Instance, inv: Invocation, spec: FunctionSpec, log: StackLog
) -> Outcome:
    """An invocation past the function's timeout: its log lines held for its REPORT, the
    ``timed_out`` event, and its outcome."""
    inst.drain_output()
    inst.last_memory_mb = inst.max_memory_used_mb()
    inst.pending_lines = [timed_out_line(inv.request_id, spec.timeout_s)]
    if inv.init_in_invoke and inst.init_duration_ms is None:
        # The retried init did not finish within the function's timeout either.
        init_ms = (time.perf_counter() - inst.spawned_s) * 1000.0
        inst.pending_lines.append(
            init_report_line(init_ms, status="timeout", phase="invoke", log_format=spec.log_format)
        )
        inst.init_reported = True
    log.event(
        "timed_out",
        instance=inst.id,
        pid=inst.pid,
        request_id=inv.request_id,
        reason=f"function timeout {spec.timeout_s:g} s",
    )
    return Outcome(
        "timeout",
        inv.request_id,
        error_type="Sandbox.Timedout",
        instance_id=inst.id,
        cold_start=inv.cold_start,
    )


def closing_report(
    inst: Instance,
    inv: Invocation,
    spec: FunctionSpec,
    *,
    duration_ms: float,
    status: str | None,
    error_type: str | None,
) -> list[str]:
    """The invocation's last lines: the function's output not yet written, the lines held for
    it, then END and REPORT (its memory measured now)."""
    inst.drain_output()
    memory_mb = inst.max_memory_used_mb()
    inst.last_memory_mb = memory_mb
    lines, inst.pending_lines = inst.pending_lines or [], None
    return lines + closing_lines(
        inst,
        inv,
        duration_ms=duration_ms,
        memory_size_mb=spec.memory_mb,
        max_memory_used_mb=memory_mb,
        status=status,
        error_type=error_type,
        log_format=spec.log_format,
    )
