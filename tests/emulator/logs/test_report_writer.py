"""The START, END and REPORT lines the emulator writes, and Lambda's billed duration."""

from __future__ import annotations

from emulator.logs._report_writer import billed_duration_ms, end_line, report_line, start_line
from report._reportline import parse_report_line


def test_report_line_round_trips_through_the_parser() -> None:
    cold = report_line(
        request_id="r-1",
        duration_ms=15.744,
        memory_size_mb=128,
        max_memory_used_mb=56,
        init_duration_ms=130.49,
    )
    assert cold == (
        "REPORT RequestId: r-1\tDuration: 15.74 ms\tBilled Duration: 147 ms\t"
        "Memory Size: 128 MB\tMax Memory Used: 56 MB\tInit Duration: 130.49 ms\t"
    )
    parsed = parse_report_line(cold)
    assert parsed.request_id == "r-1" and parsed.init_duration_ms == 130.49 and parsed.cold_start
    assert (parsed.duration_ms, parsed.billed_duration_ms) == (15.74, 147.0)
    warm = parse_report_line(
        report_line(request_id="r-2", duration_ms=0.2, memory_size_mb=512, max_memory_used_mb=40)
    )
    assert warm.init_duration_ms is None and warm.billed_duration_ms == 1.0
    timeout = parse_report_line(
        report_line(
            request_id="r-3",
            duration_ms=3000.0,
            memory_size_mb=128,
            max_memory_used_mb=30,
            status="timeout",
        )
    )
    assert timeout.status == "timeout"
    assert start_line("x") == "START RequestId: x Version: $LATEST"
    assert end_line("x") == "END RequestId: x"


def test_billed_duration_rounds_up_and_includes_init() -> None:
    assert billed_duration_ms(2.0, None) == 2
    assert billed_duration_ms(2.006, None) == 3
    assert billed_duration_ms(0.01, None) == 1
    assert billed_duration_ms(15.74, 130.49) == 147


def test_restore_report_line_has_restore_fields_not_init() -> None:
    line = report_line(
        request_id="r-4",
        duration_ms=306.34,
        memory_size_mb=1024,
        max_memory_used_mb=155,
        restore_duration_ms=302.5,
    )
    assert line == (
        "REPORT RequestId: r-4\tDuration: 306.34 ms\tBilled Duration: 610 ms\t"
        "Memory Size: 1024 MB\tMax Memory Used: 155 MB\t"
        "Restore Duration: 302.50 ms\tBilled Restore Duration: 303 ms\t"
    )
    parsed = parse_report_line(line)
    assert parsed.restore and not parsed.cold_start and parsed.init_duration_ms is None
    # AWS's own SnapStart line: Duration 306.34 ms + Billed Restore Duration 303 ms -> 610 ms.
    assert billed_duration_ms(306.34, None, 303) == 610
