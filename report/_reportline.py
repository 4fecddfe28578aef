"""Lambda's platform ``REPORT`` log line, parsed.

AWS writes one per invocation, tab-separated, for example::

    REPORT RequestId: 8f5...\tDuration: 2.51 ms\tBilled Duration: 3 ms\tMemory Size: 512 MB\tMax
    Memory Used: 45 MB\tInit Duration: 120.31 ms\t

``Init Duration`` appears only on the invocation that followed a cold start; SnapStart
functions write ``Restore Duration`` and ``Billed Restore Duration`` instead; a failed
invocation may add ``Status: timeout`` or ``Status: error`` and, in newer logs, an
``Error Type: Runtime.ExitError``. With X-Ray tracing the event goes on, after a newline,
with ``XRAY TraceId: ...\tSegmentId: ...\tSampled: true``: the newline is read as one more
separator (and :func:`iter_report_lines` joins such a line to its REPORT line in a file).

An init that fails or outlasts its limit is told by an ``INIT_REPORT`` line, which carries no
request id (:func:`read_init_reports`)::

    INIT_REPORT Init Duration: 10000.12 ms\tPhase: init\tStatus: timeout
    INIT_REPORT Init Duration: 2113.80 ms\tPhase: init\tStatus: error\tError Type:
    Runtime.OutOfMemory

``Phase`` is ``init``, or ``invoke`` when Lambda retried the init inside the first invocation.

Lines copied from the console or a web page have their tabs turned into spaces; they are
read by finding the field names AWS writes. The local emulator writes the same lines, so one
parser serves both. Fields the parser does not know are kept in ``extra``, never dropped.

A function whose log format is JSON (Lambda's advanced logging controls, ``logFormat: JSON``;
the stack setting ``log_format: json``) gets the same figures as JSON objects, one per event,
in the Telemetry API's schema: ``platform.report`` for REPORT, ``platform.initReport`` for
INIT_REPORT (written after every init, successful or not), with ``platform.start``,
``platform.runtimeDone`` and the others around them::

    {"time": "...", "type": "platform.report", "record": {"requestId": "...",
     "metrics": {"durationMs": 12.34, "billedDurationMs": 13, "memorySizeMB": 512,
                 "maxMemoryUsedMB": 45, "initDurationMs": 187.02}, "status": "success"}}
    {"time": "...", "type": "platform.initReport", "record": {"initializationType":
     "on-demand", "phase": "init", "status": "timeout", "metrics": {"durationMs": 10000.12}}}

Every reader here takes both formats, line by line, and gives the same records for the same
invocations: ``status`` ``success`` reads as no Status (a text REPORT line names a status only
when the invocation failed), ``record.tracing`` as the X-Ray fields.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

_PREFIX = "REPORT RequestId:"
_XRAY_PREFIX = "XRAY TraceId:"
_FIELD = re.compile(r"^\s*([A-Za-z][A-Za-z ]*?):\s*(.*?)\s*$")
_NUMBER_WITH_UNIT = re.compile(r"^(-?\d+(?:\.\d+)?)\s*(ms|MB)$")


@dataclass(frozen=True, kw_only=True)
class ReportLine:
    """One invocation as the platform billed it."""

    request_id: str
    #: time in the handler, milliseconds
    duration_ms: float
    #: what was billed (rounded up to the millisecond since December 2020)
    billed_duration_ms: float
    memory_size_mb: int
    max_memory_used_mb: int
    #: present only on the first invocation of an instance (a cold start)
    init_duration_ms: float | None = None
    #: SnapStart's restore, instead of Init Duration
    restore_duration_ms: float | None = None
    billed_restore_duration_ms: float | None = None
    status: str | None = None
    #: newer logs name the failure (``Runtime.ExitError``, ``Runtime.OutOfMemory``...)
    error_type: str | None = None
    #: X-Ray, when tracing is on
    xray_trace_id: str | None = None
    xray_segment_id: str | None = None
    xray_sampled: bool | None = None
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def cold_start(self) -> bool:
        """The instance ran init for this request (provisioned ones report none: init ran ahead)."""
        return self.init_duration_ms is not None

    @property
    def restore(self) -> bool:
        """The instance was restored from a SnapStart snapshot for this request (not a cold
        start)."""
        return self.restore_duration_ms is not None


class ReportLineError(ValueError):
    """A line that starts like a REPORT line but cannot be read as one."""


_KNOWN = {
    "Duration": "duration_ms",
    "Billed Duration": "billed_duration_ms",
    "Memory Size": "memory_size_mb",
    "Max Memory Used": "max_memory_used_mb",
    "Init Duration": "init_duration_ms",
    "Restore Duration": "restore_duration_ms",
    "Billed Restore Duration": "billed_restore_duration_ms",
}
_REQUIRED = ("duration_ms", "billed_duration_ms", "memory_size_mb", "max_memory_used_mb")
_TEXT_FIELDS = {
    "Status": "status",
    "Error Type": "error_type",
    "XRAY TraceId": "xray_trace_id",
    "SegmentId": "xray_segment_id",
    "Sampled": "xray_sampled",
}
# Longest names first, so "Billed Duration" is found before the "Duration" inside it.
_NAMES = sorted([*_KNOWN, *_TEXT_FIELDS], key=len, reverse=True)
_NAME_AT = re.compile(r"(?:^|(?<=\s))(" + "|".join(re.escape(n) for n in _NAMES) + r"):\s")


def _fields(text: str) -> list[str]:
    """The ``Name: value`` parts of a REPORT line after its request id.

    Tabs (and newlines) separate fields as AWS writes them; within a part, the field names
    AWS writes are found so that a line whose tabs became spaces splits the same way.
    """
    parts: list[str] = []
    for chunk in re.split(r"[\t\r\n]+", text):
        if not chunk.strip():
            continue
        starts = [m.start(1) for m in _NAME_AT.finditer(chunk)]
        if not starts or starts[0] != len(chunk) - len(chunk.lstrip()):
            starts = [0, *starts]
        for begin, end in zip(starts, [*starts[1:], len(chunk)], strict=True):
            if chunk[begin:end].strip():
                parts.append(chunk[begin:end].strip())
    return parts


def is_report_line(line: str) -> bool:
    """A text REPORT line, or a JSON ``platform.report`` record."""
    return _strip_prefix(line) is not None or _json_record(line, "platform.report") is not None


def _json_record(line: str, kind: str) -> dict[str, object] | None:
    """The ``record`` of a JSON platform event of type ``kind`` on ``line``, else None.

    The object may follow a timestamp and a tab (an exported log), as a text line may.
    """
    if f'"{kind}"' not in line:
        return None
    at = line.find("{")
    if at < 0:
        return None
    try:
        event = json.loads(line[at:])
    except ValueError:
        return None
    if not isinstance(event, dict) or event.get("type") != kind:
        return None
    record = event.get("record")
    return record if isinstance(record, dict) else None


_JSON_METRICS = {
    "durationMs": "duration_ms",
    "billedDurationMs": "billed_duration_ms",
    "memorySizeMB": "memory_size_mb",
    "maxMemoryUsedMB": "max_memory_used_mb",
    "initDurationMs": "init_duration_ms",
    "restoreDurationMs": "restore_duration_ms",
    "billedRestoreDurationMs": "billed_restore_duration_ms",
}


def _json_status(record: dict[str, object]) -> tuple[str | None, str | None]:
    """``(status, error type)`` as a text line has them: no status for a success."""
    status = record.get("status")
    error_type = record.get("errorType")
    return (
        (str(status) if status not in (None, "success") else None),
        (str(error_type) if error_type else None),
    )


def _tracing(record: dict[str, object]) -> dict[str, object]:
    """X-Ray's ids from ``record.tracing`` (``Root=...;Parent=...;Sampled=1``)."""
    tracing = record.get("tracing")
    if not isinstance(tracing, dict) or not isinstance(tracing.get("value"), str):
        return {}
    parts = dict(part.split("=", 1) for part in tracing["value"].split(";") if "=" in part)
    out: dict[str, object] = {}
    if "Root" in parts:
        out["xray_trace_id"] = parts["Root"]
    if "Parent" in parts:
        out["xray_segment_id"] = parts["Parent"]
    if "Sampled" in parts:
        out["xray_sampled"] = parts["Sampled"] == "1"
    return out


