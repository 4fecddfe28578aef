from __future__ import annotations

import json
from typing import Any

import pytest

from report._reportline import (
    ReportLineError,
    iter_report_lines,
    parse_init_report_line,
    parse_report_line,
    read_init_reports,
    read_report_lines,
)

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
    "XRAY TraceId: 1-5e1b4151-5ac6c58f5b5daa6f9d9d4f2b\tSegmentId: 6b4a7c7a4f4b2e2c"
    "\tSampled: true\t"
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
    assert (r.xray_trace_id, r.xray_segment_id, r.xray_sampled) == (
        "1-5e1b4151-5ac6c58f5b5daa6f9d9d4f2b",
        "6b4a7c7a4f4b2e2c",
        True,
    )
    assert parse_report_line(COLD.replace("\t\n", "\tMystery Field: 7 units\t\n")).extra == {
        "Mystery Field": "7 units"
    }


def test_status_is_read() -> None:
    assert parse_report_line(TIMEOUT).status == "timeout"


def test_line_after_a_timestamp_is_read() -> None:
    r = parse_report_line("2026-11-28T10:00:00.000Z\t" + WARM)
    assert r.duration_ms == 1.07


def test_reader_skips_other_lines_and_keeps_every_report() -> None:
    log = [
        "START RequestId: x Version: $LATEST\n",
        "hello from the handler\n",
        COLD,
        "END RequestId: x\n",
        WARM,
    ]
    assert [r.request_id[:8] for r in read_report_lines(log)] == ["3f5c1e0a", "9a1b2c3d"]


@pytest.mark.parametrize(
    "line, problem",
    [
        ("START RequestId: abc", "not a REPORT line"),
        ("REPORT RequestId: \tDuration: 1 ms", "without a request id"),
        (
            (
                "REPORT RequestId: a\tDuration: fast\tBilled Duration: 1 ms\tMemory Size: 1 MB"
                "\tMax Memory Used: 1 MB"
            ),
            "no number",
        ),
        ("REPORT RequestId: a\tDuration: 1.0 ms", "lacks billed_duration_ms"),
    ],
)
def test_bad_lines_say_what_is_wrong(line: str, problem: str) -> None:
    with pytest.raises(ReportLineError, match=problem):
        parse_report_line(line)


# Lines as the console and web pages show them: every tab turned into a space, one family
# of runtime each (the shapes AWS writes for Python, Java with and without SnapStart, and
# the newer failure lines with Status and Error Type).
COPIED: dict[str, tuple[str, dict[str, object]]] = {
    "python": (
        (
            "REPORT RequestId: 89ba7dfa-72d1-4ad7-9dac-2214d1698697 Duration: 4.42 ms "
            "Billed Duration: 338 ms Memory Size: 1152 MB Max Memory Used: 75 MB "
            "Init Duration: 333.05 ms"
        ),
        {
            "duration_ms": 4.42,
            "billed_duration_ms": 338.0,
            "memory_size_mb": 1152,
            "max_memory_used_mb": 75,
            "init_duration_ms": 333.05,
        },
    ),
    "java": (
        (
            "2026-11-28T10:00:00.000Z REPORT RequestId: 0b1c2d3e-aaaa-4bbb-8ccc-dddddddddddd  "
            "Duration: 1810.31 ms  Billed Duration: 1811 ms  Memory Size: 512 MB  "
            "Max Memory Used: 161 MB  Init Duration: 601.77 ms  "
        ),
        {
            "duration_ms": 1810.31,
            "billed_duration_ms": 1811.0,
            "memory_size_mb": 512,
            "max_memory_used_mb": 161,
            "init_duration_ms": 601.77,
        },
    ),
    "java-snapstart": (
        (
            "REPORT RequestId: c0ffee00-1111-4222-8333-444455556666 Duration: 45.10 ms "
            "Billed Duration: 46 ms Memory Size: 1024 MB Max Memory Used: 120 MB "
            "Restore Duration: 310.55 ms Billed Restore Duration: 193 ms "
            "XRAY TraceId: 1-5e1b4151-5ac6c58f5b5daa6f9d9d4f2b SegmentId: 6b4a7c7a4f4b2e2c "
            "Sampled: true"
        ),
        {
            "duration_ms": 45.10,
            "billed_duration_ms": 46.0,
            "restore_duration_ms": 310.55,
            "billed_restore_duration_ms": 193.0,
            "xray_segment_id": "6b4a7c7a4f4b2e2c",
            "xray_sampled": True,
        },
    ),
    "failure": (
        (
            "REPORT RequestId: 16f8d3a2-26fc-11e8-bca6-73dbc61c39e7 Duration: 24792.85 ms "
            "Billed Duration: 24793 ms Memory Size: 128 MB Max Memory Used: 129 MB "
            "Status: error Error Type: Runtime.OutOfMemory"
        ),
        {
            "duration_ms": 24792.85,
            "max_memory_used_mb": 129,
            "status": "error",
            "error_type": "Runtime.OutOfMemory",
            "init_duration_ms": None,
        },
    ),
}


