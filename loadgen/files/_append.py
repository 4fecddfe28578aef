"""A result file appended by whole lines: never left with a torn line when the disk refuses."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["AppendFile"]


class AppendFile:
    """A result file written by appending whole lines, never left with a torn line.

    Text waits in memory until ``flush``. When the disk refuses, what was not written stays
    pending, so a later flush (after space was freed) goes on exactly where it stopped;
    ``cut`` instead drops it and cuts the file back to its last whole line.
    """

    def __init__(self, path: Path, *, fd: int | None = None) -> None:
        self.path = path
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666) if fd is None else fd
        self._pending: list[str] = []
        self.pending_chars = 0
        self._tail = b""
        #: Bytes in the file, and up to the end of its last whole line.
        self.size = 0
        self.line_end = 0
        #: Whole lines in the file.
        self.lines = 0

    def write(self, text: str) -> None:
        self._pending.append(text)
        self.pending_chars += len(text)

    def flush(self) -> None:
        if self._pending:
            self._tail += "".join(self._pending).encode("utf-8")
            self._pending.clear()
            self.pending_chars = 0
        while self._tail:
            written = os.write(self._fd, self._tail)
            chunk = self._tail[:written]
            last = chunk.rfind(b"\n")
            if last >= 0:
                self.line_end = self.size + last + 1
                self.lines += chunk.count(b"\n")
            self.size += written
            self._tail = self._tail[written:]

    def cut(self) -> None:
        """Forget what is pending and cut a torn last line (truncating frees space)."""
        self._pending.clear()
        self.pending_chars = 0
        self._tail = b""
        if self.size != self.line_end:
            os.ftruncate(self._fd, self.line_end)
            self.size = self.line_end

    def close(self) -> None:
        os.close(self._fd)
