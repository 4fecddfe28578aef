"""Invoking every worker at once and waiting for its reply (or its folder), stopped by signals."""

from __future__ import annotations

import queue
import signal
import threading
import time
from collections.abc import Callable
from typing import Any

from ._handler import STOP_CHECK_S
from ._invoke import Invoker, WorkerFailed
from ._stack import WorkerStack
from ._store import RunStore, look_for_folders

__all__ = ["STOP_WAIT_S", "Interrupt", "utc_time", "wait_for_workers"]

#: How long SIGTERM waits for the stopped workers' folders (a second signal: not at all).
STOP_WAIT_S = 20.0

#: One worker's answer: its number, its reply, or what its call raised.
_Answer = tuple[int, dict[str, Any] | None, Exception | None]


def utc_time(epoch_s: float) -> str:
    """``HH:MM:SS`` of an epoch time, in UTC (the clock the workers' messages use)."""
    return time.strftime("%H:%M:%S", time.gmtime(epoch_s))


class Interrupt:
    """Stop signals received while the workers run (the handler is installed by the caller).

    A running invocation cannot be cancelled: on the first signal the controller writes the
    stop marker that the workers look for (``loadgen.workers._handler``), and waits for their
    folders to merge what they measured: after SIGINT until they come, after SIGTERM STOP_WAIT_S at
    most. A second signal stops waiting at once; what is not in the bucket then is said to
    run on (a worker that cannot see the marker runs to its plan's end).
    """

    def __init__(self) -> None:
        self.signal: int | None = None
        self.now = False
        #: Set on every signal (a waiting loop wakes up on it).
        self.woken = threading.Event()

    def __call__(self, signum: int, _frame: object = None) -> None:
        if self.signal is not None:
            self.now = True
        if self.signal is None:
            self.signal = signum
        self.woken.set()

    @property
    def reason(self) -> str | None:
        return None if self.signal is None else f"stopped by {signal.Signals(self.signal).name}"


class _Tally:
    """The replies so far, the workers still awaited, and those whose call failed."""

    def __init__(self, workers: set[int]) -> None:
        self.replies: dict[int, dict[str, Any]] = {}
        self.pending = workers
        #: Workers whose call failed while they may still run: their folder may yet come.
        self.orphans: dict[int, str] = {}

    def take(self, worker: int, reply: dict[str, Any] | None, exc: Exception | None) -> None:
        self.pending.discard(worker)
        if reply is not None:
            self.replies[worker] = reply
        elif isinstance(exc, WorkerFailed):
            self.replies[worker] = {"worker": worker, "status": "failed", "error": str(exc)[:500]}
        else:
            self.orphans[worker] = f"its Invoke failed ({type(exc).__name__}: {exc})"[:400]

    def failed(self) -> int:
        return sum(1 for r in self.replies.values() if r.get("status") != "ok") + len(self.orphans)


def _drain(answers: queue.Queue[_Answer], timeout_s: float) -> list[_Answer]:
    """The answers that came: the first waited for up to ``timeout_s``, the rest not at all."""
    got = []
    try:
        got.append(answers.get(timeout=timeout_s))
        while True:
            got.append(answers.get_nowait())
    except queue.Empty:
        pass
    return got


def _ask_to_stop(bucket: RunStore, stop_key: str, until_epoch_s: float) -> str:
    """Write the stop marker; what the workers were told, or why they could not be."""
    try:
        bucket.ask_to_stop(stop_key)
        return (
            f"the workers were asked to stop (each looks every {STOP_CHECK_S:g} s) "
            f"and upload what they measured; at the latest they end at "
            f"{utc_time(until_epoch_s)} UTC"
        )
    except Exception as refused:  # noqa: BLE001 - said: they then run to their end
        return (
            f"the workers could not be asked to stop ({type(refused).__name__}: "
            f"{refused}); they run on until {utc_time(until_epoch_s)} UTC at the latest"
        )


def _on_first_signal(
    signum: int,
    *,
    bucket: RunStore,
    stack: WorkerStack,
    stop_key: str,
    until_epoch_s: float,
    elapsed_s: float,
    deadline_s: float,
    give_up_s: float,
    out: Callable[[str], None],
) -> float:
    """Ask the workers to stop and say so; the time (since the invocations) to wait until."""
    name = signal.Signals(signum).name
    asked = _ask_to_stop(bucket, stop_key, until_epoch_s)
    if signum != signal.SIGINT:
        give_up_s = min(deadline_s, elapsed_s + STOP_WAIT_S)
    wait_s = (
        "until they come" if give_up_s == deadline_s else f"{give_up_s - elapsed_s:.0f} s at most"
    )
    out(
        f"interrupted by {name}: {asked}; waiting for their folders {wait_s} (interrupt "
        f"again to stop waiting; they go to s3://{stack.bucket}/{stack.prefix}/)"
    )
    return give_up_s


