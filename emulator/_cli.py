"""The command line: ``python -m emulator up [STACK ...] [options]``."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from contract import DEFAULT_KEEP_ALIVE_S, ExitCode, run_main, signalled
from resultfiles import ENDPOINTS, ResultsError, read_endpoints, write_endpoints

from ._console import announce, say
from ._emulator import Emulator
from ._endpoints_doc import endpoints_document
from ._errors import EmulatorError
from ._lock import BuildDirLock
from ._prepare import prepare
from ._spec import (
    DEFAULT_ACCOUNT_CONCURRENCY,
    DEFAULT_CLIENT_RTT_MS,
    DEFAULT_GATEWAY_LATENCY_MS,
    INIT_BURST_VCPU,
    INIT_CPU_MODES,
    EmulatorOptions,
)
from .gateway._sigv4 import StaticCredentials, credentials_from
from .logs._samples import parse_ms


def _duration_ms(text: str) -> float:
    try:
        return parse_ms(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_network_options(parser: argparse.ArgumentParser) -> None:
    """``--rtt`` and ``--gateway-latency``: the study takes the very same options."""
    parser.add_argument(
        "--rtt",
        type=_duration_ms,
        default=DEFAULT_CLIENT_RTT_MS,
        metavar="MS",
        help="the client's round trip to the region, added to every request "
        f"(default {DEFAULT_CLIENT_RTT_MS:g}ms: a client outside AWS over the "
        "internet; 2ms: a client inside the region; 0: none)",
    )
    parser.add_argument(
        "--gateway-latency",
        type=_duration_ms,
        default=DEFAULT_GATEWAY_LATENCY_MS,
        metavar="MS",
        help="API Gateway HTTP API's own latency per request "
        f"(default {DEFAULT_GATEWAY_LATENCY_MS:g}ms; 0: none)",
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m emulator", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser(
        "up",
        help="build and host stacks locally until Ctrl-C or SIGTERM (exit 130 or 143)",
        description="Build each stack's package and host it behind a local HTTP API "
        "(127.0.0.1) with Lambda's semantics. Writes build/endpoints.json for the load generator.",
    )
    up.add_argument(
        "stacks",
        nargs="*",
        metavar="STACK",
        help="stack names (Pulumi.<stack>.yaml), model or loadgen-worker stacks; "
        "default: every model stack file",
    )
    up.add_argument(
        "--time-scale",
        type=float,
        default=1.0,
        metavar="K",
        help="run the keep-alive clock K times faster (timeouts stay real); default 1",
    )
    up.add_argument(
        "--keep-alive-s",
        type=float,
        default=DEFAULT_KEEP_ALIVE_S,
        metavar="S",
        help="idle seconds (scaled) before an instance is reclaimed; default 600",
    )
    up.add_argument(
        "--idle-policy",
        choices=("fixed", "sebs"),
        default="fixed",
        help="fixed keep-alive, or SeBS's: half of the idle instances every 6 min",
    )
    up.add_argument(
        "--account-concurrency",
        type=int,
        default=DEFAULT_ACCOUNT_CONCURRENCY,
        metavar="N",
        help="requests in flight across all stacks; a stack's reserved "
        "concurrency is carved out of it, the others share the rest "
        f"(AWS: 1,000; default here {DEFAULT_ACCOUNT_CONCURRENCY})",
    )
    up.add_argument(
        "--port-base",
        type=int,
        default=0,
        metavar="P",
        help="front door of the i-th stack on port P+i; default: free ports",
    )
    up.add_argument(
        "--root",
        type=Path,
        default=None,
        help="project root (stack files, build/, runtime/ if it has one); default: "
        "this "
        "checkout, else the nearest directory holding Pulumi.yaml",
    )
    up.add_argument(
        "--build-dir",
        type=Path,
        default=None,
        help="where endpoints.json, logs and instance dirs go; default <root>/build",
    )
    up.add_argument(
        "--artifact",
        type=Path,
        default=None,
        help="model artifact to package; default <root>/build/model.zip",
    )
    up.add_argument(
        "--no-cpu-limits",
        action="store_true",
        help="run instances unthrottled even where cgroups are writable",
    )
    up.add_argument(
        "--init-cpu",
        choices=INIT_CPU_MODES,
        default="burst",
        help=f"the init phase's CPU: burst (up to {INIT_BURST_VCPU:g} vCPU, then the "
        "memory share from the first invocation: the model calibrated on AWS's "
        "measurements) or share (the memory share throughout); default burst "
        "(docs/emulator.md)",
    )
    up.add_argument(
        "--credentials",
        metavar="KEY_ID:SECRET",
        default=None,
        help="the credentials IAM-authorised stacks check signatures against; default "
        "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY when both are set, else the local "
        "study's documented ones (docs/emulator.md)",
    )
    add_network_options(up)
    return parser


def _repo_root() -> Path:
    from stack import project_root  # the checkout, or the user's Pulumi project

    return project_root()


async def _serve(args: argparse.Namespace, root: Path) -> int:
    credentials = credentials_from(args.credentials)
    build = (args.build_dir or root / "build").resolve()
    # Before anything is built or written: a second emulator on this build dir is refused.
    with BuildDirLock(build):
        return await _serve_locked(args, root, build, credentials)


async def _serve_locked(
    args: argparse.Namespace, root: Path, build: Path, credentials: StaticCredentials
) -> int:
    settings, specs, packages, worker_packages = prepare(
        args.stacks, root=root, artifact=args.artifact
    )
    options = EmulatorOptions(
        time_scale=args.time_scale,
        keep_alive_s=args.keep_alive_s,
        idle_policy=args.idle_policy,
        account_concurrency=args.account_concurrency,
        port_base=args.port_base,
        cpu_limits=not args.no_cpu_limits,
        init_cpu=args.init_cpu,
        credentials=credentials,
        client_rtt_ms=args.rtt,
        gateway_latency_ms=args.gateway_latency,
        work_dir=build / "emulator",
        log_dir=build / "emulator" / "logs",
        # Kept under the project's build/ whatever --build-dir says: the study gives every run
        # its own build dir, and the framework folders are copies (GBs for TensorFlow stacks).
        python_env_dir=root / "build" / "emulator" / "python-runtime",
    )
    endpoints = build / ENDPOINTS
    stop = asyncio.Event()
    received: list[int] = []

    def on_signal(signum: int) -> None:
        received.append(signum)
        stop.set()

    loop = asyncio.get_running_loop()
    # SIGTERM (kill, timeout, CI cancellation) stops as cleanly as Ctrl-C does.
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, on_signal, sig)
    async with Emulator(specs, options) as emu:
        document = endpoints_document(emu, settings, root, packages, worker_packages)
        write_endpoints(endpoints, document)
        announce(emu, settings, options, endpoints)
        try:
            await stop.wait()
        finally:
            say("stopping: ending every instance")
            try:
                written = read_endpoints(endpoints)
                if written is not None and written.pid == os.getpid():
                    endpoints.unlink()
            except (OSError, ResultsError):
                pass
    # The shell's convention for "ended by signal N": 128 + N (130 for SIGINT, 143 for SIGTERM).
    return signalled(received[0]) if received else ExitCode.OK


def main(argv: Sequence[str] | None = None) -> int:
    try:
        from stack import StackError
    except ImportError as exc:  # pragma: no cover - the stack package is part of this repo
        print(
            f"error: cannot import the stack package ({exc}); run from the repository",
            file=sys.stderr,
        )
        return ExitCode.USAGE
    return run_main(_main, argv, user_errors=(EmulatorError, StackError))


def _main(argv: Sequence[str] | None) -> int:
    args = _parser().parse_args(argv)
    root = (args.root or _repo_root()).resolve()
    return asyncio.run(_serve(args, root))
