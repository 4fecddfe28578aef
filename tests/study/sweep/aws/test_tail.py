"""What one Invoke's log tail says: the kind of failure, as Lambda answers it, and the REPORT
in a text or a JSON tail."""

from __future__ import annotations

import json
from typing import Any

import pytest

from report import read_report_lines
from study.sweep.aws._tail import failure_kind, first_report


def _tail(*lines: str) -> str:
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    ("function_error", "payload", "tail", "kind"),
    [
        (None, {"statusCode": 200, "body": "{}"}, "", None),
        (None, {"statusCode": 503, "body": "{}"}, "", "http_5xx"),
        (None, {"statusCode": 400, "body": "{}"}, "", "http_4xx"),
        # AWS's answer to a function killed for memory (its REPORT says it too).
        (
            "Unhandled",
            {
                "errorType": "Runtime.OutOfMemory",
                "errorMessage": "RequestId: r1 Error: Runtime exited with error: signal: killed",
            },
            _tail(
                "REPORT RequestId: r1\tDuration: 80.00 ms\tBilled Duration: 80 ms\tMemory Size: "
                "128 "
                "MB\tMax Memory Used: 128 MB\tStatus: error\tError Type: Runtime.OutOfMemory"
            ),
            "out_of_memory",
        ),
        (
            "Unhandled",
            {"errorMessage": "2026-12-06T00:00:00.000Z r2 Task timed out after 3.00 seconds"},
            "",
            "timeout",
        ),
        (
            "Unhandled",
            {"errorType": "Runtime.ImportModuleError", "errorMessage": "No module"},
            _tail(
                "INIT_REPORT Init Duration: 80.00 ms\tPhase: init\tStatus: error\tError Type: "
                "Runtime.ImportModuleError"
            ),
            "init_failure",
        ),
        (
            "Unhandled",
            {
                "errorType": "Runtime.ExitError",
                "errorMessage": "RequestId: r3 Error: Runtime exited with error: exit status 7",
            },
            "",
            "crash",
        ),
        ("Unhandled", {"errorType": "ValueError", "errorMessage": "bad"}, "", "function_error"),
        # A function whose log format is JSON tells a failed init in a platform.initReport event.
        (
            "Unhandled",
            {"errorType": "Runtime.Unknown", "errorMessage": "init"},
            _tail(
                '{"time":"2026-12-06T00:00:00.000Z","type":"platform.initReport","record":'
                '{"initializationType":"on-demand","phase":"init","status":"error",'
                '"errorType":"Runtime.Unknown","metrics":{"durationMs":80.0}}}'
            ),
            "init_failure",
        ),
    ],
)
def test_failures_are_told_by_kind_as_lambda_answers_them(
    function_error: str | None, payload: dict[str, Any], tail: str, kind: str | None
) -> None:
    reports = list(read_report_lines(tail.splitlines()))
    report = reports[0] if reports else None
    assert failure_kind(function_error, json.dumps(payload).encode(), report, tail) == kind


@pytest.mark.parametrize(
    "tail",
    [
        _tail(
            "START RequestId: r7 Version: 3",
            "END RequestId: r7",
            "REPORT RequestId: r7\tDuration: 2.14 ms\tBilled Duration: 233 ms\tMemory Size: 128 "
            "MB\tMax Memory Used: 68 MB\tInit Duration: 230.72 ms\t",
        ),
        _tail(
            '{"time":"2026-12-06T00:00:00.000Z","type":"platform.start","record":'
            '{"requestId":"r7","version":"3"}}',
            '{"time":"2026-12-06T00:00:00.300Z","type":"platform.report","record":'
            '{"requestId":"r7","metrics":{"durationMs":2.14,"billedDurationMs":233,'
            '"memorySizeMB":128,"maxMemoryUsedMB":68,"initDurationMs":230.72},'
            '"status":"success"}}',
        ),
    ],
    ids=["text", "json"],
)
def test_the_report_is_read_from_a_text_or_a_json_log_tail(tail: str) -> None:
    report = first_report(tail)
    assert report is not None and report.request_id == "r7"
    assert (report.duration_ms, report.billed_duration_ms, report.init_duration_ms) == (
        2.14,
        233,
        230.72,
    )
    assert (report.memory_size_mb, report.max_memory_used_mb, report.status) == (128, 68, None)
