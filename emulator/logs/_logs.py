"""Per-stack logs: the CloudWatch-format stream (``<stack>.log``) and the instance event log
(``<stack>.events.jsonl``) that tests and the report hold cold-start flags against."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from resultfiles import events_path, log_path


def iso_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class StackLog:
    """Append-only writers for one stack's two logs; every write is flushed (tests read them)."""

    def __init__(self, log_dir: Path, stack: str) -> None:
        log_dir.mkdir(parents=True, exist_ok=True)
        self.path = log_path(log_dir, stack)
        self.events_path = events_path(log_dir, stack)
        self.stack = stack
        # Open for the emulator's lifetime; close() ends them.
        self._log: IO[str] = open(self.path, "a", encoding="utf-8")  # noqa: SIM115
        self._events: IO[str] = open(self.events_path, "a", encoding="utf-8")  # noqa: SIM115
        #: who else reads the lines as they are written (the Lambda API's ``LogType: Tail``)
        self.taps: list[Callable[[list[str]], None]] = []

    def lines(self, lines: list[str]) -> None:
        """CloudWatch messages, one per line, exactly as Lambda writes them."""
        if lines:
            self._log.write("\n".join(lines) + "\n")
            self._log.flush()
            for tap in list(self.taps):
                tap(lines)

    def event(self, event: str, **fields: object) -> None:
        record = {"time": iso_now(), "t_s": round(time.monotonic(), 6), "stack": self.stack}
        record["event"] = event
        record.update(fields)
        self._events.write(json.dumps(record, separators=(",", ":")) + "\n")
        self._events.flush()

    def close(self) -> None:
        self._log.close()
        self._events.close()


def read_events(path: Path) -> list[dict[str, object]]:
    """The records of an instance event log (for tests and the report)."""
    if not path.exists():
        return []
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]
