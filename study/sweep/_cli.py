"""``python -m study sweep --stack NAME``: which memory size serves this function best.

For every size of ``--memory`` the sweep measures ``--cold`` forced cold starts and ``--warm``
warm requests (on the local emulator, or with ``--aws FUNCTION`` on a deployed function
through ``study.sweep.aws._backend``), then prints and writes, per size, the figures of
:mod:`study.sweep._stats` and the optimum under ``--strategy`` or ``--slo``. ``--apply`` writes
the chosen size into ``Pulumi.<stack>.yaml`` (:mod:`study.sweep._apply`). The options are read
and checked by :mod:`study.sweep._options` and :mod:`study.sweep._requests`.

Exit status: 0 when the sweep measured every size it could (a size that fails, an out-of-memory
at 128 MB say, is that size's answer); 2 a usage error (one line on stderr); 3 when no request
succeeded at any size; 130/143 when interrupted.
"""

from __future__ import annotations

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

from contract import MODEL_FILE, ExitCode, signalled
from resultfiles import log_path as stack_log_path
from resultfiles import new_run_id

from ._apply import apply_choice
from ._document import sweep_document
from ._local import LocalSweepResult, host_cpus
from ._options import check_bounds, parse_memory, sweep_parser
from ._output import write_sweep_folder
from ._requests import default_requests, read_requests
from ._size_folder import report_lines, write_variant_folder
from ._stats import (
    Choice,
    SweepInputError,
    candidates,
    choose,
    choose_by_slo,
    parse_slo,
    parse_strategy,
    size_stats,
)
from ._summary import summary_lines
from ._table import table
from .aws._backend import AwsUnavailable, run_aws

T = TypeVar("T")


def main(argv: Sequence[str] | None = None) -> int:
    args = sweep_parser().parse_args(argv)
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
                invocations = run_aws(args, sizes, requests)
            except AwsSweepInterrupted as stopped:
                print(f"interrupted: {stopped}", file=sys.stderr)
                interrupted, invocations = stopped.signum, stopped.measured
                if not invocations:
                    print("no size was measured to the end, nothing written", file=sys.stderr)
                    return signalled(interrupted)
            except AwsSweepError as exc:
                raise AwsUnavailable(str(exc)) from None
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
    except (StackError, EmulatorError, AwsUnavailable) as exc:
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
    lines = summary_lines(
        slo_given=args.slo is not None,
        sizes=sizes,
        not_run=not_run,
        by_strategy=by_strategy,
        choice=choice,
        elapsed_s=elapsed_s,
        stats=ordered,
    )
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
    document = sweep_document(
        stack=args.stack,
        function=args.aws,
        run_id=run_id,
        sizes=sizes,
        cold=args.cold,
        warm=args.warm,
        parallelism=args.parallelism,
        batch=args.batch,
        strategy=strategy,
        slo=slo,
        elapsed_s=elapsed_s,
        architecture=base.architecture,
        by_strategy=by_strategy,
        choice=choice,
        not_run=not_run,
        stats=stats,
        interrupted=interrupted,
    )
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
