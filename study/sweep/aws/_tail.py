"""What one Invoke with ``LogType: Tail`` says: the REPORT in its log tail (a text line, or a
``platform.report`` event for a function whose log format is JSON) and the kind of failure,
if it failed (the kinds are listed in :mod:`study.sweep.aws._measure`)."""

from __future__ import annotations

import json
from typing import Any

from report import ReportLine, ReportLineError, read_report_lines

__all__ = ["failure_kind", "first_report"]


def _json_records(tail: str, record_type: str) -> list[dict[str, Any]]:
    """The ``record`` of each JSON platform event of ``record_type`` in a tail (functions whose
    log format is JSON write ``{"type": "platform.report", "record": {...}}`` lines)."""
    records: list[dict[str, Any]] = []
    for line in tail.splitlines():
        if record_type not in line or not line.lstrip().startswith("{"):
            continue
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if (
            isinstance(event, dict)
            and event.get("type") == record_type
            and isinstance(event.get("record"), dict)
        ):
            records.append(event["record"])
    return records


def _report_from_json(record: dict[str, Any]) -> ReportLine | None:
    metrics = record.get("metrics")
    if not isinstance(metrics, dict):
        return None
    try:
        status = record.get("status")
        return ReportLine(
            request_id=str(record.get("requestId", "")),
            duration_ms=float(metrics["durationMs"]),
            billed_duration_ms=float(metrics["billedDurationMs"]),
            memory_size_mb=int(metrics["memorySizeMB"]),
            max_memory_used_mb=int(metrics["maxMemoryUsedMB"]),
            init_duration_ms=(
                float(metrics["initDurationMs"]) if "initDurationMs" in metrics else None
            ),
            restore_duration_ms=(
                float(metrics["restoreDurationMs"]) if "restoreDurationMs" in metrics else None
            ),
            status=None if status in (None, "success") else str(status),
            error_type=str(record["errorType"]) if record.get("errorType") else None,
        )
    except (KeyError, TypeError, ValueError):
        return None


def first_report(tail: str) -> ReportLine | None:
    """The REPORT of the tail: a text line, or a JSON ``platform.report`` event."""
    try:
        report = next(iter(read_report_lines(tail.splitlines())), None)
    except ReportLineError:
        report = None
    if report is None:
        for record in _json_records(tail, "platform.report"):
            report = _report_from_json(record)
            if report is not None:
                break
    return report


def failure_kind(
    function_error: str | None, payload: bytes, report: ReportLine | None, tail: str
) -> str | None:
    """The kind of failure of one invocation that Lambda answered (None: it succeeded)."""
    try:
        answer = json.loads(payload) if payload else None
    except (ValueError, UnicodeDecodeError):
        answer = None
    if function_error is None:
        status = answer.get("statusCode") if isinstance(answer, dict) else None
        if isinstance(status, int) and status >= 500:
            return "http_5xx"
        if isinstance(status, int) and status >= 400:
            return "http_4xx"
        return None
    error_type = str(answer.get("errorType", "")) if isinstance(answer, dict) else ""
    message = str(answer.get("errorMessage", "")) if isinstance(answer, dict) else ""
    report_error = report.error_type if report is not None else None
    if "Runtime.OutOfMemory" in (error_type, report_error):
        return "out_of_memory"
    if (
        error_type == "Sandbox.Timedout"
        or "Task timed out" in message
        or (report is not None and report.status == "timeout")
    ):
        return "timeout"
    init_failed = any(
        line.startswith("INIT_REPORT") and "Status: success" not in line
        for line in tail.splitlines()
    ) or any(
        record.get("status") not in (None, "success")
        for record in _json_records(tail, "platform.initReport")
    )
    if init_failed or error_type.startswith(
        ("Runtime.Init", "Runtime.ImportModuleError", "Runtime.HandlerNotFound")
    ):
        return "init_failure"
    if error_type.startswith("Runtime.") or "Runtime exited" in message:
        return "crash"
    return "function_error"
