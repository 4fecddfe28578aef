"""Stopping a run early: a stop signal, the caller's cancellation or a full disk."""

from __future__ import annotations

import signal
from collections.abc import AsyncIterator

import anyio

__all__ = ["RunInterrupted", "Stop"]


class RunInterrupted(Exception):
    """A stop signal arrived before the first request: nothing was sent or written."""

    def __init__(self, signum: int) -> None:
        super().__init__(f"interrupted by {signal.Signals(signum).name} before the run started")
        self.signal = signum


class Stop:
    """Why a run stops early, and the cancel scope that stopping cancels.

    Only the newest scope is cancelled: while the run goes, that is the run's own, which
    absorbs the cancellation so that the run can finish its files and return.
    """

    def __init__(self) -> None:
        self.reason: str | None = None
        self.signal: int | None = None
        self._scope: anyio.CancelScope | None = None
        self._closed = False

    def scope(self) -> anyio.CancelScope:
        self._scope = anyio.CancelScope()
        if self.reason is not None:
            self._scope.cancel()
        return self._scope

    def close(self) -> None:
        """The run is over: a late signal or failure changes nothing of it any more."""
        self._scope = None
        self._closed = True

    def __call__(self, reason: str, *, signum: int | None = None) -> None:
        if self._closed:
            return
        if self.reason is None:
            self.reason, self.signal = reason, signum
        if self._scope is not None:
            self._scope.cancel()

    async def watch(self, signals: AsyncIterator[signal.Signals]) -> None:
        async for signum in signals:
            self(f"stopped by {signal.Signals(signum).name}", signum=signum)
