"""A stack's ``log_format``: the same invocations written as text lines or as JSON platform
records read back as the same REPORT and INIT_REPORT records and the same failure counts."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from emulator import FunctionSpec
from emulator.logs._platform_log import closing_lines, init_report_line
from emulator.logs._report_writer import report_line, start_line
from report._failures import failure_kinds
from report._reportline import read_init_reports, read_report_lines

# (cold start, restore, status, error type, duration ms, init/restore ms): a cold start, warm
# ones, a SnapStart restore, a timeout, an out-of-memory crash, figures with many decimals.
INVOCATIONS: list[tuple[bool, bool, str | None, str | None, float, float]] = [
    (True, False, None, None, 12.3456, 187.0249),
    (False, False, None, None, 1.004, 0.0),
    (False, False, None, None, 0.4999, 0.0),
    (False, True, None, None, 45.1, 310.555),
    (False, False, "timeout", None, 3000.0, 0.0),
    (False, False, "error", "Runtime.OutOfMemory", 811.3333, 0.0),
]


def _log(log_format: str) -> list[str]:
    lines: list[str] = []
    for number, (cold, restore, status, error_type, duration_ms, start_ms) in enumerate(
        INVOCATIONS
    ):
        request_id = f"00000000-0000-4000-8000-{number:012d}"
        inst = SimpleNamespace(init_duration_ms=start_ms, after_restore_ms=start_ms / 3)
        inv = SimpleNamespace(
            request_id=request_id, cold_start=cold, init_in_invoke=False, restore=restore
        )
        lines.append(start_line(request_id, log_format=log_format))
        lines.append("a line of the function's own output")
        lines += closing_lines(
            inst,  # type: ignore[arg-type]
            inv,  # type: ignore[arg-type]
            duration_ms=duration_ms,
            memory_size_mb=512,
            max_memory_used_mb=40 + number,
            status=status,
            error_type=error_type,
            log_format=log_format,
        )
    lines += [
        init_report_line(10_000.126, status="timeout", log_format=log_format),
        init_report_line(
            2113.8,
            status="error",
            error_type="Runtime.ImportModuleError",
            phase="invoke",
            log_format=log_format,
        ),
        init_report_line(250.0, status="success", log_format=log_format),
    ]
    return lines


def test_both_formats_read_back_as_the_same_records_and_failures() -> None:
    text, as_json = _log("text"), _log("json")
    reports = list(read_report_lines(text))
    assert len(reports) == len(INVOCATIONS)
    assert list(read_report_lines(as_json)) == reports
    assert list(read_init_reports(as_json)) == list(read_init_reports(text))
    assert failure_kinds(as_json) == failure_kinds(text)
    kinds = failure_kinds(text).kinds
    assert (kinds["function timeout"], kinds["out of memory"], kinds["init timeout"]) == (1, 1, 1)
    # The cold start's billing includes its init; the restore's, its billed part.
    cold, restored = reports[0], reports[3]
    assert (cold.init_duration_ms, cold.billed_duration_ms) == (187.02, 200.0)
    assert restored.restore and restored.billed_restore_duration_ms is not None


def test_json_records_have_the_telemetry_api_shape() -> None:
    records = [json.loads(line) for line in _log("json") if line.startswith("{")]
    kinds = [r["type"] for r in records]
    assert kinds[:3] == ["platform.start", "platform.runtimeDone", "platform.report"]
    assert kinds.count("platform.report") == len(INVOCATIONS)
    assert kinds.count("platform.initReport") == 3
    report = records[2]
    assert set(report) == {"time", "type", "record"} and report["time"].endswith("Z")
    assert report["record"]["status"] == "success"
    assert report["record"]["metrics"] == {
        "durationMs": 12.35,
        "billedDurationMs": 200,
        "memorySizeMB": 512,
        "maxMemoryUsedMB": 40,
        "initDurationMs": 187.02,
    }
    failed = next(
        r for r in records if r["type"] == "platform.report" and r["record"]["status"] == "error"
    )
    assert failed["record"]["errorType"] == "Runtime.OutOfMemory"
    init_failed = [r for r in records if r["type"] == "platform.initReport"][1]["record"]
    assert init_failed == {
        "initializationType": "on-demand",
        "phase": "invoke",
        "status": "error",
        "errorType": "Runtime.ImportModuleError",
        "metrics": {"durationMs": 2113.8},
    }
    # The text form is untouched by the option.
    assert report_line(
        request_id="r", duration_ms=1.0, memory_size_mb=128, max_memory_used_mb=30
    ).startswith("REPORT RequestId: r\tDuration: 1.00 ms")


async def _get(client: httpx.AsyncClient, url: str) -> httpx.Response:
    return await client.get(url, timeout=30)


@pytest.mark.anyio
@pytest.mark.slow
async def test_a_json_stack_hosted_here_writes_platform_records_the_report_reads(
    emulator_at: Callable[..., Any], make_spec: Callable[..., FunctionSpec]
) -> None:
    async with (
        emulator_at([make_spec(log_format="json", timeout_s=1.0)]) as run,
        httpx.AsyncClient() as client,
    ):
        await asyncio.gather(*(_get(client, run.url() + "/sleep?s=0.2") for _ in range(2)))
        for _ in range(3):
            assert (await _get(client, run.url() + "/pid")).status_code == 200
        await _get(client, run.url() + "/sleep?s=3")  # past the 1 s timeout
        deadline = time.monotonic() + 30  # the last REPORT line, however busy the host
        while len(run.reports()) < 6 and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        lines = run.log_text().splitlines()
        reports = run.reports()
        cold = {str(e["request_id"]) for e in run.events(kind="started")}
    assert not any(line.startswith(("START ", "END ", "REPORT ")) for line in lines)
    platform = [json.loads(line) for line in lines if line.startswith('{"time"')]
    assert {r["type"] for r in platform} >= {
        "platform.start",
        "platform.runtimeDone",
        "platform.report",
    }
    assert len(reports) == 6
    assert {r.request_id for r in reports if r.init_duration_ms is not None} == cold
    assert [r.status for r in reports].count("timeout") == 1
    assert failure_kinds(lines).kinds["function timeout"] == 1
