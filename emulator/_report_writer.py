"""The platform lines Lambda writes around each invocation, written the way AWS writes them.

Shapes (CloudWatch Logs, text format)::

    START RequestId: <id> Version: $LATEST
    END RequestId: <id>
    REPORT RequestId: <id>\tDuration: 15.74 ms\tBilled Duration: 147 ms\tMemory Size: 128 MB\tMax
    Memory Used: 56 MB\tInit Duration: 130.49 ms\t

``Init Duration`` appears only on the invocation an instance served first (a cold start), and
never for provisioned concurrency (init ran ahead of traffic). SnapStart writes its init in an
``INIT_REPORT`` line when the version is published, and on a restored instance's first
invocation ``Restore Duration`` and ``Billed Restore Duration`` instead of ``Init Duration``;
its ``Billed Duration`` includes the billed restore (AWS's own lines: ``Duration: 306.34 ms``,
``Billed Restore Duration: 303 ms``, ``Billed Duration: 610 ms``). AWS bills only part of the
restore (loading the runtime, after-restore hooks): the emulator bills the time from answering
``restore/next`` to the first ``next``.
Since August 2025 Lambda bills the init phase of on-demand functions, so the billed duration
of a cold start is ``ceil(Duration + Init Duration)`` (AWS's own example above: 15.74 + 130.49
→ 147 ms); warm invocations bill ``ceil(Duration)``, at least 1 ms (``contract.billed_duration_ms``,
the one billing rule). A timed-out invocation
adds ``Status: timeout``; a crashed one ``Status: error`` and ``Error Type: Runtime.ExitError``.

This module only writes the lines. They are read by the report package
(``report._reportline``), the one parser for AWS's lines and ours; the emulator does not
import the report (the design keeps the two apart).
"""

from __future__ import annotations

from contract import billed_duration_ms, billed_restore_ms

__all__ = [
    "billed_duration_ms",
    "billed_restore_ms",
    "end_line",
    "report_line",
    "start_line",
]


def start_line(request_id: str, version: str = "$LATEST") -> str:
    return f"START RequestId: {request_id} Version: {version}"


def end_line(request_id: str) -> str:
    return f"END RequestId: {request_id}"


def report_line(
    *,
    request_id: str,
    duration_ms: float,
    memory_size_mb: int,
    max_memory_used_mb: int,
    init_duration_ms: float | None = None,
    restore_duration_ms: float | None = None,
    billed_restore_duration_ms: int | None = None,
    status: str | None = None,
    error_type: str | None = None,
) -> str:
    """One REPORT line, tab-separated with the trailing tab AWS writes. A restore's billed part
    defaults to the whole restore."""
    billed_restore = billed_restore_duration_ms
    if restore_duration_ms is not None and billed_restore is None:
        billed_restore = billed_restore_ms(restore_duration_ms)
    fields = [
        f"REPORT RequestId: {request_id}",
        f"Duration: {duration_ms:.2f} ms",
        f"Billed Duration: {billed_duration_ms(duration_ms, init_duration_ms, billed_restore)} ms",
        f"Memory Size: {memory_size_mb} MB",
        f"Max Memory Used: {max_memory_used_mb} MB",
    ]
    if init_duration_ms is not None:
        fields.append(f"Init Duration: {init_duration_ms:.2f} ms")
    if restore_duration_ms is not None:
        fields.append(f"Restore Duration: {restore_duration_ms:.2f} ms")
        fields.append(f"Billed Restore Duration: {billed_restore} ms")
    if status is not None:
        fields.append(f"Status: {status}")
    if error_type is not None:
        fields.append(f"Error Type: {error_type}")
    return "\t".join(fields) + "\t"
