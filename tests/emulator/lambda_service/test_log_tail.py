"""A log tail (``LogType: Tail``): the lines of one invocation from the stack's shared log, in
the text and the JSON log format, at most 4 KB as Lambda returns it."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from emulator.lambda_service._log_tail import LogTail
from emulator.logs._logs import StackLog

pytestmark = pytest.mark.anyio


async def test_a_log_tail_is_its_invocation_s_lines_and_at_most_4_kb(tmp_path: Path) -> None:
    log = StackLog(tmp_path, "fn")
    try:
        tail = LogTail(log, "r1")
        log.lines(["START RequestId: r0 Version: $LATEST", "before r1"])
        log.lines(["START RequestId: r1 Version: $LATEST", "x" * 3000])
        # Another instance's invocation ends while r1 runs: its platform lines are not r1's.
        log.lines(["END RequestId: r0", "REPORT RequestId: r0\tDuration: 1.00 ms"])
        log.lines(
            [
                "y" * 2000,
                "END RequestId: r1",
                (
                    "REPORT RequestId: r1\tDuration: 2.00 ms\tBilled Duration: 2 ms\t"
                    "Memory Size: 128 MB\tMax Memory Used: 30 MB\t"
                ),
            ]
        )
        log.lines(["START RequestId: r2 Version: $LATEST"])
        text = base64.b64decode(await tail.result(expect_report=True)).decode()
    finally:
        log.close()
    assert len(text.encode()) == 4096
    assert text.endswith("Max Memory Used: 30 MB\t\n")
    assert "r0" not in text and "r2" not in text and "y" * 2000 in text
    assert log.taps == []


async def test_a_log_tail_reads_the_json_log_format_too(tmp_path: Path) -> None:
    def record(kind: str, **fields: object) -> str:
        return json.dumps(
            {"time": "2026-12-06T00:00:00.000Z", "type": kind, "record": fields},
            separators=(",", ":"),
        )

    log = StackLog(tmp_path, "fn")
    try:
        tail = LogTail(log, "r1")
        log.lines([record("platform.start", requestId="r0", version="$LATEST")])
        log.lines([record("platform.start", requestId="r1", version="$LATEST"), "mine"])
        log.lines([record("platform.report", requestId="r0", metrics={"durationMs": 1.0})])
        log.lines(
            [
                record("platform.runtimeDone", requestId="r1", status="success"),
                record("platform.report", requestId="r1", metrics={"durationMs": 2.0}),
            ]
        )
        log.lines(["after"])
        text = base64.b64decode(await tail.result(expect_report=True)).decode()
    finally:
        log.close()
    lines = text.splitlines()
    assert [json.loads(line)["type"] if line.startswith("{") else line for line in lines] == [
        "platform.start",
        "mine",
        "platform.runtimeDone",
        "platform.report",
    ]
    assert all('"r0"' not in line for line in lines)
