"""Running ``scenario1``, ``scenario2`` and ``rate``: plan, target, settings, run, outcome."""

from __future__ import annotations

import argparse
import signal
import sys
from dataclasses import replace

import anyio

from contract import ExitCode, signalled
from resultfiles import new_run_id, run_folder

from ._console import (
    outcome,
    say,
    summary_table,
)
from ._errors import PlanError
from .engine._runner import RunInterrupted, RunSettings, Scenario, run_async, scenario_name
from .plans._idle_plan import IdlePlan
from .plans._limits import MIN_ROUND_TRIP_S, check_limits
from .plans._rate_plan import RatePlan
from .plans._staged_plan import StagedPlan
from .plans._taurus import load_taurus
from .transport._target import (
    Target,
    resolve_stack,
    sign_target,
    target_from_url,
)


def _target(args: argparse.Namespace) -> Target:
    """The target as ``--target`` or ``--stack`` name it, not yet signed."""
    if args.target:
        return target_from_url(args.target, name=args.name)
    target = resolve_stack(args.stack, endpoints_file=args.endpoints)
    if args.name:
        target = replace(target, name=args.name)
    return target


def _checked(plan: Scenario, target: Target, args: argparse.Namespace) -> Target:
    """``target`` with its limits check (run.json states it); LimitsError refuses the plan.

    The whole plan is checked, before a run on workers splits it. A URL states no limits: no
    check, no word.
    """
    if target.limits is None or isinstance(plan, IdlePlan):
        return target
    round_trip_s = args.round_trip
    if round_trip_s is None:
        path = target.extra.get("network_path")
        added_ms = path.get("added_ms") if isinstance(path, dict) else None
        round_trip_s = MIN_ROUND_TRIP_S
        if isinstance(added_ms, int | float) and not isinstance(added_ms, bool):
            round_trip_s = max(round_trip_s, float(added_ms) / 1000.0)
    check = check_limits(
        plan,
        target.limits,
        time_scale=args.time_scale,
        round_trip_s=round_trip_s,
        exceed=args.exceed_limits,
        on_workers=getattr(args, "workers", None) is not None,
    )
    for note in check.notes:
        say(f"note: {note}", stream=sys.stderr)
    if check.run_anyway:
        say(
            "warning: running past the target's limits (--exceed-limits): "
            + "; ".join(check.exceeded),
            stream=sys.stderr,
        )
    return replace(target, limits_check=check.describe())


def _plan(name: str, args: argparse.Namespace) -> tuple[Scenario, list[str]]:
    notes: list[str] = []
    plan: Scenario
    if name == "scenario1":
        plan = IdlePlan(offsets_s=args.offsets, bisect_precision_s=args.bisect)
    elif name == "scenario2":
        if args.taurus:
            plan, notes = load_taurus(args.taurus)
            plan = plan.overridden(
                think_s=args.think or None,
                iterations=args.iterations,
                throughput_rps=args.throughput,
            )
        else:
            plan = StagedPlan(
                stages=args.stages or StagedPlan().stages,
                think_s=args.think,
                iterations=args.iterations,
                throughput_rps=args.throughput,
            )
    else:
        plan = RatePlan(steps=args.rate, max_in_flight=args.max_in_flight)
    problems = plan.validate()
    if problems:
        raise PlanError(f"invalid {name} plan", problems=problems)
    return plan, notes


def main(name: str, args: argparse.Namespace) -> int:
    plan, notes = _plan(name, args)
    # Checked before it is signed: a refused plan needs no credentials.
    target = sign_target(_checked(plan, _target(args), args), args.sign)
    if getattr(args, "workers", None) is not None or getattr(args, "worker_stack", None):
        from ._cli_workers import main_workers

        return main_workers(plan, target=target, args=args, notes=notes)
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    run_id = args.run_id or new_run_id()
    named_requests, named_field = target.request_file
    settings = RunSettings(
        requests=args.requests or named_requests,
        expect_field=args.expect_field or (named_field if args.requests is None else None),
        stop_at_first_failure=args.stop_at_first_failure,
        results_dir=args.results,
        run_id=run_id,
        time_scale=args.time_scale,
        timeout_s=args.timeout,
        batch=args.batch,
        payload=args.payload,
        features=(
            tuple(f.strip() for f in args.features.split(",") if f.strip())
            if args.features
            else None
        ),
        progress=not args.quiet,
        notes=tuple(notes),
    )
    folder = run_folder(args.results, run_id, target.name, scenario_name(plan))
    tty = sys.stderr.isatty()

    def out(line: str) -> None:
        # A rewritten line on a terminal; one line every 5 s in logs.
        if tty:
            say("\r" + line, stream=sys.stderr, end="")
        elif line.startswith("[") and int(line[1:].split("/")[0]) % 5 == 0:
            say(line, stream=sys.stderr)

    say(f"{name} -> {target.url} ({target.source}); results in {folder}", stream=sys.stderr)
    try:
        # SIGTERM (timeout, CI cancelling, kill) stops the run as Ctrl-C does.
        result = anyio.run(
            lambda: run_async(
                plan,
                target=target,
                settings=settings,
                out=out,
                stop_signals=(signal.SIGINT, signal.SIGTERM),
            ),
            backend="asyncio",
        )
    except RunInterrupted as exc:
        say(f"\n{exc}: nothing was sent, nothing written", stream=sys.stderr)
        return signalled(exc.signal)
    except KeyboardInterrupt:
        # Ctrl-C in the instant before the run's own handling starts.
        say(f"\ninterrupted before the run started: nothing written in {folder}", stream=sys.stderr)
        return signalled(signal.SIGINT)
    if tty:
        say("", stream=sys.stderr)
    say(summary_table(result.summary))
    say(f"results: {result.folder}")
    status, line = outcome(result.summary)
    if result.first_failure is not None:
        say(f"error: {result.first_failure}", stream=sys.stderr)
        return ExitCode.FIRST_FAILURE
    if line:
        say(line, stream=sys.stderr)
    if result.write_error is not None:
        lost = int(result.summary.get("records_lost") or 0)
        say(
            f"error: stopped, {result.write_error}; the files in {result.folder} are valid and "
            "hold "
            f"the {result.summary['requests']:,} attempts written"
            + (f" ({lost:,} more could not be written)" if lost else ""),
            stream=sys.stderr,
        )
        return ExitCode.WRITE_FAILED
    if result.signal is not None:
        say(
            f"interrupted by {signal.Signals(result.signal).name}: the "
            f"{result.summary['requests']:,} "
            f"attempts recorded and their summary are in {result.folder}",
            stream=sys.stderr,
        )
        return signalled(result.signal)
    return status
