"""The platform's log lines of inits and crashes."""

from __future__ import annotations

from emulator.logs._platform_log import crashed_lines, init_report_line


def test_platform_lines_of_inits_and_crashes() -> None:
    assert init_report_line(12.345, status="success") == (
        "INIT_REPORT Init Duration: 12.35 ms\tPhase: init\tStatus: success"
    )
    assert init_report_line(3.0, status="error", error_type="Runtime.ExitError") == (
        "INIT_REPORT Init Duration: 3.00 ms\tPhase: init\tStatus: error"
        "\tError Type: Runtime.ExitError"
    )
    assert init_report_line(10000.0, status="timeout", error_type="Sandbox.Timedout") == (
        "INIT_REPORT Init Duration: 10000.00 ms\tPhase: init\tStatus: timeout"
    )
    assert crashed_lines("r-1", exit_code=-9, error_type="Runtime.OutOfMemory") == [
        "RequestId: r-1 Error: Runtime exited with error: signal: killed",
        "Runtime.OutOfMemory",
    ]
    assert crashed_lines("r-2", exit_code=1, error_type="Runtime.ExitError")[0].endswith(
        "exit status 1"
    )
