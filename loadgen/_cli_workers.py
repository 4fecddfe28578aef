"""``--workers N --worker-stack NAME`` of ``scenario2`` and ``rate``: the run and what it says."""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from contract import ExitCode, signalled
from resultfiles import new_run_id

from ._console import (
    outcome,
    say,
    summary_table,
)
from ._errors import PlanError, TargetError
from .engine._stop import RunInterrupted
from .files._merge import LATE_S
from .plans._rate_plan import RatePlan
from .plans._staged_plan import StagedPlan
from .workers._checks import request_event
from .workers._controller import WorkersOutcome, run_workers
from .workers._stack import WorkerStack, resolve_worker_stack
from .workers._wait import Interrupt, utc_time


def main_workers(plan: object, *, target: Any, args: Any, notes: list[str]) -> int:
    """``--workers N --worker-stack NAME`` of ``scenario2`` and ``rate`` (loadgen._cli)."""
    if not isinstance(plan, StagedPlan | RatePlan):
        raise PlanError("only scenario2 and rate plans run on workers")
    if args.workers is None or not args.worker_stack:
        raise PlanError("--workers N and --worker-stack NAME go together: give both")
    interrupt = Interrupt()
    # SIGTERM (timeout, CI cancelling, kill) as Ctrl-C: workers.json and the merge are written.
    previous = {
        signum: signal.signal(signum, interrupt) for signum in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        return _main_workers(plan, target=target, args=args, notes=notes, interrupt=interrupt)
    except RunInterrupted as exc:
        say(f"{exc}: nothing was sent, nothing written", stream=sys.stderr)
        return signalled(exc.signal)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _progress_printer(*, quiet: bool, tty: bool) -> Callable[[str], None]:
    """Where the run's lines go: progress rewritten on a terminal, every fifth one in logs."""
    ticks = [0]

    def out(line: str) -> None:
        if quiet and not line.startswith("interrupted"):
            return
        if not line.startswith("["):
            say(("\n" if tty and ticks[0] else "") + line, stream=sys.stderr)
        elif tty:
            ticks[0] = 1
            say("\r" + line, stream=sys.stderr, end="")
        else:
            ticks[0] += 1
            if ticks[0] % 5 == 1:
                say(line, stream=sys.stderr)

    return out


def _requests_of(args: Any, target: Any) -> dict[str, Any] | None:
    """The request set every worker sends (``--requests`` or the stack's), checked here."""
    named_requests, named_field = target.request_file
    request_file = args.requests or named_requests
    if request_file is None:
        return None
    return request_event(
        request_file,
        expect_field=args.expect_field or (named_field if args.requests is None else None),
    )


def _main_workers(
    plan: StagedPlan | RatePlan, *, target: Any, args: Any, notes: list[str], interrupt: Interrupt
) -> int:
    try:
        stack = resolve_worker_stack(args.worker_stack, endpoints_file=args.endpoints)
    except TargetError:
        if interrupt.signal is not None:
            # Ctrl-C reached `pulumi stack output` too: the interrupt is the news.
            raise RunInterrupted(interrupt.signal) from None
        raise
    run_id = args.run_id or new_run_id()
    for note in notes:
        say(f"note: {note}", stream=sys.stderr)
    tty = sys.stderr.isatty()
    features = [f.strip() for f in args.features.split(",") if f.strip()] if args.features else None
    # A worker sees the URL alone: what "auto" decided here from the stack (an IAM stack of
    # the emulator's endpoints file, say) must reach it as "always".
    sign = "always" if args.sign == "auto" and target.signer is not None else args.sign
    requests = _requests_of(args, target)
    result = run_workers(
        plan,
        target_url=target.url,
        sign=sign,
        target_name=target.name,
        stack=stack,
        workers=args.workers,
        results_dir=args.results,
        run_id=run_id,
        time_scale=args.time_scale,
        timeout_s=args.timeout,
        features=features,
        lead_s=args.workers_lead,
        out=_progress_printer(quiet=args.quiet, tty=tty),
        target_info=target.describe(),
        interrupt=interrupt,
        requests=requests,
    )
    if tty and not args.quiet:
        say("", stream=sys.stderr)
    return _said(result, stack=stack, run_id=run_id, results=args.results, lead_s=args.workers_lead)


def _say_missing(result: WorkersOutcome, running: list[dict[str, Any]]) -> None:
    """One line per worker lost, and per folder left in the bucket for a reason of its own."""
    for lost in result.lost:
        say(
            f"error: worker {lost['worker']} was lost ({lost['why']}): its {lost['lost']} are "
            "missing from the merged run",
            stream=sys.stderr,
        )
    for left in result.left_in_bucket:
        if left["why"] == result.write_error or any(
            row["worker"] == left["worker"] for row in running
        ):
            continue  # the line for the whole run below says it
        say(
            f"error: worker {left['worker']}'s folder is not here ({left['why']}): its "
            f"{left['missing']} are missing from the merged run; the folder is in "
            f"{left['where']}",
            stream=sys.stderr,
        )


def _said(
    result: WorkersOutcome, *, stack: WorkerStack, run_id: str, results: Path, lead_s: float
) -> int:
    """Say what the run gave, and return the exit status."""
    run_root = results / run_id
    running = [row for row in result.workers["workers"] if row["status"] == "running on"]
    _say_missing(result, running)
    in_bucket = ", ".join(f"w{left['worker']}" for left in result.left_in_bucket)
    bucket = f"s3://{stack.bucket}/{stack.prefix}/{run_id}/"
    if result.summary is not None and result.folder is not None:
        say(summary_table(result.summary))
        say(f"results: {result.folder}")
        _say_clock(
            result.workers["clock"], lead_s=lead_s, say=lambda line: say(line, stream=sys.stderr)
        )
    if result.write_error is not None:
        here = [
            f"w{row['worker']}"
            for row in result.workers["workers"]
            if row["status"] == "ok" and row.get("downloaded", True)
        ]
        say(
            f"error: stopped, {result.write_error}; kept: "
            + (f"the merged run in {result.folder}, " if result.folder is not None else "")
            + f"{run_root / 'workers.json'}"
            + (f", the folders of {', '.join(here)} in {run_root / 'workers'}" if here else "")
            + (f"; the folders of {in_bucket} are whole in {bucket}" if in_bucket else ""),
            stream=sys.stderr,
        )
        return ExitCode.WRITE_FAILED
    if result.signal is not None:
        merged = (
            f"the merged run of what they measured is in {result.folder}"
            + ("" if result.summary and result.summary.get("complete") else " (incomplete)")
            if result.folder is not None
            else "no worker's folder could be merged"
        )
        names = ", ".join(f"w{row['worker']}" for row in running)
        on = (
            f"{names} run on until "
            f"{utc_time(result.workers['until_epoch_s'])} UTC and upload to {bucket}; "
            if running
            else ""
        )
        say(
            f"interrupted by {signal.Signals(result.signal).name}: {on}{merged}; what each "
            f"worker did is in {run_root / 'workers.json'}",
            stream=sys.stderr,
        )
        return signalled(result.signal)
    if result.summary is None or result.folder is None:
        say(
            f"error: no worker came back; what each said is in {run_root / 'workers.json'}",
            stream=sys.stderr,
        )
        return ExitCode.WORKERS_LOST
    status, line = outcome(result.summary)
    if line:
        say(line, stream=sys.stderr)
    return ExitCode.WORKERS_LOST if result.lost or result.left_in_bucket else status


def _say_clock(clock: dict[str, Any], *, lead_s: float, say: Callable[[str], None]) -> None:
    """The workers' spread, and how late they started when the lead did not cover it."""
    skew_s, late_s = clock.get("skew_s"), clock.get("max_late_s")
    if skew_s is None:
        return
    line = f"workers started {skew_s * 1000:.1f} ms apart (each by its own clock)"
    if isinstance(late_s, int | float) and late_s > LATE_S:
        line += (
            f", up to {late_s:.1f} s after the asked start: the lead of {lead_s:g} s did "
            "not cover their start-up (give a longer --workers-lead for a start on time)"
        )
    say(line)
