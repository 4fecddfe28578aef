"""``LogType: Tail``: the last 4 KB of one invocation's log lines, for ``X-Amz-Log-Result``."""

from __future__ import annotations

import asyncio
import base64

from ..logs._logs import StackLog

__all__ = ["TAIL_BYTES", "LogTail"]

#: AWS's limit on what ``X-Amz-Log-Result`` carries: the last 4 KB of the invocation's log
TAIL_BYTES = 4096
#: how long a ``Tail`` invocation waits for its REPORT line once its result is in
_TAIL_WAIT_S = 2.0


_TEXT_PLATFORM = ("START RequestId: ", "END RequestId: ", "REPORT RequestId: ")


def _platform_kind(line: str) -> str | None:
    """``start``, ``end`` or ``report`` for a platform line of an invocation, in text or in
    JSON log format (``platform.start``, ``platform.runtimeDone``, ``platform.report``)."""
    for kind, prefix in zip(("start", "end", "report"), _TEXT_PLATFORM, strict=True):
        if line.startswith(prefix):
            return kind
    if line.startswith("{") and '"type":"platform.' in line:
        for kind, name in (
            ("start", "platform.start"),
            ("end", "platform.runtimeDone"),
            ("report", "platform.report"),
        ):
            if f'"type":"{name}"' in line:
                return kind
    return None


class LogTail:
    """``LogType: Tail``: the lines of one invocation's log, collected as they are written,
    from its START to its REPORT (text or JSON log format); the last 4 KB of them, base64, is
    ``X-Amz-Log-Result``.

    All of a function's instances write one log here (AWS: one stream per instance): another
    invocation's START, END and REPORT are left out, but output written by another instance
    of the same function while this invocation ran may show in its tail.
    """

    def __init__(self, log: StackLog, request_id: str) -> None:
        self.log = log
        self.request_id = request_id
        self.lines: list[str] = []
        log.taps.append(self._seen)

    def _seen(self, lines: list[str]) -> None:
        self.lines.extend(lines)

    def close(self) -> None:
        if self._seen in self.log.taps:
            self.log.taps.remove(self._seen)

    def _is(self, kind: str, line: str) -> bool:
        return _platform_kind(line) == kind and self.request_id in line

    async def result(self, *, expect_report: bool) -> str:
        """The base64 tail, once the REPORT is written (the host writes it right after the
        result); ``expect_report`` False (throttled, failed init): what was written."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + _TAIL_WAIT_S
        for _ in range(3):
            await asyncio.sleep(0)
        while expect_report and not any(self._is("report", line) for line in self.lines):
            if loop.time() > deadline:
                break
            await asyncio.sleep(0.005)
        self.close()
        return base64.b64encode(self._tail().encode()[-TAIL_BYTES:]).decode()

    def _tail(self) -> str:
        begin = next((i for i, line in enumerate(self.lines) if self._is("start", line)), 0)
        kept: list[str] = []
        for line in self.lines[begin:]:
            if _platform_kind(line) is None or self.request_id in line:
                kept.append(line)
            if self._is("report", line):
                break
        return "".join(line + "\n" for line in kept)
