"""``python -m study sweep --stack NAME``: which memory size serves this function best.

For every size of ``--memory`` the sweep measures ``--cold`` forced cold starts and ``--warm``
warm requests (on the local emulator, or with ``--aws FUNCTION`` on a deployed function
through ``study.sweep.aws._measure``), then prints and writes, per size, the figures of
:mod:`study.sweep._stats` and the optimum under ``--strategy`` or ``--slo``. ``--apply`` writes
the chosen size into ``Pulumi.<stack>.yaml`` (:mod:`study.sweep._apply`). The options are read
and checked by :mod:`study.sweep._options` and :mod:`study.sweep._requests`.

Exit status: 0 when the sweep measured every size it could (a size that fails, an out-of-memory
at 128 MB say, is that size's answer); 2 a usage error (one line on stderr); 3 when no request
succeeded at any size; 130/143 when interrupted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
import time
from collections import Counter
from collections.abc import Coroutine, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any, TypeVar

from contract import MB_PER_VCPU, MODEL_FILE, ExitCode, signalled
from report import CI_METHOD
from resultfiles import log_path as stack_log_path
from resultfiles import new_run_id

from ._apply import apply_choice
from ._local import LocalSweepResult, SweepRequest, host_cpus
from ._options import DEFAULT_MEMORY, check_bounds, parse_memory
from ._output import (
    report_lines,
    table,
    write_sweep_folder,
    write_variant_folder,
)
from ._requests import default_requests, read_requests
from ._samples import Invocation
from ._stats import (
    DEFAULT_COLD_SHARE,
    Choice,
    SizeStats,
    SweepInputError,
    best_and_ties,
    candidates,
    choose,
    choose_by_slo,
    parse_slo,
    parse_strategy,
    size_stats,
)

T = TypeVar("T")


def _parser() -> argparse.ArgumentParser:
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


class _AwsUnavailable(Exception):
    """The AWS backend cannot run here; the message says why."""


def _ask(prompt: str) -> str:
    """The answer typed at a terminal; off one (CI, a pipe) there is nobody to ask: no answer."""
    if not sys.stdin.isatty():
        raise EOFError
    return input(prompt)


def _run_aws(
    args: argparse.Namespace, sizes: Sequence[int], requests: Sequence[SweepRequest]
) -> dict[int, list[Invocation]]:
    """The sweep on a deployed function (``study.sweep.aws._measure``): its estimate first, asked
    about unless ``--yes``; ``AwsSweepInterrupted`` carries the sizes measured before a signal."""
    try:
        import boto3
        from botocore.config import Config
    except ImportError as exc:
        raise _AwsUnavailable(f"--aws needs boto3 (pip install boto3): {exc}") from None
    from .aws import _measure
    from .aws._estimate import confirm_aws_sweep, estimate_aws_sweep

    # One attempt per call (a retried Invoke would be a second, unrecorded invocation) and a
    # read timeout past the function's own, which Lambda's 15 minutes bound.
    client = boto3.client(
        "lambda", config=Config(retries={"max_attempts": 1}, read_timeout=960, tcp_keepalive=True)
    )
    config = client.get_function_configuration(FunctionName=args.aws)
    payloads = [(r.body, r.weight) for r in requests]
    # What it will cost at most, before anything runs: without stated figures, every call is
    # taken to run to the function's timeout and every init to Lambda's 10 s init limit.
    estimate = estimate_aws_sweep(
        function_name=args.aws,
        memory_sizes=list(sizes),
        cold=args.cold,
        warm=args.warm,
        expected_duration_ms=(
            args.expected_duration_ms
            if args.expected_duration_ms is not None
            else float(config["Timeout"]) * 1000.0
        ),
        expected_init_ms=(args.expected_init_ms if args.expected_init_ms is not None else 10_000.0),
        reference_memory_mb=int(config["MemorySize"]),
        architecture=(config.get("Architectures") or ["x86_64"])[0],
        parallelism=args.parallelism,
    )
    if not confirm_aws_sweep(
        estimate, assume_yes=args.yes, input_fn=_ask, print_fn=lambda line: print(line, flush=True)
    ):
        raise _AwsUnavailable(
            "not run: the estimate was not accepted (answer y, or run with "
            "--yes to accept it without a question)"
        )
    result: dict[int, list[Invocation]] = _measure.sweep_on_aws(
        function_name=args.aws,
        memory_sizes=list(sizes),
        cold=args.cold,
        warm=args.warm,
        payloads=payloads,
        lambda_client=client,
        parallelism=args.parallelism,
        progress=lambda line: print(line, flush=True),
    )
    return result


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    from emulator import EmulatorError
    from stack import StackError, load_stack, project_root

    root = project_root()
    try:
        sizes = parse_memory(args.memory)
        strategy = parse_strategy(args.strategy)
        slo = parse_slo(args.slo) if args.slo is not None else None
        check_bounds(args)
        base = load_stack(args.stack, root)
        if base.is_worker:
            raise SweepInputError(
                f"{args.stack} is the load generator's worker stack, not a "
                "function to size: sweep a stack that serves requests"
            )
        if base.kind == "function" and args.requests is None:
            # the default request is the study's model's; a team's function has its own
            raise SweepInputError(
                f"{args.stack} is a function stack: give the requests to "
                'send with --requests FILE (JSON lines of {"body": ...})'
            )
        artifact = (args.artifact or root / "build" / MODEL_FILE).resolve()
        requests = (
            read_requests(args.requests)
            if args.requests is not None
            else default_requests(artifact, args.batch)
        )
    except (SweepInputError, StackError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return ExitCode.USAGE
    run_id = args.run_id or new_run_id(prefix="sweep-")
    results = args.results if args.results.is_absolute() else root / args.results
    run_dir = results / run_id
    started_epoch = time.time()
    starts: dict[int, list[float]] = {}
    log_dir: Path | None = None
    not_run: dict[int, str] = {}
    network: dict[str, float] | None = None
    where = f"AWS function {args.aws}" if args.aws else f"local emulator, {host_cpus()} CPUs"
    print(
        f"sweep {args.stack}: {', '.join(f'{m:,}' for m in sizes)} MB; {args.cold} cold + "
        f"{args.warm} warm each, parallelism {args.parallelism}; {where}",
        flush=True,
    )
    began = time.monotonic()
    # SIGTERM (kill, CI cancellation) stops as Ctrl-C does. On AWS it interrupts the backend
    # (which cleans up); locally it cancels the sweep's task, so the emulator's own clean-up
    # (every instance ended) runs as it does on Ctrl-C (asyncio.run cancels on SIGINT).
    # The AWS backend holds SIGINT and SIGTERM itself while it runs, to restore the function.
    interrupted: int | None = None
    local = LocalSweepResult()
    received: list[int] = []
    try:
        if args.aws:
            from .aws._errors import AwsSweepError, AwsSweepInterrupted

            try:
                invocations = _run_aws(args, sizes, requests)
            except AwsSweepInterrupted as stopped:
                print(f"interrupted: {stopped}", file=sys.stderr)
                interrupted, invocations = stopped.signum, stopped.measured
                if not invocations:
                    print("no size was measured to the end, nothing written", file=sys.stderr)
                    return signalled(interrupted)
            except AwsSweepError as exc:
                raise _AwsUnavailable(str(exc)) from None
        else:
            from ._local import sweep_on_emulator

            asyncio.run(
                _cancelled_by_sigterm(
                    received,
                    sweep_on_emulator(
                        stack=args.stack,
                        memory_sizes=sizes,
                        cold=args.cold,
                        warm=args.warm,
                        requests=requests,
                        root=root,
                        build_dir=(args.build_dir or root / "build" / "sweep" / run_id).resolve(),
                        parallelism=args.parallelism,
                        artifact=artifact if artifact.is_file() else None,
                        client_rtt_ms=args.rtt,
                        gateway_latency_ms=args.gateway_latency,
                        progress=lambda line: print(line, flush=True),
                        into=local,
                    ),
                )
            )
    except (StackError, EmulatorError, _AwsUnavailable) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return ExitCode.USAGE
    except Exception as exc:
        if type(exc).__module__.startswith("botocore"):
            # no credentials, no such function, access denied: AWS's own words, on one line
            print(f"error: AWS: {exc}", file=sys.stderr)
            return ExitCode.USAGE
        raise
    except (KeyboardInterrupt, asyncio.CancelledError) as exc:
        if received:
            interrupted = received[0]
        elif isinstance(exc, KeyboardInterrupt) and exc.args:
            interrupted = int(exc.args[0])
        else:
            interrupted = int(signal.SIGINT)
        if not local.invocations:
            print("interrupted: no size was measured to the end, nothing written", file=sys.stderr)
            return signalled(interrupted)
        print(
            f"interrupted: writing the {len(local.invocations)} size(s) measured to the end",
            file=sys.stderr,
        )
    if not args.aws:
        invocations, not_run, starts = local.invocations, local.not_run, local.starts_s
        log_dir = local.log_dir
        started_epoch = local.start_epoch_s or started_epoch
        network = {
            "client_rtt_ms": args.rtt,
            "gateway_latency_ms": args.gateway_latency,
            "added_ms": args.rtt + args.gateway_latency,
        }
    elapsed_s = time.monotonic() - began
    stats = {
        mb: size_stats(mb, invs, architecture=base.architecture, cold_share=args.cold_share)
        for mb, invs in sorted(invocations.items())
    }
    ordered = [stats[mb] for mb in sizes if mb in stats]
    by_strategy = choose(candidates(ordered), strategy)
    choice: Choice = choose_by_slo(ordered, slo) if slo is not None else by_strategy
    lines = _summary(args, sizes, not_run, by_strategy, choice, elapsed_s, ordered)
    if interrupted is not None:
        lines.insert(
            0,
            f"INTERRUPTED by signal {interrupted}: only "
            f"{', '.join(f'{m:,}' for m in sorted(invocations))} MB measured",
        )
    for mb in sizes:
        if mb in invocations:
            variant = f"{args.stack}-at-{mb}"
            settings = asdict(load_stack(f"{args.stack}@{mb}", root))
            write_variant_folder(
                run_dir,
                variant=variant,
                run_id=run_id,
                memory_mb=mb,
                invocations=invocations[mb],
                starts_s=starts.get(mb),
                start_epoch_s=started_epoch,
                settings=json.loads(json.dumps(settings, default=str)),
                network_path=network,
                batch=args.batch,
                log_path=(stack_log_path(log_dir, variant)) if log_dir is not None else None,
                report_lines=None if log_dir is not None else report_lines(invocations[mb]),
            )
    document: dict[str, Any] = {
        "schema_version": 1,
        "stack": args.stack,
        "backend": "aws" if args.aws else "emulator",
        "function": args.aws,
        "run_id": run_id,
        "memory_mb": sizes,
        "cold": args.cold,
        "warm": args.warm,
        "parallelism": args.parallelism,
        "batch": args.batch,
        "strategy": str(strategy),
        "slo": slo,
        "elapsed_s": round(elapsed_s, 1),
        "host_cpus": host_cpus(),
        "mb_per_vcpu": MB_PER_VCPU,
        "ci_method": CI_METHOD,
        "architecture": base.architecture,
        "chosen_mb": choice.memory_mb,
        "closest_mb": choice.closest_mb,
        "reason": choice.reason,
        "ties_mb": list(choice.ties),
        "by_strategy_mb": by_strategy.memory_mb,
        "not_run": {str(k): v for k, v in not_run.items()},
        "sizes": [_size_json(stats[mb]) for mb in sizes if mb in stats],
        "interrupted": None if interrupted is None else f"stopped by signal {interrupted}",
    }
    paths = write_sweep_folder(
        run_dir / "sweep",
        document=document,
        invocations=invocations,
        sizes=sizes,
        stats=stats,
        not_run=not_run,
        choice=choice,
        title=f"{args.stack} ({document['backend']})",
        summary_lines=lines,
    )
    print("\n".join(table(sizes, stats, not_run, choice.memory_mb)))
    print("\n".join(lines))
    print(
        f"written: {paths['report']}, {paths['csv'].name}, {paths['chart'].name}, "
        f"{paths['cold_chart'].name}; result folders for `python -m report write {run_dir}`"
    )
    if interrupted is not None:
        return signalled(interrupted)
    if args.apply:
        status = apply_choice(root, args.stack, choice)
        if status:
            return status
    if not any(i.failure is None for invs in invocations.values() for i in invs):
        kinds = Counter(i.failure for invs in invocations.values() for i in invs)
        print(
            "error: no request succeeded at any size ("
            + (", ".join(f"{k} ×{v}" for k, v in sorted(kinds.items(), key=str)) or "none sent")
            + "): check the stack, --requests (body, path) and the emulator's logs",
            file=sys.stderr,
        )
        return ExitCode.NOTHING_MEASURED
    return ExitCode.OK


async def _cancelled_by_sigterm(received: list[int], work: Coroutine[Any, Any, T]) -> T:
    """``work``, cancelled when SIGTERM arrives (its number kept in ``received``)."""
    task = asyncio.current_task()
    assert task is not None
    loop = asyncio.get_running_loop()

    def on_sigterm() -> None:
        received.append(int(signal.SIGTERM))
        task.cancel()

    loop.add_signal_handler(signal.SIGTERM, on_sigterm)
    try:
        return await work
    finally:
        loop.remove_signal_handler(signal.SIGTERM)


def _size_json(s: SizeStats) -> dict[str, Any]:
    from ._output import stats_json

    return stats_json(s)


def _summary(
    args: argparse.Namespace,
    sizes: Sequence[int],
    not_run: dict[int, str],
    by_strategy: Choice,
    choice: Choice,
    elapsed_s: float,
    stats: Sequence[SizeStats],
) -> list[str]:
    lines = [
        f"measured in {elapsed_s:.0f} s; figures are medians with {CI_METHOD}",
        f"strategy {by_strategy.reason}",
    ]
    if args.slo is not None:
        lines.append(choice.reason)
    for figure, label, best_word in (
        ("warm_duration", "warm Duration", "fastest"),
        ("cost_per_million_usd", "cost per million", "cheapest"),
        ("init", "Init Duration", "shortest"),
    ):
        found = best_and_ties(stats, figure)
        if found is not None and sum(s.usable for s in stats) > 1:
            best_mb, ties = found
            lines.append(
                f"{label}: {best_word} {best_mb:,} MB"
                + (
                    f"; indistinguishable from it: {', '.join(f'{m:,}' for m in ties)} MB"
                    if ties
                    else "; no other size's interval overlaps it"
                )
            )
    skipped = [m for m in sizes if m in not_run]
    if skipped:
        lines.append(
            f"not run: {', '.join(f'{m:,} MB' for m in skipped)} (their CPU share is "
            f"more than this host's {host_cpus()} CPUs)"
        )
    return lines