@pytest.mark.parametrize("family", sorted(COPIED))
def test_lines_whose_tabs_became_spaces_are_read(family: str) -> None:
    line, expected = COPIED[family]
    r = parse_report_line(line)
    assert {name: getattr(r, name) for name in expected} == expected
    assert r.extra == {}
    # The same line with tabs reads the same.
    tabbed = line.replace("  ", "\t").replace(" ms ", " ms\t").replace(" MB ", " MB\t")
    assert parse_report_line(tabbed) == r


def test_failure_with_tabs_keeps_status_and_error_type() -> None:
    r = parse_report_line(
        "REPORT RequestId: 16f8d3a2\tDuration: 3000.00 ms\tBilled Duration: 3000 ms\tMemory Size: "
        "128 MB\t"
        "Max Memory Used: 30 MB\tStatus: error\tError Type: Runtime.ExitError\t"
    )
    assert (r.status, r.error_type) == ("error", "Runtime.ExitError")


def test_xray_part_on_the_next_line_keeps_its_trace_ids() -> None:
    first, second = XRAY_SNAPSTART.split("\n")
    log = ["START RequestId: c0ffee00 Version: $LATEST\n", first + "\n", second + "\n", WARM + "\n"]
    assert [n for n, _ in iter_report_lines(log)] == [2, 4]
    reports = list(read_report_lines(log))
    assert reports[0].xray_trace_id == "1-5e1b4151-5ac6c58f5b5daa6f9d9d4f2b"
    assert reports[1].xray_trace_id is None and reports[1].request_id.startswith("9a1b2c3d")


# --- the JSON log format (logFormat: JSON) ---------------------------------------------------
# Records in the Telemetry API's schema as a JSON-format function's log group holds them, one
# object per event: the same invocations as COLD, XRAY_SNAPSTART and TIMEOUT above, and the
# events a text log has no REPORT for (start, runtimeDone, an application log line).
def _event(kind: str, time: str, record: dict[str, Any]) -> str:
    return json.dumps({"time": time, "type": kind, "record": record}, separators=(",", ":"))


