"""What ``python -m study sweep`` is asked to measure, checked before anything starts: the
memory sizes (``--memory``) and the per-size counts (``--cold``, ``--warm``, ``--parallelism``,
``--batch``, ``--cold-share``)."""

from __future__ import annotations

import argparse

from contract import MEMORY_MB_MAX, MEMORY_MB_MIN

from ._stats import SweepInputError

__all__ = ["DEFAULT_MEMORY", "MAX_REQUESTS_PER_SIZE", "check_bounds", "parse_memory"]

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
