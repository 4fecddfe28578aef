"""The platform lines Lambda writes around each invocation, written the way AWS writes them.

Shapes (CloudWatch Logs, text format)::

    START RequestId: <id> Version: $LATEST
    END RequestId: <id>
    REPORT RequestId: <id>\tDuration: 15.74 ms\tBilled Duration: 147 ms\tMemory Size: 128 MB\tMax Memory Used: 56 MB\tInit Duration: 130.49 ms\t

``Init Duration`` appears only on the invocation an instance served first (a cold start).
Since August 2025 Lambda bills the init phase of on-demand functions, so the billed duration
of a cold start is ``ceil(Duration + Init Duration)`` (AWS's own example above: 15.74 + 130.49
→ 147 ms); warm invocations bill ``ceil(Duration)``, at least 1 ms (``contract.billed_duration_ms``,
the one billing rule). A timed-out invocation
adds ``Status: timeout``; a crashed one ``Status: error`` and ``Error Type: Runtime.ExitError``.

This module only writes the lines. They are read by the load generator's report
(``loadgen._reportline``), the one parser for AWS's lines and ours; the emulator does not
import the load generator (the design keeps the two apart).
"""

from __future__ import annotations

from contract import billed_duration_ms

__all__ = [
    "billed_duration_ms",
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
    status: str | None = None,
    error_type: str | None = None,
) -> str:
    """One REPORT line, tab-separated with the trailing tab AWS writes."""
    fields = [
        f"REPORT RequestId: {request_id}",
        f"Duration: {duration_ms:.2f} ms",
        f"Billed Duration: {billed_duration_ms(duration_ms, init_duration_ms)} ms",
        f"Memory Size: {memory_size_mb} MB",
        f"Max Memory Used: {max_memory_used_mb} MB",
    ]
    if init_duration_ms is not None:
        fields.append(f"Init Duration: {init_duration_ms:.2f} ms")
    if status is not None:
        fields.append(f"Status: {status}")
    if error_type is not None:
        fields.append(f"Error Type: {error_type}")
    return "\t".join(fields) + "\t"
