"""``python -m report compare A B``: two runs of the same stacks or sweep, figure by figure."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from contract import ExitCode

from ._compare import compare_runs, render_comparison


def describe(name: str) -> tuple[str, str]:
    return (
        "compare two runs of the same stacks or sweep, figure by figure",
        (
            "Read two runs (folders of result folders with their logs/, e.g. the emulator's\n"
            "and AWS's) and print, for every target in both, each figure's median with its\n"
            "confidence interval in A and in B, their ratio B / A, and whether the difference\n"
            "is inside the intervals."
        ),
    )


def configure(name: str, parser: argparse.ArgumentParser) -> None:
    parser.add_argument("a", type=Path, metavar="A", help="the first run's folder")
    parser.add_argument("b", type=Path, metavar="B", help="the second run's folder")
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        metavar="FILE",
        help="also write the table to FILE (Markdown)",
    )


def main(name: str, args: argparse.Namespace) -> int:
    comparison = compare_runs(args.a, args.b)
    text = render_comparison(comparison)
    print(text)
    if args.out is not None:
        try:
            args.out.parent.mkdir(parents=True, exist_ok=True)
            args.out.write_text(text + "\n", encoding="utf-8")
        except OSError as exc:
            print(f"error: cannot write {args.out}: {exc.strerror or exc}", file=sys.stderr)
            return ExitCode.USAGE
    return ExitCode.OK if comparison.rows else ExitCode.NOTHING_MEASURED
