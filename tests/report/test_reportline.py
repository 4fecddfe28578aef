from __future__ import annotations

import pytest

from loadgen._reportline import ReportLineError, parse_report_line, read_report_lines

# Lines in the exact shape AWS writes them (tab-separated, a trailing tab, the odd space
# before the tab after "Billed Duration" seen in older logs).
COLD = (
    "REPORT RequestId: 3f5c1e0a-7b2d-4d8e-9a51-0c6f2b7e9d11\tDuration: 12.34 ms\t"
    "Billed Duration: 13 ms\tMemory Size: 512 MB\tMax Memory Used: 45 MB\t"
    "Init Duration: 187.02 ms\t\n"
)
WARM = (
    "REPORT RequestId: 9a1b2c3d-0000-4000-8000-000000000001\tDuration: 1.07 ms\t"
    "Billed Duration: 2 ms \tMemory Size: 256 MB\tMax Memory Used: 46 MB\t"
)
XRAY_SNAPSTART = (
    "REPORT RequestId: c0ffee00-1111-4222-8333-444455556666\tDuration: 45.10 ms\t"
    "Billed Duration: 46 ms\tMemory Size: 1024 MB\tMax Memory Used: 120 MB\t"
    "Restore Duration: 310.55 ms\tBilled Restore Duration: 193 ms\t\n"
    "XRAY TraceId: 1-5e1b4151-5ac6c58f5b5daa6f9d9d4f2b\tSegmentId: 6b4a7c7a4f4b2e2c\tSampled: true\t"
)
TIMEOUT = (
    "REPORT RequestId: 11111111-2222-4333-8444-555555555555\tDuration: 3000.00 ms\t"
    "Billed Duration: 3000 ms\tMemory Size: 128 MB\tMax Memory Used: 30 MB\tStatus: timeout"
)


def test_cold_start_line_has_init_duration() -> None:
    r = parse_report_line(COLD)
    assert r.request_id == "3f5c1e0a-7b2d-4d8e-9a51-0c6f2b7e9d11"
    assert (r.duration_ms, r.billed_duration_ms) == (12.34, 13.0)
    assert (r.memory_size_mb, r.max_memory_used_mb) == (512, 45)
    assert r.init_duration_ms == 187.02
    assert r.cold_start


def test_warm_line_has_no_init_duration() -> None:
    r = parse_report_line(WARM)
    assert r.init_duration_ms is None and not r.cold_start
    assert r.billed_duration_ms == 2.0 and r.memory_size_mb == 256


def test_snapstart_restore_is_a_restore_not_a_cold_start_and_unknown_fields_are_kept() -> None:
    r = parse_report_line(XRAY_SNAPSTART)
    assert r.restore_duration_ms == 310.55 and r.billed_restore_duration_ms == 193.0
    assert r.restore and not r.cold_start
    assert r.extra["SegmentId"] == "6b4a7c7a4f4b2e2c"


def test_status_is_read() -> None:
    assert parse_report_line(TIMEOUT).status == "timeout"


def test_line_after_a_timestamp_is_read() -> None:
    r = parse_report_line("2026-11-28T10:00:00.000Z\t" + WARM)
    assert r.duration_ms == 1.07


def test_reader_skips_other_lines_and_keeps_every_report() -> None:
    log = ["START RequestId: x Version: $LATEST\n", "hello from the handler\n", COLD, "END RequestId: x\n", WARM]
    assert [r.request_id[:8] for r in read_report_lines(log)] == ["3f5c1e0a", "9a1b2c3d"]


@pytest.mark.parametrize(
    "line, problem",
    [
        ("START RequestId: abc", "not a REPORT line"),
        ("REPORT RequestId: \tDuration: 1 ms", "without a request id"),
        ("REPORT RequestId: a\tDuration: fast\tBilled Duration: 1 ms\tMemory Size: 1 MB\tMax Memory Used: 1 MB", "no number"),
        ("REPORT RequestId: a\tDuration: 1.0 ms", "lacks billed_duration_ms"),
    ],
)
def test_bad_lines_say_what_is_wrong(line: str, problem: str) -> None:
    with pytest.raises(ReportLineError, match=problem):
        parse_report_line(line)
