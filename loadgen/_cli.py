"""``scenario1``, ``scenario2`` and ``rate``: options, running, the summary table."""

from __future__ import annotations

import argparse
import signal
import sys
from dataclasses import replace
from pathlib import Path

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
from .plans._rate_plan import RatePlan, RateStep
from .plans._staged_plan import Stage, StagedPlan, parse_duration_s
from .plans._taurus import load_taurus
from .transport._payload import DEFAULT_PAYLOAD
from .transport._sign import SIGN_MODES
from .transport._target import (
    DEFAULT_ENDPOINTS,
    Target,
    resolve_stack,
    sign_target,
    target_from_url,
)

_HELP = {
    "scenario1": (
        "timed idle: one request at each offset, and the eviction bracket",
        (
            "One user sends one request at each offset from the start (default: the study's\n"
            "0, 6, 16, 31, 61 minutes), each on a fresh connection. For each idle gap it\n"
            "reports whether the same instance answered warm or a new one cold-started, and\n"
            "the eviction bracket (kept after X s idle, evicted after Y s). --bisect goes on\n"
            "probing gaps inside the bracket (warm-up, gap, probe) until it is narrower than\n"
            "PRECISION."
        ),
    ),
    "scenario2": (
        "staged concurrency: closed-model users, Taurus semantics",
        (
            "Users loop request -> response (-> think time), each on its own keep-alive\n"
            "connection. Each stage ramps users evenly to its target (user i of n added starts\n"
            "at i*ramp/n) and holds them. Default: 9 users ramp 3m hold 1m, then 18 users ramp\n"
            "0 hold 1m. In-flight requests at the end finish and are recorded. A user whose\n"
            "attempt got no HTTP response (refused, reset, malformed) waits 0.1 s before the\n"
            "next: a dead target draws at most 10 attempts a second per user, each recorded."
        ),
    ),
    "rate": (
        "open model: a constant or stepped arrival rate",
        (
            "Requests start on an absolute schedule whatever the responses do; latency counts\n"
            "from the intended start (no coordinated omission). Arrivals that find\n"
            "--max-in-flight requests running are dropped and counted; late starts are counted."
        ),
    ),
}


def describe(name: str) -> tuple[str, str]:
    help_text, body = _HELP[name]
    return help_text, (
        body + "\n\nResults: RESULTS/RUN_ID/TARGET/" + name + "/ (see docs/results.md)."
    )


