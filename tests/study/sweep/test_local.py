"""The local backend: which sizes this host can emulate, and its reading of what came back
(failures by kind, REPORT lines by request id)."""

from __future__ import annotations

from pathlib import Path

import pytest

from report import parse_report_line
from study.sweep._local import _failure_of, _join, _Sent, not_emulable_reason


def test_a_size_beyond_the_hosts_cpus_is_not_emulable() -> None:
    assert not_emulable_reason(3538, cpus=2) is None
    reason = not_emulable_reason(3539, cpus=2)
    assert reason is not None and "not emulable" in reason and "--aws" in reason
    assert not_emulable_reason(10240, cpus=6) is None


@pytest.mark.parametrize(
    ("status", "body", "line", "kind"),
    [
        (200, b"{}", None, None),
        (502, b'{"errorType": "Runtime.OutOfMemory"}', None, "out_of_memory"),
        (200, b"{}", "Status: error\tError Type: Runtime.OutOfMemory", "out_of_memory"),
        (504, b"", "Status: timeout", "timeout"),
        (429, b'{"message": "Too Many Requests"}', None, "throttled"),
        (400, b'{"error": "bad"}', None, "http_4xx"),
        (500, b"{}", None, "http_5xx"),
        (None, b"", None, "connection"),
    ],
)
def test_failures_by_kind(
    status: int | None, body: bytes, line: str | None, kind: str | None
) -> None:
    report = None
    if line is not None:
        report = parse_report_line(
            "REPORT RequestId: r1\tDuration: 1.00 ms\tBilled Duration: 1 "
            f"ms\tMemory Size: 128 MB\tMax Memory Used: 128 MB\t{line}\t"
        )
    assert _failure_of(status, body, report) == kind


def test_report_lines_join_the_clients_records_by_request_id(tmp_path: Path) -> None:
    log = tmp_path / "fn.log"
    log.write_text(
        "START RequestId: a Version: $LATEST\n"
        "REPORT RequestId: a\tDuration: 3.50 ms\tBilled Duration: 124 ms\tMemory Size: 256 MB"
        "\tMax Memory Used: 40 MB\tInit Duration: 120.10 ms\t\n"
        "REPORT RequestId: b\tDuration: 1.20 ms\tBilled Duration: 2 ms\tMemory Size: 256 MB"
        "\tMax Memory Used: 41 MB\t\n"
    )
    sent = [
        (
            _Sent(
                request_id="b",
                forced_cold=False,
                client_ms=91.0,
                status=200,
                failure=None,
                request_index=0,
            ),
            b"{}",
        ),
        (
            _Sent(
                request_id="a",
                forced_cold=True,
                client_ms=230.0,
                status=200,
                failure=None,
                request_index=0,
            ),
            b"{}",
        ),
    ]
    warm, cold = _join(256, sent, log)
    assert (cold.cold, cold.init_ms, cold.billed_ms, cold.client_ms) == (True, 120.1, 124, 230.0)
    assert (warm.cold, warm.duration_ms, warm.max_memory_mb) == (False, 1.2, 41)
