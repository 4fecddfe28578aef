"""SIGINT and SIGTERM during a sweep on AWS: the first one stops the measuring, and any that
arrive while the function is being restored wait until the restore is done."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any, Self

__all__ = ["SignalGuard", "Signalled"]


class Signalled(BaseException):
    """Raised from a signal handler in the main thread (a BaseException, like
    KeyboardInterrupt, so that no ``except Exception`` on the way swallows it)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class SignalGuard:
    """SIGINT and SIGTERM while the sweep runs: the first one interrupts it (``Signalled``,
    raised in the main thread); from then on, and once the clean-up has begun (``hold``), they
    are noted in ``held`` and the clean-up goes on. One handler for both phases, so that no
    signal falls between them to Python's default (a KeyboardInterrupt mid-clean-up). Outside
    the main thread signals cannot be handled: nothing is installed."""

    def __init__(self, progress: Callable[[str], None]) -> None:
        self.progress = progress
        self.holding = False
        self.held: list[int] = []
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> Self:
        if threading.current_thread() is threading.main_thread():
            self._previous = {s: signal.signal(s, self._handle) for s in _SIGNALS}
        return self

    def __exit__(self, *exc: object) -> None:
        for signum, old in self._previous.items():
            signal.signal(signum, old)

    def hold(self) -> None:
        self.holding = True

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.holding:
            self.held.append(signum)
            self.progress(
                f"{signal.Signals(signum).name}: restoring the function first, a few seconds"
            )
            return
        self.holding = True
        raise Signalled(signum)