def _duration_list(text: str) -> tuple[float, ...]:
    try:
        return tuple(parse_duration_s(part) for part in text.split(",") if part.strip())
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def _duration(text: str) -> float:
    try:
        return parse_duration_s(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from exc
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {text!r}")
    return value


def parse_stages(text: str) -> tuple[Stage, ...]:
    """``USERS:RAMP:HOLD[,...]``, e.g. ``9:3m:1m,18:0:1m``."""
    stages = []
    for part in text.split(","):
        fields = part.strip().split(":")
        if len(fields) != 3:
            raise argparse.ArgumentTypeError(
                f"stage {part!r} must be USERS:RAMP_UP:HOLD, e.g. 9:3m:1m"
            )
        try:
            stages.append(
                Stage(
                    users=int(fields[0]),
                    ramp_up_s=parse_duration_s(fields[1]),
                    hold_s=parse_duration_s(fields[2]),
                )
            )
        except ValueError as exc:
            raise argparse.ArgumentTypeError(f"stage {part!r}: {exc}") from exc
    return tuple(stages)


def parse_rates(text: str) -> tuple[RateStep, ...]:
    """``RATE:DURATION[,...]``, e.g. ``10:1m,50:30s``."""
    steps = []
    for part in text.split(","):
        fields = part.strip().split(":")
        if len(fields) != 2:
            raise argparse.ArgumentTypeError(
                f"rate step {part!r} must be RATE:DURATION, e.g. 10:1m"
            )
        try:
            steps.append(
                RateStep(rate_rps=float(fields[0]), duration_s=parse_duration_s(fields[1]))
            )
        except ValueError as exc:
            raise argparse.ArgumentTypeError(f"rate step {part!r}: {exc}") from exc
    return tuple(steps)


def configure(name: str, parser: argparse.ArgumentParser) -> None:
    where = parser.add_argument_group("target (one of)")
    choice = where.add_mutually_exclusive_group(required=True)
    choice.add_argument(
        "--target",
        metavar="URL",
        help="base URL of the endpoint; requests go to URL/predict, URL/health",
    )
    choice.add_argument(
        "--stack",
        metavar="NAME",
        help="a stack's URL: from the running emulator's endpoints file, else from "
        "`pulumi stack output url --stack NAME`",
    )
    where.add_argument(
        "--endpoints",
        type=Path,
        default=DEFAULT_ENDPOINTS,
        metavar="FILE",
        help=f"the emulator's endpoints file (default {DEFAULT_ENDPOINTS})",
    )
    where.add_argument(
        "--name", help="target folder name in the results (default: stack name or HOST-PORT)"
    )
    where.add_argument(
        "--sign",
        choices=SIGN_MODES,
        default="auto",
        help="SigV4-sign requests with the AWS credential chain: auto (default) "
        "when the stack is IAM-authorised or the URL is an execute-api one",
    )

    if name == "scenario1":
        plan = parser.add_argument_group("scenario1 plan")
        plan.add_argument(
            "--offsets",
            type=_duration_list,
            default=IdlePlan().offsets_s,
            metavar="LIST",
            help="send times from the start, comma-separated durations; a bare "
            "number is seconds (default 0,6m,16m,31m,61m)",
        )
        plan.add_argument(
            "--bisect",
            type=_duration,
            nargs="?",
            const=60.0,
            default=None,
            metavar="PRECISION",
            help="after the offsets, bisect the eviction bracket until narrower than "
            "PRECISION (default when given alone: 1m)",
        )
    elif name == "scenario2":
        plan = parser.add_argument_group("scenario2 plan")
        src = plan.add_mutually_exclusive_group()
        src.add_argument(
            "--stages",
            type=parse_stages,
            default=None,
            metavar="LIST",
            help="USERS:RAMP_UP:HOLD per stage, comma-separated (default 9:3m:1m,18:0:1m)",
        )
        src.add_argument(
            "--taurus",
            type=Path,
            metavar="FILE",
            help="take the stages from a Taurus YAML `execution:` (concurrency, "
            "ramp-up, hold-for, steps, iterations, throughput); what cannot be "
            "honoured is said",
        )
        plan.add_argument(
            "--think",
            type=_duration,
            default=0.0,
            metavar="DURATION",
            help="pause of each user between a response and its next request (default 0)",
        )
        plan.add_argument(
            "--iterations",
            type=int,
            default=None,
            metavar="N",
            help="requests per user at most (default: as many as time allows)",
        )
        plan.add_argument(
            "--throughput",
            type=_positive_float,
            default=None,
            metavar="RPS",
            help="cap on the total request rate (default: none)",
        )
    else:
        plan = parser.add_argument_group("rate plan")
        plan.add_argument(
            "--rate",
            type=parse_rates,
            default=RatePlan().steps,
            metavar="LIST",
            help="RATE:DURATION per step, requests/s, comma-separated (default 10:1m)",
        )
        plan.add_argument(
            "--max-in-flight",
            type=int,
            default=256,
            metavar="N",
            help="requests in flight at most; arrivals beyond are dropped and "
            "counted (default 256)",
        )

    if name != "scenario1":
        limits = parser.add_argument_group(
            "the target's limits (a --stack target's stage throttle and reserved concurrency)"
        )
        limits.add_argument(
            "--exceed-limits",
            action="store_true",
            help="run a plan that exceeds them anyway (it measures 429s); "
            "run.json and the report say so. Default: refuse it, exit 2",
        )
        limits.add_argument(
            "--round-trip",
            type=_duration,
            default=None,
            metavar="DURATION",
            help="the shortest round trip the check takes for a closed loop "
            f"(default {MIN_ROUND_TRIP_S * 1000:g}ms, or the emulator's "
            "network path when it adds more)",
        )

        spread = parser.add_argument_group("load from several workers (docs/results.md, Workers)")
        spread.add_argument(
            "--workers",
            type=int,
            default=None,
            metavar="N",
            help="split the plan across N load-generator workers on Lambda, "
            "invoked at once; their folders are merged into one",
        )
        spread.add_argument(
            "--worker-stack",
            metavar="NAME",
            help="the worker stack (its function and bucket: from the emulator's "
            "endpoints file, else `pulumi stack output --json`)",
        )
        spread.add_argument(
            "--workers-lead",
            type=_duration,
            default=5.0,
            metavar="DURATION",
            help="how far ahead of the invocations the workers start together "
            "(default 5s: covers their cold starts)",
        )

    run = parser.add_argument_group("requests and results")
    run.add_argument(
        "--time-scale",
        type=_positive_float,
        default=1.0,
        metavar="K",
        help="divide every duration of the plan by K, for quick runs (recorded)",
    )
    run.add_argument(
        "--timeout",
        type=_duration,
        default=30.0,
        metavar="DURATION",
        help="per-request timeout (default 30s, API Gateway's limit)",
    )
    run.add_argument(
        "--batch", type=int, default=1, metavar="N", help="instances per request (default 1)"
    )
    run.add_argument(
        "--payload",
        type=Path,
        default=DEFAULT_PAYLOAD,
        metavar="FILE",
        help="JSON-lines file of instances (default: the shipped KDD Cup 99 rows)",
    )
    run.add_argument(
        "--features",
        metavar="LIST",
        help="comma-separated features to send (default: GET /health's `features`); "
        "when given, no GET /health is sent, so the plan's first request is the "
        "first the target sees (scenario 1 needs this to observe a first cold "
        "start)",
    )
    run.add_argument(
        "--requests",
        type=Path,
        default=None,
        metavar="FILE",
        help="send this request set instead of the KDD payload: one JSON request, "
        "a JSON list or JSON lines of {method, path, headers, body, weight}; "
        "every 2xx answer is correct (default: the file a function stack "
        "names in the endpoints file)",
    )
    run.add_argument(
        "--expect-field",
        default=None,
        metavar="NAME",
        help="with a request set: a top-level JSON field every correct answer holds",
    )
    run.add_argument(
        "--stop-at-first-failure",
        action="store_true",
        help="stop when the first answer is not correct (a handler that cannot be "
        "loaded, a route the function does not answer) and say why",
    )
    run.add_argument(
        "--results",
        type=Path,
        default=Path("results"),
        metavar="DIR",
        help="results root (default ./results)",
    )
    run.add_argument("--run-id", metavar="ID", help="run folder name (default: UTC start time)")
    run.add_argument("--quiet", action="store_true", help="no live progress line")


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
