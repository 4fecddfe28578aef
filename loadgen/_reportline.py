"""Lambda's platform ``REPORT`` log line, parsed.

AWS writes one per invocation, tab-separated, for example::

    REPORT RequestId: 8f5...\tDuration: 2.51 ms\tBilled Duration: 3 ms\tMemory Size: 512 MB\tMax Memory Used: 45 MB\tInit Duration: 120.31 ms\t

``Init Duration`` appears only on the invocation that followed a cold start; SnapStart
functions write ``Restore Duration`` and ``Billed Restore Duration`` instead; X-Ray adds
``XRAY TraceId``/``SegmentId``/``Sampled``; a failed invocation may add ``Status: timeout``
or ``Status: error``. The local emulator writes the same lines, so one parser serves both.
Fields the parser does not know are kept in ``extra``, never dropped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

_PREFIX = "REPORT RequestId:"
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
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def cold_start(self) -> bool:
        """The instance ran init for this request (provisioned ones report none: init ran ahead)."""
        return self.init_duration_ms is not None

    @property
    def restore(self) -> bool:
        """The instance was restored from a SnapStart snapshot for this request (not a cold start)."""
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
    parts = [p for p in text.rstrip("\r\n").split("\t") if p.strip()]
    request_id = parts[0][len(_PREFIX):].strip()
    if not request_id:
        raise ReportLineError(f"REPORT line without a request id: {line[:120]!r}")
    values: dict[str, object] = {}
    extra: dict[str, str] = {}
    status: str | None = None
    for part in parts[1:]:
        match = _FIELD.match(part)
        if match is None:
            extra[part.strip()] = ""
            continue
        name, raw = match.group(1).strip(), match.group(2)
        if name == "Status":
            status = raw
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
    return ReportLine(request_id=request_id, status=status, extra=extra, **values)  # type: ignore[arg-type]


def read_report_lines(lines: Iterable[str]) -> Iterator[ReportLine]:
    """Every REPORT line among ``lines`` (other log lines are skipped: they are not REPORTs)."""
    for line in lines:
        if is_report_line(line):
            yield parse_report_line(line)