def _parse_json_report(record: dict[str, object], line: str) -> ReportLine:
    request_id = record.get("requestId")
    if not isinstance(request_id, str) or not request_id or " " in request_id:
        raise ReportLineError(f"platform.report record without a requestId: {line[:120]!r}")
    metrics = record.get("metrics")
    if not isinstance(metrics, dict):
        raise ReportLineError(f"platform.report record without metrics: {line[:160]!r}")
    values: dict[str, object] = {}
    extra: dict[str, str] = {}
    for key, raw in metrics.items():
        attr = _JSON_METRICS.get(key)
        if attr is None:
            extra[key] = str(raw)
            continue
        if raw is None:
            continue
        if isinstance(raw, bool) or not isinstance(raw, int | float):
            raise ReportLineError(f"platform.report metric {key!r} is not a number: {raw!r}")
        values[attr] = int(raw) if attr.endswith("_mb") else float(raw)
    missing = [
        key for key, attr in _JSON_METRICS.items() if attr in _REQUIRED and attr not in values
    ]
    if missing:
        raise ReportLineError(f"platform.report record lacks {', '.join(missing)}: {line[:160]!r}")
    values["status"], values["error_type"] = _json_status(record)
    values.update(_tracing(record))
    return ReportLine(request_id=request_id, extra=extra, **values)  # type: ignore[arg-type]


def _strip_prefix(line: str) -> str | None:
    # CloudWatch may show the line alone, or (in exported logs) after a timestamp and tab.
    at = line.find(_PREFIX)
    if at < 0:
        return None
    return line[at:]


