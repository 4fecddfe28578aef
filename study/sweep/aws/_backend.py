"""The sweep on a deployed function, from the command line's options: the Lambda client, the
estimate asked about first, then the measuring (``_measure.sweep_on_aws``)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from .._local import SweepRequest
from .._samples import Invocation


class AwsUnavailable(Exception):
    """The AWS backend cannot run here; the message says why."""


def ask(prompt: str) -> str:
    """The answer typed at a terminal; off one (CI, a pipe) there is nobody to ask: no answer."""
    if not sys.stdin.isatty():
        raise EOFError
    return input(prompt)


def run_aws(
    args: argparse.Namespace, sizes: Sequence[int], requests: Sequence[SweepRequest]
) -> dict[int, list[Invocation]]:
    """The sweep on a deployed function (``study.sweep.aws._measure``): its estimate first, asked
    about unless ``--yes``; ``AwsSweepInterrupted`` carries the sizes measured before a signal."""
    try:
        import boto3
        from botocore.config import Config
    except ImportError as exc:
        raise AwsUnavailable(f"--aws needs boto3 (pip install boto3): {exc}") from None
    from . import _measure
    from ._estimate import confirm_aws_sweep, estimate_aws_sweep

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
        estimate, assume_yes=args.yes, input_fn=ask, print_fn=lambda line: print(line, flush=True)
    ):
        raise AwsUnavailable(
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
