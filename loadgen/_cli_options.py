"""The options of ``scenario1``, ``scenario2`` and ``rate``: help, value parsers, groups."""

from __future__ import annotations

import argparse
from pathlib import Path

from .plans._idle_plan import IdlePlan
from .plans._limits import MIN_ROUND_TRIP_S
from .plans._rate_plan import RatePlan, RateStep
from .plans._staged_plan import Stage, parse_duration_s
from .transport._payload import DEFAULT_PAYLOAD
from .transport._sign import SIGN_MODES
from .transport._target import DEFAULT_ENDPOINTS

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
