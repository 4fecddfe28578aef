"""Failures by kind in one stack's log (``logs/<stack>.log``), and its largest Max Memory Used.

How a failure is classified (Lambda's REPORT and INIT_REPORT fields; docs/results.md):

- out of memory: ``Error Type: Runtime.OutOfMemory`` (in an invocation or in init);
- init timeout: INIT_REPORT ``Status: timeout`` (the 10 s init limit; Lambda retries the init
  inside the first invocation, ``Phase: invoke``, under the function's timeout);
- init failure: INIT_REPORT ``Status: error`` for any other error type
  (``Runtime.ImportModuleError``, ``Runtime.InitError``, ``Runtime.ExitError``...);
- function timeout: REPORT ``Status: timeout`` (``Task timed out``);
- other: REPORT ``Status: error`` with any other error type, or none.

A REPORT line that closes an invocation whose retried init failed (an INIT_REPORT with
``Phase: invoke`` just before it) is that init's failure, counted once.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from ._reportline import (
    ReportLine,
    ReportLineError,
    is_report_line,
    parse_init_report_line,
    parse_report_line,
)

__all__ = ["FAILURE_KINDS", "LogFailures", "failure_kinds"]

#: The failure kinds, in the order the report shows them.
FAILURE_KINDS = ("out of memory", "init timeout", "init failure", "function timeout", "other")
OUT_OF_MEMORY = "Runtime.OutOfMemory"


def _report_kind(report: ReportLine) -> str | None:
    status = (report.status or "").lower()
    if report.error_type == OUT_OF_MEMORY:
        return "out of memory"
    if status in ("", "success"):
        return None
    if status == "timeout":
        return "function timeout"
    return "other"


@dataclass(frozen=True, kw_only=True)
class LogFailures:
    """What one stack's log says went wrong."""

    #: failures by kind (``FAILURE_KINDS``)
    kinds: Counter[str]
    #: the error types the failed lines name (``Runtime.OutOfMemory``, ...; a timeout names none)
    error_types: Counter[str]
    #: the largest Max Memory Used of the log's REPORT lines, MB
    peak_mb: int | None
    #: ``line number: why`` of REPORT lines that could not be read
    problems: list[str]


def failure_kinds(lines: Iterable[str]) -> LogFailures:
    """The failures by kind in one stack's log, and its largest Max Memory Used."""
    kinds: Counter[str] = Counter()
    error_types: Counter[str] = Counter()
    peak_mb: int | None = None
    problems: list[str] = []
    retried_init_failed = False
    for number, line in enumerate(lines, start=1):
        init = parse_init_report_line(line)
        if init is not None:
            status = (init.status or "").lower()
            if status in ("", "success"):
                continue
            if init.error_type:
                error_types[init.error_type] += 1
            if init.error_type == OUT_OF_MEMORY:
                kinds["out of memory"] += 1
            elif status == "timeout":
                kinds["init timeout"] += 1
            else:
                kinds["init failure"] += 1
            retried_init_failed = init.phase == "invoke"
            continue
        if not is_report_line(line):
            continue
        try:
            report = parse_report_line(line)
        except ReportLineError as exc:
            problems.append(f"{number}: {exc}")
            continue
        peak_mb = max(peak_mb or 0, report.max_memory_used_mb)
        kind = _report_kind(report)
        if kind is not None and not retried_init_failed:
            kinds[kind] += 1
            if report.error_type:
                error_types[report.error_type] += 1
        retried_init_failed = False
    return LogFailures(kinds=kinds, error_types=error_types, peak_mb=peak_mb, problems=problems)
