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

A function whose stack sets ``log_format: json`` (Lambda's ``logFormat: JSON``) gets each of
these as a JSON record of the Telemetry API's schema instead, one object per line:
``platform.start`` for START, ``platform.runtimeDone`` for END, ``platform.report`` for
REPORT (``record.metrics``: ``durationMs``, ``billedDurationMs``, ``memorySizeMB``,
``maxMemoryUsedMB``, ``initDurationMs``, ``restoreDurationMs``, ``billedRestoreDurationMs``;
``record.status``: ``success``, ``timeout`` or ``error`` with ``errorType``). The figures are
the text line's, rounded as it rounds them, so both formats read back the same.

This module only writes the lines. They are read by the report package
(``report._reportline``), the one parser for AWS's lines and ours; the emulator does not
import the report (the design keeps the two apart).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from contract import billed_duration_ms, billed_restore_ms

__all__ = [
    "billed_duration_ms",
    "billed_restore_ms",
    "end_line",
    "platform_record",
    "report_line",
    "start_line",
]


def platform_record(kind: str, record: dict[str, object]) -> str:
    """One platform event as a JSON-format log holds it: ``{"time", "type", "record"}``."""
    stamp = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return json.dumps({"time": stamp, "type": kind, "record": record}, separators=(",", ":"))


def _ms(value: float) -> float:
    # The text line's two decimals, so that both formats read back the same figure.
    return float(f"{value:.2f}")


def start_line(request_id: str, version: str = "$LATEST", *, log_format: str = "text") -> str:
    if log_format == "json":
        return platform_record("platform.start", {"requestId": request_id, "version": version})
    return f"START RequestId: {request_id} Version: {version}"


def end_line(
    request_id: str,
    *,
    log_format: str = "text",
    duration_ms: float = 0.0,
    status: str | None = None,
    error_type: str | None = None,
) -> str:
    """END; in JSON, ``platform.runtimeDone`` (which carries the status and the duration)."""
    if log_format == "json":
        record: dict[str, object] = {
            "requestId": request_id,
            "status": status or "success",
            "metrics": {"durationMs": _ms(duration_ms)},
        }
        if error_type is not None:
            record["errorType"] = error_type
        return platform_record("platform.runtimeDone", record)
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
    log_format: str = "text",
) -> str:
    """One REPORT line, tab-separated with the trailing tab AWS writes (or, in JSON, its
    ``platform.report`` record). A restore's billed part defaults to the whole restore."""
    billed_restore = billed_restore_duration_ms
    if restore_duration_ms is not None and billed_restore is None:
        billed_restore = billed_restore_ms(restore_duration_ms)
    billed = billed_duration_ms(duration_ms, init_duration_ms, billed_restore)
    if log_format == "json":
        metrics: dict[str, object] = {
            "durationMs": _ms(duration_ms),
            "billedDurationMs": billed,
            "memorySizeMB": memory_size_mb,
            "maxMemoryUsedMB": max_memory_used_mb,
        }
        if init_duration_ms is not None:
            metrics["initDurationMs"] = _ms(init_duration_ms)
        if restore_duration_ms is not None:
            metrics["restoreDurationMs"] = _ms(restore_duration_ms)
            metrics["billedRestoreDurationMs"] = billed_restore
        record: dict[str, object] = {
            "requestId": request_id,
            "metrics": metrics,
            "status": status or "success",
        }
        if error_type is not None:
            record["errorType"] = error_type
        return platform_record("platform.report", record)
    fields = [
        f"REPORT RequestId: {request_id}",
        f"Duration: {duration_ms:.2f} ms",
        f"Billed Duration: {billed} ms",
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
