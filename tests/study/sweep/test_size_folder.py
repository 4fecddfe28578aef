"""What a sweep writes: its invocations as REPORT lines that read back the same."""

from __future__ import annotations

from report import parse_report_line
from study.sweep._samples import Invocation
from study.sweep._size_folder import report_lines


def test_invocations_written_back_as_report_lines_read_the_same() -> None:
    inv = Invocation(
        memory_mb=1024,
        forced_cold=True,
        cold=True,
        client_ms=None,
        duration_ms=15.74,
        billed_ms=147,
        init_ms=130.49,
        max_memory_mb=56,
        request_id="8f5e",
    )
    (line,) = report_lines([inv])
    parsed = parse_report_line(line)
    assert (
        parsed.request_id,
        parsed.duration_ms,
        parsed.billed_duration_ms,
        parsed.init_duration_ms,
        parsed.memory_size_mb,
    ) == ("8f5e", 15.74, 147, 130.49, 1024)
