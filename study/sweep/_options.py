"""The options of ``python -m study sweep``: its parser, and what it is asked to measure,
checked before anything starts: the memory sizes (``--memory``) and the per-size counts
(``--cold``, ``--warm``, ``--parallelism``, ``--batch``, ``--cold-share``)."""

from __future__ import annotations

import argparse
from pathlib import Path

from contract import MEMORY_MB_MAX, MEMORY_MB_MIN

from ._stats import DEFAULT_COLD_SHARE, SweepInputError

__all__ = [
    "DEFAULT_MEMORY",
    "MAX_REQUESTS_PER_SIZE",
    "check_bounds",
    "parse_memory",
    "sweep_parser",
]

#: AWS Lambda Power Tuning's default power values (its template.yml, PowerValues).
DEFAULT_MEMORY = (128, 256, 512, 1024, 1536, 3008)
MAX_REQUESTS_PER_SIZE = 10_000


def parse_memory(text: str) -> list[int]:
    """``--memory``: sizes in MB separated by commas, each once, in order of size."""
    sizes: list[int] = []
    for item in text.split(","):
        item = item.strip().upper().removesuffix("MB").strip()
        if not item:
            continue
        if not item.isdigit():
            raise SweepInputError(
                f"--memory {text!r}: write sizes in MB separated by commas, e.g. 128,256,512,1024"
            )
        mb = int(item)
        if not MEMORY_MB_MIN <= mb <= MEMORY_MB_MAX:
            raise SweepInputError(
                f"--memory: {mb} MB is outside Lambda's {MEMORY_MB_MIN}..{MEMORY_MB_MAX:,} MB"
            )
        if mb not in sizes:
            sizes.append(mb)
    if not sizes:
        raise SweepInputError("--memory names no size: e.g. --memory 128,256,512,1024")
    return sorted(sizes)


def check_bounds(args: argparse.Namespace) -> None:
    """The per-size counts and fractions within their bounds (SweepInputError otherwise)."""
    for name, value, low in (
        ("--cold", args.cold, 0),
        ("--warm", args.warm, 1),
        ("--parallelism", args.parallelism, 1),
        ("--batch", args.batch, 1),
    ):
        if not low <= value <= MAX_REQUESTS_PER_SIZE:
            raise SweepInputError(f"{name} must be within {low}..{MAX_REQUESTS_PER_SIZE}")
    if not 0.0 <= args.cold_share <= 1.0:
        raise SweepInputError("--cold-share must be a fraction from 0 to 1")
    if args.requests is not None and args.batch != 1:
        raise SweepInputError(
            "--batch shapes the default request: leave it out with "
            "--requests (write the batch into the file's bodies)"
        )


def sweep_parser() -> argparse.ArgumentParser:
    from emulator import add_network_options

    parser = argparse.ArgumentParser(
        prog="python -m study sweep",
        description="Measure a stack at several memory sizes (cold and warm), pick the size by "
        "cost, speed, a balance or an SLO, and write the sweep's report, charts and "
        "CSV (results/<run-id>/sweep/).",
    )
    parser.add_argument(
        "--stack",
        required=True,
        metavar="NAME",
        help="the stack to sweep (Pulumi.<NAME>.yaml); each size is hosted as NAME@MB",
    )
    parser.add_argument(
        "--memory",
        default=",".join(str(m) for m in DEFAULT_MEMORY),
        metavar="LIST",
        help="sizes in MB (default Power Tuning's: %(default)s)",
    )
    parser.add_argument(
        "--cold",
        type=int,
        default=5,
        metavar="N",
        help="forced cold starts per size, each on a new instance (default 5)",
    )
    parser.add_argument(
        "--warm", type=int, default=50, metavar="M", help="warm requests per size (default 50)"
    )
    parser.add_argument(
        "--requests",
        type=Path,
        default=None,
        metavar="FILE",
        help='JSON lines of {"body": ..., "weight": W}: the requests to send, '
        "picked by weight (default: the study's predict request)",
    )
    parser.add_argument(
        "--batch",
        type=int,
        default=1,
        metavar="N",
        help="instances per default request (1000, the study's function's "
        "limit per request, makes it CPU-bound)",
    )
    parser.add_argument(
        "--parallelism",
        type=int,
        default=1,
        metavar="P",
        help="concurrent clients in the warm phase (default 1: in series)",
    )
    parser.add_argument(
        "--strategy",
        default="cost",
        metavar="S",
        help="cost, speed or balanced[:W] (W from 0 = speed to 1 = cost; "
        "Power Tuning's); default cost",
    )
    parser.add_argument(
        "--slo",
        default=None,
        metavar="BOUNDS",
        help="e.g. warm-p99=150ms,cold-p99=1s: the cheapest size meeting every "
        "bound (overrides --strategy for the choice)",
    )
    parser.add_argument(
        "--cold-share",
        type=float,
        default=DEFAULT_COLD_SHARE,
        metavar="F",
        help="share of requests meeting a new instance, for the cost per "
        f"million (default {DEFAULT_COLD_SHARE:g})",
    )
    parser.add_argument(
        "--apply",
        action="store_true",
        help="write the chosen size into Pulumi.<stack>.yaml (memory_mb)",
    )
    parser.add_argument(
        "--aws",
        default=None,
        metavar="FUNCTION",
        help="sweep this deployed function on AWS instead of the emulator",
    )
    parser.add_argument(
        "--yes",
        action="store_true",
        help="with --aws: run without asking after printing the estimate",
    )
    parser.add_argument(
        "--expected-duration-ms",
        type=float,
        default=None,
        metavar="MS",
        help="with --aws: the function's duration at its current memory, for "
        "the estimate (default: its timeout, an upper bound)",
    )
    parser.add_argument(
        "--expected-init-ms",
        type=float,
        default=None,
        metavar="MS",
        help="with --aws: its Init Duration, for the estimate (default 10000, Lambda's init limit)",
    )
    parser.add_argument(
        "--results",
        type=Path,
        default=Path("results"),
        metavar="DIR",
        help="results root (default ./results)",
    )
    parser.add_argument(
        "--run-id", default=None, metavar="ID", help="run folder (default: sweep-<UTC time>)"
    )
    parser.add_argument(
        "--build-dir",
        type=Path,
        default=None,
        metavar="DIR",
        help="the emulator's packages, instances and logs (default build/sweep/<run-id>)",
    )
    parser.add_argument(
        "--artifact",
        type=Path,
        default=None,
        metavar="ZIP",
        help="model artifact to host (default build/model.zip)",
    )
    add_network_options(parser)
    return parser
