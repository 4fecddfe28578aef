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
"""

from __future__ import annotations

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
    return _strip_prefix(line) is not None


def _strip_prefix(line: str) -> str | None:
    # CloudWatch may show the line alone, or (in exported logs) after a timestamp and tab.
    at = line.find(_PREFIX)
    if at < 0:
        return None
    return line[at:]


def parse_report_line(line: str) -> ReportLine:
    """Parse one REPORT line; raises :class:`ReportLineError` saying what is wrong."""
    text = _strip_prefix(line)
    if text is None:
        raise ReportLineError(f"not a REPORT line: {line[:80]!r}")
    parts = _fields(text[len(_PREFIX):])
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
_INIT_FIELD = re.compile(r"(Init Duration|Phase|Status|Error Type):\s*(.*?)\s*"
                         r"(?=(?:\t|\s)(?:Init Duration|Phase|Status|Error Type):|$)")


def parse_init_report_line(line: str) -> InitReportLine | None:
    """The INIT_REPORT line's fields, or None when ``line`` is not one."""
    at = line.find(_INIT_PREFIX + " ")
    if at < 0:
        return None
    values = {name: raw for name, raw in _INIT_FIELD.findall(line[at + len(_INIT_PREFIX):].strip())}
    duration = _NUMBER_WITH_UNIT.match(values.get("Init Duration", ""))
    return InitReportLine(
        init_duration_ms=float(duration.group(1)) if duration else None,
        phase=values.get("Phase") or None,
        status=values.get("Status") or None,
        error_type=values.get("Error Type") or None,
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
