"""The lines Lambda's platform writes to a function's log stream around its code's own output:
the end of each invocation (END, REPORT), an init's INIT_REPORT, and what a timeout or a crash
adds. The formats of START, END and REPORT are the line writer's; this module says which figures
of an instance and its invocation go into them. ``log_format`` ``json`` writes each as its JSON
platform record (``_report_writer``); the timeout and crash messages stay text lines, as the
function's own output does."""

from __future__ import annotations

from datetime import UTC, datetime

from contract import billed_restore_ms

from ..instance._instance import Instance, Invocation
from ._report_writer import end_line, platform_record, report_line


def closing_lines(
    inst: Instance,
    inv: Invocation,
    *,
    duration_ms: float,
    memory_size_mb: int,
    max_memory_used_mb: int,
    status: str | None,
    error_type: str | None,
    log_format: str = "text",
) -> list[str]:
    """END and REPORT of ``inv``; ``status``: None (it returned), ``timeout`` or ``error``."""
    error_type = error_type if status == "error" else None
    return [
        end_line(
            inv.request_id,
            log_format=log_format,
            duration_ms=duration_ms,
            status=status,
            error_type=error_type,
        ),
        report_line(
            request_id=inv.request_id,
            duration_ms=duration_ms,
            memory_size_mb=memory_size_mb,
            max_memory_used_mb=max_memory_used_mb,
            # An init retried inside the invocation is part of its Duration, not an Init Duration.
            init_duration_ms=(
                inst.init_duration_ms if inv.cold_start and not inv.init_in_invoke else None
            ),
            restore_duration_ms=inst.init_duration_ms if inv.restore else None,
            billed_restore_duration_ms=_billed_restore_ms(inst) if inv.restore else None,
            status=status,
            error_type=error_type,
            log_format=log_format,
        ),
    ]


def _billed_restore_ms(inst: Instance) -> int:
    """AWS bills a restore's after-restore part (runtime load, after-restore hooks): here, from
    ``restore/next`` answered to the first ``next``; the whole start for a runtime that never
    asked ``restore/next``."""
    after_ms = inst.after_restore_ms
    return billed_restore_ms(after_ms if after_ms is not None else inst.init_duration_ms or 0.0)


def init_report_line(
    init_ms: float,
    *,
    status: str,
    error_type: str | None = None,
    phase: str = "init",
    log_format: str = "text",
    initialization_type: str = "on-demand",
) -> str:
    """``status``: success, error (with its ``error_type``) or timeout (which names none);
    ``phase``: ``init``, or ``invoke`` for an init Lambda retried inside the first invocation.
    In JSON, the ``platform.initReport`` record (``initialization_type``: ``on-demand``,
    ``provisioned-concurrency`` or ``snap-start``)."""
    if log_format == "json":
        record: dict[str, object] = {
            "initializationType": initialization_type,
            "phase": phase,
            "status": status,
            "metrics": {"durationMs": float(f"{init_ms:.2f}")},
        }
        if status == "error" and error_type is not None:
            record["errorType"] = error_type
        return platform_record("platform.initReport", record)
    line = f"INIT_REPORT Init Duration: {init_ms:.2f} ms\tPhase: {phase}\tStatus: {status}"
    return line + (f"\tError Type: {error_type}" if status == "error" else "")


def timed_out_line(request_id: str, timeout_s: float) -> str:
    stamp = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return f"{stamp} {request_id} Task timed out after {timeout_s:.2f} seconds"


def crashed_lines(request_id: str, *, exit_code: int | None, error_type: str) -> list[str]:
    """What the platform writes when the runtime exits mid-invocation."""
    return [
        f"RequestId: {request_id} Error: Runtime exited with error: {exit_how(exit_code)}",
        error_type,
    ]


#: Lambda's platform words a runtime's end as Go's ``os.ProcessState`` does (``signal: killed``
#: after an out-of-memory kill, as AWS's logs show); the signals a runtime may die of
_SIGNAL_NAMES = {6: "aborted", 9: "killed", 11: "segmentation fault", 15: "terminated"}


def exit_how(exit_code: int | None) -> str:
    """How a process ended, in Lambda's words: ``signal: killed`` or ``exit status 1``."""
    if exit_code is not None and exit_code < 0:
        return f"signal: {_SIGNAL_NAMES.get(-exit_code, str(-exit_code))}"
    return f"exit status {exit_code}"