def _progress(
    tally: _Tally, *, since_s: float, lead_s: float, planned_s: float, invoked: int
) -> str:
    running_s = since_s - lead_s
    phase = (
        f"running {running_s:.0f}/{planned_s:.0f} s"
        if running_s >= 0
        else f"starting in {-running_s:.0f} s"
    )
    return (
        f"[{since_s:.0f} s] workers: {invoked} invoked, {phase}, "
        f"{len(tally.replies)} finished ({tally.failed()} failed)"
    )


def _settle(
    tally: _Tally, *, interrupt: Interrupt, deadline_s: float, until_epoch_s: float
) -> None:
    """A reply for every worker still awaited: timed out, or running on after a signal."""
    why_not = (
        f"not waited for: {interrupt.reason}; it runs on until "
        f"{utc_time(until_epoch_s)} UTC at the latest and uploads its folder"
        if interrupt.reason is not None
        else None
    )
    replies = tally.replies
    for worker in sorted(tally.pending):
        if why_not is not None:
            replies[worker] = {"worker": worker, "status": "running on", "error": why_not}
        else:
            replies[worker] = {
                "worker": worker,
                "status": "timed out",
                "error": f"no reply {deadline_s:.0f} s after the invocation "
                "(the plan, its start and the upload should have fitted)",
            }
    for worker, why in tally.orphans.items():
        replies[worker] = {
            "worker": worker,
            "status": "running on" if why_not else "failed",
            "error": f"{why}; "
            + (why_not or f"no folder came in the bucket by {utc_time(until_epoch_s)} UTC"),
        }


def _invoke_all(events: list[dict[str, Any]], invoke: Invoker) -> queue.Queue[_Answer]:
    """Start one call per worker; each answer goes to the queue returned."""
    answers: queue.Queue[_Answer] = queue.Queue()

    def call(event: dict[str, Any]) -> None:
        try:
            answers.put((event["worker"], invoke(event), None))
        except Exception as exc:  # noqa: BLE001 - handed to the waiting loop
            answers.put((event["worker"], None, exc))

    # Daemon threads, not a pool: a worker whose reply never comes (or a run interrupted)
    # must not hold the controller, neither here nor at exit, where a pool's threads are joined.
    for event in events:
        threading.Thread(
            target=call, args=(event,), name=f"loadgen-worker-{event['worker']}", daemon=True
        ).start()
    return answers


def wait_for_workers(
    events: list[dict[str, Any]],
    *,
    invoke: Invoker,
    bucket: RunStore,
    deadline_s: float,
    lead_s: float,
    planned_s: float,
    until_epoch_s: float,
    interrupt: Interrupt,
    out: Callable[[str], None],
    stack: WorkerStack,
    stop_key: str,
) -> dict[int, dict[str, Any]]:
    """Invoke every worker at once and wait for each reply (or its folder in the bucket)."""
    answers = _invoke_all(events, invoke)
    began = time.monotonic()
    tally = _Tally({int(event["worker"]) for event in events})
    said_interrupt = False
    last_look = 0.0
    give_up_s = deadline_s
    while tally.pending or tally.orphans:
        elapsed_s = time.monotonic() - began
        if elapsed_s > give_up_s or interrupt.now:
            break
        if interrupt.signal is not None and not said_interrupt:
            said_interrupt = True
            give_up_s = _on_first_signal(
                interrupt.signal,
                bucket=bucket,
                stack=stack,
                stop_key=stop_key,
                until_epoch_s=until_epoch_s,
                elapsed_s=elapsed_s,
                deadline_s=deadline_s,
                give_up_s=give_up_s,
                out=out,
            )
        for worker, reply, exc in _drain(
            answers, max(0.01, min(1.0, give_up_s - elapsed_s + 0.01))
        ):
            tally.take(worker, reply, exc)
        if tally.orphans and time.monotonic() - last_look >= 2.0:
            last_look = time.monotonic()
            look_for_folders(
                tally.orphans, tally.replies, bucket=bucket, stack=stack, events=events
            )
        out(
            _progress(
                tally,
                since_s=time.monotonic() - began,
                lead_s=lead_s,
                planned_s=planned_s,
                invoked=len(events),
            )
        )
    _settle(tally, interrupt=interrupt, deadline_s=deadline_s, until_epoch_s=until_epoch_s)
    # Last look: a worker that failed or never answered may have uploaded its folder all the
    # same (a dropped connection, a reply lost on the way): then its users are not lost.
    replies = tally.replies
    unfinished = {w: str(r.get("error")) for w, r in replies.items() if r.get("status") != "ok"}
    look_for_folders(unfinished, replies, bucket=bucket, stack=stack, events=events)
    return replies
