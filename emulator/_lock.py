"""One emulator per build directory: ``<build>/emulator.lock``, held with ``flock`` for the
emulator's life and holding its pid.

Two emulators on one build directory would share ``endpoints.json`` and the logs: the second
would take the file over, append to the first's logs, and delete the file when it stops while
the first still serves. The lock is taken before anything is built or written; the kernel
releases it when its holder dies, however it dies, so a killed emulator never blocks the next
start (the file it leaves is taken over).
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import Self

from ._errors import EmulatorStartError

__all__ = ["BuildDirLock"]

LOCK_FILE = "emulator.lock"


class BuildDirLock:
    """``acquire()`` or EmulatorStartError naming the holder's pid; ``release()`` at the end."""

    def __init__(self, build_dir: Path) -> None:
        self.build_dir = build_dir
        self.path = build_dir / LOCK_FILE
        self._fd: int | None = None

    def acquire(self) -> None:
        self.build_dir.mkdir(parents=True, exist_ok=True)
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
                os.close(fd)
                raise EmulatorStartError(
                    f"another emulator (pid {holder}) is serving from {self.build_dir}: stop "
                    "it first, or start this one with another --build-dir (its own "
                    "endpoints.json and logs)"
                ) from None
            # Its previous holder may have removed the file between our open and our lock:
            # a lock on a file no longer at the path locks nothing.
            try:
                current = os.stat(self.path).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                current = False
            if current:
                break
            os.close(fd)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
        self._fd = fd

    def release(self) -> None:
        """Remove the file while still holding it, then let it go."""
        if self._fd is None:
            return
        try:
            self.path.unlink()
        except FileNotFoundError:
            pass
        os.close(self._fd)
        self._fd = None

    def __enter__(self) -> Self:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
