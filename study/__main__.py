"""``python -m study [--time-scale K] [--stacks ...]``: the whole study on the local emulator."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from contract import ExitCode, run_main
from emulator import add_network_options
from stack import list_stacks, project_root

from ._function import FunctionStudyError, add_function_options, function_stacks
from ._run import Study
from ._schedule import FRAMEWORK_STAGGER_S, STUDY_STAGGER_S
from ._settings import FRAMEWORK_STACKS, QUICK_TIME_SCALE, STUDY_STACKS, StudySettings


def main(argv: list[str] | None = None) -> int:
    return run_main(_main, argv)


def _main(argv: list[str] | None) -> int:
    args_in = sys.argv[1:] if argv is None else argv
    if args_in[:1] == ["sweep"]:
        from .sweep._cli import main as sweep_main

        return sweep_main(args_in[1:])
    parser = argparse.ArgumentParser(
        prog="python -m study",
        epilog='`python -m study sweep --help`: the memory sweep (README, "Find the memory size").',
        description="Host the stacks in the local emulator, run scenario 1 (timed idle) on all of "
        "them at once and scenario 2 (staged concurrency) on each in turn, keep the server logs "
        "with the results and write the report (results/<run-id>/report/report.md).",
    )
    parser.add_argument(
        "--stacks",
        nargs="+",
        default=None,
        metavar="STACK",
        help="stacks to study with both scenarios (default: the six of the original study)",
    )
    parser.add_argument(
        "--framework-stacks",
        nargs="*",
        default=None,
        metavar="STACK",
        help="stacks serving the model with a framework, which join scenario 1 "
        f"(default without --stacks: {' '.join(FRAMEWORK_STACKS)}; with --stacks: "
        "none; give the option alone for none)",
    )
    parser.add_argument(
        "--framework-scenario2",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="run scenario 2 on the framework stacks too (default: only at full "
        "length, --time-scale 1, as `make study` runs it)",
    )
    parser.add_argument(
        "--framework-stagger",
        type=float,
        default=FRAMEWORK_STAGGER_S,
        metavar="S",
        help="real seconds between a framework stack's scenario 1 start and the "
        "previous stack's, so that their inits do not overlap (default "
        f"{FRAMEWORK_STAGGER_S:g})",
    )
    parser.add_argument(
        "--study-stagger",
        type=float,
        default=STUDY_STAGGER_S,
        metavar="S",
        help="real seconds between the study's stacks' scenario 1 starts, so "
        f"that their cold starts do not overlap (default {STUDY_STAGGER_S:g})",
    )
    parser.add_argument(
        "--time-scale",
        type=float,
        default=QUICK_TIME_SCALE,
        metavar="K",
        help=f"divide every duration by K (default {QUICK_TIME_SCALE:g}: about 10 "
        "minutes in all; 1 = the study's full length, about 2 hours)",
    )
    parser.add_argument(
        "--results",
        type=Path,
        default=Path("results"),
        metavar="DIR",
        help="results root (default ./results)",
    )
    parser.add_argument(
        "--run-id", default=None, metavar="ID", help="run folder (default: UTC time)"
    )
    parser.add_argument(
        "--bisect",
        default=None,
        metavar="PRECISION",
        help="also bisect scenario 1's eviction bracket to this precision (e.g. 1m)",
    )
    parser.add_argument(
        "--offsets",
        default=None,
        metavar="LIST",
        help="scenario 1 offsets (default the study's 0,6m,16m,31m,61m)",
    )
    parser.add_argument(
        "--stages",
        default=None,
        metavar="LIST",
        help="scenario 2 stages USERS:RAMP:HOLD,... (default 9:3m:1m,18:0:1m)",
    )
    parser.add_argument(
        "--artifact",
        type=Path,
        default=None,
        metavar="ZIP",
        help="model artifact to host (default build/model.zip)",
    )
    parser.add_argument(
        "--batch",
        type=int,
        default=1,
        metavar="N",
        help="instances per request in scenario 2 (default 1, the study's; e.g. "
        "1000 makes the function CPU-bound, to see the warm latency by memory "
        "that the CPU share produces)",
    )
    add_network_options(parser)
    parser.add_argument(
        "--init-cpu",
        choices=("burst", "share"),
        default=None,
        help="the emulator's init-phase CPU: burst (default: up to 2 vCPU, then "
        "the memory share) or share (the memory share throughout); "
        "docs/emulator.md",
    )
    parser.add_argument(
        "--emulator-arg",
        action="append",
        default=[],
        metavar="ARG",
        help="extra argument for `python -m emulator up` (repeatable), "
        "e.g. --emulator-arg=--idle-policy=sebs",
    )
    add_function_options(parser)
    args = parser.parse_args(args_in)
    if args.time_scale <= 0:
        parser.error("--time-scale must be > 0")
    if args.function is not None:
        try:
            chosen = function_stacks(args)
        except FunctionStudyError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return ExitCode.USAGE
        if chosen is None:
            return ExitCode.OK  # --write-stack: the stack file is written, nothing to run
        root, stacks = chosen
        if args.stacks:
            parser.error("--function studies the function alone; leave out --stacks")
        settings = StudySettings(
            root=root,
            stacks=stacks,
            function_stacks=stacks,
            emulator_root=root,
            time_scale=args.time_scale,
            results=args.results,
            run_id=args.run_id,
            bisect=args.bisect,
            offsets=args.offsets,
            scenario2_stages=args.stages,
            framework_stacks=[],
            study_stagger_s=args.study_stagger,
            emulator_args=[
                f"--rtt={args.rtt:g}ms",
                f"--gateway-latency={args.gateway_latency:g}ms",
                *args.emulator_arg,
                *(["--init-cpu", args.init_cpu] if args.init_cpu else []),
            ],
        )
        return Study(settings).run()
    root = project_root()
    if not (root / "Pulumi.yaml").is_file():
        parser.error(
            f"{root} is not a Pulumi project (no Pulumi.yaml here or above): run from "
            "the checkout or from the directory of your Pulumi.<stack>.yaml files"
        )
    if not 1 <= args.batch <= 10_000:
        parser.error("--batch must be within 1..10000")
    if args.framework_stagger < 0:
        parser.error("--framework-stagger must be >= 0 seconds")
    if args.study_stagger < 0:
        parser.error("--study-stagger must be >= 0 seconds")
    # `--stacks A B` studies A and B alone, unless framework stacks are named too.
    framework = args.framework_stacks
    if framework is None:
        framework = list(FRAMEWORK_STACKS) if args.stacks is None else []
    workers = set(list_stacks(root, kind="loadgen-worker"))
    named = [s for s in [*(args.stacks or []), *framework] if s in workers]
    if named:
        parser.error(
            f"{', '.join(named)} is the load generator's worker stack, not a stack to "
            "study: host it with `python -m emulator up STACK loadgen-workers` and run "
            "`python -m loadgen scenario2 --workers N --worker-stack loadgen-workers`"
        )
    settings = StudySettings(
        root=root,
        stacks=args.stacks or list(STUDY_STACKS),
        time_scale=args.time_scale,
        results=args.results,
        run_id=args.run_id,
        bisect=args.bisect,
        offsets=args.offsets,
        scenario2_stages=args.stages,
        artifact=args.artifact,
        batch=args.batch,
        framework_stacks=framework,
        framework_scenario2=args.framework_scenario2,
        framework_stagger_s=args.framework_stagger,
        study_stagger_s=args.study_stagger,
        emulator_args=[
            f"--rtt={args.rtt:g}ms",
            f"--gateway-latency={args.gateway_latency:g}ms",
            *args.emulator_arg,
            *(["--init-cpu", args.init_cpu] if args.init_cpu else []),
        ],
    )
    return Study(settings).run()


if __name__ == "__main__":
    sys.exit(main())
