"""``python -m study [--time-scale K] [--stacks ...]``: the whole study on the local emulator."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from emulator._cli import add_network_options
from stack import project_root

from ._run import QUICK_TIME_SCALE, STUDY_STACKS, Study, StudySettings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m study",
        description="Host the stacks in the local emulator, run scenario 1 (timed idle) on all of "
        "them at once and scenario 2 (staged concurrency) on each in turn, keep the server logs "
        "with the results and write the report (results/<run-id>/report/report.md).",
    )
    parser.add_argument("--stacks", nargs="+", default=list(STUDY_STACKS), metavar="STACK",
                        help="stacks to study (default: the six of the original study)")
    parser.add_argument("--time-scale", type=float, default=QUICK_TIME_SCALE, metavar="K",
                        help=f"divide every duration by K (default {QUICK_TIME_SCALE:g}: about 10 "
                        "minutes in all; 1 = the study's full length, about 1.5 hours)")
    parser.add_argument("--results", type=Path, default=Path("results"), metavar="DIR",
                        help="results root (default ./results)")
    parser.add_argument("--run-id", default=None, metavar="ID",
                        help="run folder (default: UTC time)")
    parser.add_argument("--bisect", default=None, metavar="PRECISION",
                        help="also bisect scenario 1's eviction bracket to this precision (e.g. "
                             "1m)")
    parser.add_argument("--offsets", default=None, metavar="LIST",
                        help="scenario 1 offsets (default the study's 0,6m,16m,31m,61m)")
    parser.add_argument("--stages", default=None, metavar="LIST",
                        help="scenario 2 stages USERS:RAMP:HOLD,... (default 9:3m:1m,18:0:1m)")
    parser.add_argument("--artifact", type=Path, default=None, metavar="ZIP",
                        help="model artifact to host (default build/model.zip)")
    parser.add_argument("--batch", type=int, default=1, metavar="N",
                        help="instances per request in scenario 2 (default 1, the study's; e.g. "
                        "1000 makes the function CPU-bound, to see the warm latency by memory "
                        "that the CPU share produces)")
    add_network_options(parser)
    parser.add_argument("--init-cpu", choices=("burst", "share"), default=None,
                        help="the emulator's init-phase CPU: burst (default: up to 2 vCPU, then "
                        "the memory share) or share (the memory share throughout); "
                        "docs/emulator.md")
    parser.add_argument("--emulator-arg", action="append", default=[], metavar="ARG",
                        help="extra argument for `python -m emulator up` (repeatable), "
                        "e.g. --emulator-arg=--idle-policy=sebs")
    args = parser.parse_args(argv)
    if args.time_scale <= 0:
        parser.error("--time-scale must be > 0")
    root = project_root()
    if not (root / "Pulumi.yaml").is_file():
        parser.error(f"{root} is not a Pulumi project (no Pulumi.yaml here or above): run from "
                     "the checkout or from the directory of your Pulumi.<stack>.yaml files")
    if not 1 <= args.batch <= 10_000:
        parser.error("--batch must be within 1..10000")
    settings = StudySettings(
        root=root, stacks=args.stacks, time_scale=args.time_scale,
        results=args.results, run_id=args.run_id, bisect=args.bisect, offsets=args.offsets,
        scenario2_stages=args.stages, artifact=args.artifact, batch=args.batch,
        emulator_args=[f"--rtt={args.rtt:g}ms", f"--gateway-latency={args.gateway_latency:g}ms",
                       *args.emulator_arg,
                       *(["--init-cpu", args.init_cpu] if args.init_cpu else [])],
    )
    return Study(settings).run()


if __name__ == "__main__":
    sys.exit(main())