JSON_COLD = _event(
    "platform.report",
    "2026-11-28T10:00:00.187Z",
    {
        "requestId": "3f5c1e0a-7b2d-4d8e-9a51-0c6f2b7e9d11",
        "metrics": {
            "durationMs": 12.34,
            "billedDurationMs": 13,
            "memorySizeMB": 512,
            "maxMemoryUsedMB": 45,
            "initDurationMs": 187.02,
        },
        "status": "success",
    },
)
JSON_SNAPSTART = _event(
    "platform.report",
    "2026-11-28T10:00:01.000Z",
    {
        "requestId": "c0ffee00-1111-4222-8333-444455556666",
        "metrics": {
            "durationMs": 45.1,
            "billedDurationMs": 46,
            "memorySizeMB": 1024,
            "maxMemoryUsedMB": 120,
            "restoreDurationMs": 310.55,
            "billedRestoreDurationMs": 193,
        },
        "tracing": {
            "type": "X-Amzn-Trace-Id",
            "value": "Root=1-5e1b4151-5ac6c58f5b5daa6f9d9d4f2b;Parent=6b4a7c7a4f4b2e2c;Sampled=1",
        },
        "status": "success",
    },
)
JSON_TIMEOUT = _event(
    "platform.report",
    "2026-11-28T10:00:04.000Z",
    {
        "requestId": "11111111-2222-4333-8444-555555555555",
        "metrics": {
            "durationMs": 3000.0,
            "billedDurationMs": 3000,
            "memorySizeMB": 128,
            "maxMemoryUsedMB": 30,
        },
        "status": "timeout",
    },
)
JSON_OTHER = [
    _event(
        "platform.initStart",
        "2026-11-28T10:00:00.000Z",
        {
            "initializationType": "on-demand",
            "phase": "init",
            "functionName": "f",
            "functionVersion": "$LATEST",
        },
    ),
    _event(
        "platform.start",
        "2026-11-28T10:00:00.000Z",
        {"requestId": "3f5c1e0a-7b2d-4d8e-9a51-0c6f2b7e9d11", "version": "$LATEST"},
    ),
    json.dumps(
        {
            "timestamp": "2026-11-28T10:00:00.100Z",
            "level": "INFO",
            "requestId": "3f5c1e0a",
            "message": '"platform.report" in the function\'s own line',
        }
    ),
    _event(
        "platform.runtimeDone",
        "2026-11-28T10:00:00.180Z",
        {
            "requestId": "3f5c1e0a-7b2d-4d8e-9a51-0c6f2b7e9d11",
            "status": "success",
            "metrics": {"durationMs": 12.0, "producedBytes": 80},
        },
    ),
]


@pytest.mark.parametrize(
    "text, json_line",
    [(COLD, JSON_COLD), (XRAY_SNAPSTART, JSON_SNAPSTART), (TIMEOUT, JSON_TIMEOUT)],
)
def test_a_json_platform_report_reads_as_the_same_report_line(text: str, json_line: str) -> None:
    assert parse_report_line(json_line) == parse_report_line(text.replace("\n", "\t"))


def test_json_reports_are_found_among_the_other_json_events() -> None:
    log = [*JSON_OTHER, JSON_COLD, JSON_TIMEOUT]
    assert [r.request_id[:8] for r in read_report_lines(log)] == ["3f5c1e0a", "11111111"]
    # An exported log puts a timestamp and a tab before the object, as before a text line.
    assert parse_report_line("2026-11-28T10:00:00.187Z\t" + JSON_COLD).init_duration_ms == 187.02


@pytest.mark.parametrize(
    "record, problem",
    [
        ({"metrics": {"durationMs": 1}}, "without a requestId"),
        ({"requestId": "a"}, "without metrics"),
        (
            {
                "requestId": "a",
                "metrics": {
                    "durationMs": "1",
                    "billedDurationMs": 1,
                    "memorySizeMB": 1,
                    "maxMemoryUsedMB": 1,
                },
            },
            "not a number",
        ),
        ({"requestId": "a", "metrics": {"durationMs": 1}}, "lacks billedDurationMs"),
    ],
)
def test_bad_json_reports_say_what_is_wrong(record: dict[str, Any], problem: str) -> None:
    with pytest.raises(ReportLineError, match=problem):
        parse_report_line(_event("platform.report", "2026-11-28T10:00:00.000Z", record))


def test_json_init_reports_read_as_init_report_lines() -> None:
    text = [
        "INIT_REPORT Init Duration: 10000.12 ms\tPhase: init\tStatus: timeout",
        (
            "INIT_REPORT Init Duration: 2113.80 ms\tPhase: invoke\tStatus: error\t"
            "Error Type: Runtime.OutOfMemory"
        ),
    ]
    as_json = [
        _event(
            "platform.initReport",
            "2026-11-28T10:00:10.000Z",
            {
                "initializationType": "on-demand",
                "phase": "init",
                "status": "timeout",
                "metrics": {"durationMs": 10000.12},
            },
        ),
        _event(
            "platform.initReport",
            "2026-11-28T10:00:12.000Z",
            {
                "initializationType": "on-demand",
                "phase": "invoke",
                "status": "error",
                "errorType": "Runtime.OutOfMemory",
                "metrics": {"durationMs": 2113.8},
            },
        ),
    ]
    assert list(read_init_reports(as_json)) == list(read_init_reports(text))
    assert parse_init_report_line(JSON_OTHER[0]) is None