def parse_report_line(line: str) -> ReportLine:
    """Parse one REPORT line (or JSON ``platform.report`` record); raises
    :class:`ReportLineError` saying what is wrong."""
    text = _strip_prefix(line)
    if text is None:
        record = _json_record(line, "platform.report")
        if record is not None:
            return _parse_json_report(record, line)
        raise ReportLineError(f"not a REPORT line: {line[:80]!r}")
    parts = _fields(text[len(_PREFIX) :])
    request_id = parts[0] if parts and _FIELD.match(parts[0]) is None else ""
    if not request_id or " " in request_id:
        raise ReportLineError(f"REPORT line without a request id: {line[:120]!r}")
    values: dict[str, object] = {}
    extra: dict[str, str] = {}
    for part in parts[1:]:
        match = _FIELD.match(part)
        if match is None:
            extra[part.strip()] = ""
            continue
        name, raw = match.group(1).strip(), match.group(2)
        text_attr = _TEXT_FIELDS.get(name)
        if text_attr == "xray_sampled":
            values[text_attr] = raw.lower() == "true"
            continue
        if text_attr is not None:
            values[text_attr] = raw
            continue
        attr = _KNOWN.get(name)
        if attr is None:
            extra[name] = raw
            continue
        number = _NUMBER_WITH_UNIT.match(raw)
        if number is None:
            raise ReportLineError(f"REPORT field {name!r} has no number with a unit: {raw!r}")
        value = float(number.group(1))
        values[attr] = int(value) if attr.endswith("_mb") else value
    missing = [a for a in _REQUIRED if a not in values]
    if missing:
        raise ReportLineError(f"REPORT line lacks {', '.join(missing)}: {line[:160]!r}")
    return ReportLine(request_id=request_id, extra=extra, **values)  # type: ignore[arg-type]


@dataclass(frozen=True, kw_only=True)
class InitReportLine:
    """One ``INIT_REPORT`` line: how an instance's init ended (SnapStart's and failed inits')."""

    init_duration_ms: float | None
    #: ``init``, or ``invoke`` for an init retried inside the first invocation
    phase: str | None
    #: ``success``, ``error`` or ``timeout``
    status: str | None
    error_type: str | None = None


_INIT_PREFIX = "INIT_REPORT"
_INIT_FIELD = re.compile(
    r"(Init Duration|Phase|Status|Error Type):\s*(.*?)\s*"
    r"(?=(?:\t|\s)(?:Init Duration|Phase|Status|Error Type):|$)"
)


def parse_init_report_line(line: str) -> InitReportLine | None:
    """The INIT_REPORT line's (or JSON ``platform.initReport`` record's) fields, or None when
    ``line`` is neither."""
    at = line.find(_INIT_PREFIX + " ")
    if at < 0:
        record = _json_record(line, "platform.initReport")
        return _parse_json_init_report(record) if record is not None else None
    values = {
        name: raw for name, raw in _INIT_FIELD.findall(line[at + len(_INIT_PREFIX) :].strip())
    }
    duration = _NUMBER_WITH_UNIT.match(values.get("Init Duration", ""))
    return InitReportLine(
        init_duration_ms=float(duration.group(1)) if duration else None,
        phase=values.get("Phase") or None,
        status=values.get("Status") or None,
        error_type=values.get("Error Type") or None,
    )


def _parse_json_init_report(record: dict[str, object]) -> InitReportLine:
    metrics = record.get("metrics")
    duration = metrics.get("durationMs") if isinstance(metrics, dict) else None
    phase, status, error_type = (record.get(k) for k in ("phase", "status", "errorType"))
    return InitReportLine(
        init_duration_ms=(
            float(duration)
            if isinstance(duration, int | float) and not isinstance(duration, bool)
            else None
        ),
        phase=str(phase) if phase else None,
        status=str(status) if status else None,
        error_type=str(error_type) if error_type else None,
    )


def read_init_reports(lines: Iterable[str]) -> Iterator[InitReportLine]:
    """Every INIT_REPORT line among ``lines``."""
    for line in lines:
        parsed = parse_init_report_line(line.rstrip("\r\n"))
        if parsed is not None:
            yield parsed


def iter_report_lines(lines: Iterable[str]) -> Iterator[tuple[int, str]]:
    """``(line number, text)`` of every REPORT event among ``lines``, numbered from 1.

    An ``XRAY TraceId:`` line right after a REPORT line is the same event split by a writer
    that kept its newline: it is joined to it (after a tab), so its ids are not lost.
    """
    pending: tuple[int, str] | None = None
    for number, line in enumerate(lines, start=1):
        if pending is not None and line.lstrip().startswith(_XRAY_PREFIX):
            yield pending[0], pending[1].rstrip("\r\n") + "\t" + line.strip()
            pending = None
            continue
        if pending is not None:
            yield pending
            pending = None
        if is_report_line(line):
            pending = (number, line)
    if pending is not None:
        yield pending


def read_report_lines(lines: Iterable[str]) -> Iterator[ReportLine]:
    """Every REPORT event among ``lines`` (other log lines are skipped: they are not REPORTs)."""
    for _, text in iter_report_lines(lines):
        yield parse_report_line(text)
