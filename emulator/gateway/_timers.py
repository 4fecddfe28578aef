"""Timers finer than the event loop's, for the network path's delays.

asyncio's selector waits in whole milliseconds (``epoll_wait`` takes its timeout in ms, and
Python rounds it up), so a timer due at a fractional millisecond wakes up to 1 ms late, on top
of the host's own wake-up latency. The network path must add each request's delay to within a
millisecond, and what the emulator adds beyond it is what the bench calls overhead, so the
front doors wait on :class:`DeadlineTimers` instead: one Linux ``timerfd`` per loop, armed at
the earliest absolute deadline in nanoseconds (no timer slack), its expiry read by the loop like
any socket. It is still a timer: no thread, no polling, no CPU spent waiting.

What a deadline ends is some work done after the timer wakes (the loop runs the callback, the
task resumes, the reply is written), and that lateness is steady on a given host: a
:class:`Lateness` keeps the median of the last ones, and its owner arms the next deadline that
much early, never more than :data:`MAX_ADVANCE_S`. Where ``timerfd`` does not exist the loop's
own timers are used.
"""

from __future__ import annotations

import asyncio
import ctypes
import heapq
import itertools
import os
import statistics
import sys
import time
from collections import deque

#: the most a deadline is armed early: never more than half the network path's ±1 ms budget
MAX_ADVANCE_S = 0.0005
#: how many recent wake-ups an advance is the median of
_WINDOW = 31

_CLOCK_MONOTONIC = 1  # the clock time.monotonic() reads on Linux
_TFD_TIMER_ABSTIME = 1
_TFD_NONBLOCK = os.O_NONBLOCK
_TFD_CLOEXEC = os.O_CLOEXEC


class _Timespec(ctypes.Structure):
    _fields_ = [("tv_sec", ctypes.c_long), ("tv_nsec", ctypes.c_long)]


class _Itimerspec(ctypes.Structure):
    _fields_ = [("it_interval", _Timespec), ("it_value", _Timespec)]


class _TimerFd:
    """A non-blocking CLOCK_MONOTONIC timerfd armed at absolute times (Python 3.13 has
    ``os.timerfd_*``; before it, libc through ctypes)."""

    def __init__(self) -> None:
        self._libc = ctypes.CDLL(None, use_errno=True)
        fd = self._libc.timerfd_create(_CLOCK_MONOTONIC, _TFD_NONBLOCK | _TFD_CLOEXEC)
        if fd < 0:
            raise OSError(ctypes.get_errno(), "timerfd_create failed")
        self.fd = int(fd)

    def arm_at(self, when_s: float) -> None:
        # A zero it_value would disarm it: a deadline already past fires at once instead.
        when_ns = max(1, int(when_s * 1e9))
        spec = _Itimerspec(
            _Timespec(0, 0), _Timespec(when_ns // 1_000_000_000, when_ns % 1_000_000_000)
        )
        if self._libc.timerfd_settime(self.fd, _TFD_TIMER_ABSTIME, ctypes.byref(spec), None) < 0:
            raise OSError(ctypes.get_errno(), "timerfd_settime failed")

    def clear(self) -> None:
        try:
            os.read(self.fd, 8)
        except BlockingIOError:
            pass

    def close(self) -> None:
        os.close(self.fd)


def _timerfd_or_none() -> _TimerFd | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        return _TimerFd()
    except (OSError, AttributeError):
        return None


class DeadlineTimers:
    """``await timers.sleep_until(when_s)``: wake at ``when_s`` (``time.monotonic()``), to a
    fraction of a millisecond. Made on the loop that awaits it; ``close()`` it with its owner."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._timerfd = _timerfd_or_none()
        #: (deadline, tie-breaker, its waiter), earliest first
        self._due: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()
        self._armed_s: float | None = None
        if self._timerfd is not None:
            loop.add_reader(self._timerfd.fd, self._expired)

    @property
    def precise(self) -> bool:
        """Deadlines are kept to the nanosecond (timerfd), not to the loop's millisecond."""
        return self._timerfd is not None

    async def sleep_until(self, when_s: float) -> None:
        """Return at ``when_s`` (at once if it has passed)."""
        now_s = time.monotonic()
        if when_s <= now_s:
            return
        waiter: asyncio.Future[None] = self._loop.create_future()
        if self._timerfd is None:
            handle = self._loop.call_at(self._loop.time() + (when_s - now_s), _wake, waiter)
            try:
                await waiter
            finally:
                handle.cancel()
            return
        heapq.heappush(self._due, (when_s, next(self._order), waiter))
        if self._armed_s is None or when_s < self._armed_s:
            self._arm(when_s)
        await waiter

    def _arm(self, when_s: float) -> None:
        assert self._timerfd is not None
        self._armed_s = when_s
        self._timerfd.arm_at(when_s)

    def _expired(self) -> None:
        assert self._timerfd is not None
        self._timerfd.clear()
        self._armed_s = None
        now_s = time.monotonic()
        while self._due and self._due[0][0] <= now_s:
            _wake(heapq.heappop(self._due)[2])
        if self._due:
            self._arm(self._due[0][0])

    def close(self) -> None:
        if self._timerfd is not None:
            self._loop.remove_reader(self._timerfd.fd)
            self._timerfd.close()
            self._timerfd = None
        for _, _, waiter in self._due:
            waiter.cancel()
        self._due.clear()


class Lateness:
    """How late some work ends after the timer that starts it was due: the median of the last
    few, to arm the next timer that much early (``advance_s``, at most MAX_ADVANCE_S)."""

    def __init__(self) -> None:
        self._late_s: deque[float] = deque(maxlen=_WINDOW)
        self.advance_s = 0.0

    def observe(self, late_s: float) -> None:
        self._late_s.append(late_s)
        self.advance_s = min(MAX_ADVANCE_S, max(0.0, statistics.median(self._late_s)))


def _wake(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)
