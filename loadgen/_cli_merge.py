"""``python -m loadgen merge DIR... --out DIR``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from contract import ExitCode

from ._console import summary_table
from .files._merge import merge_results


def describe(name: str) -> tuple[str, str]:
    return (
        "merge result folders of one scenario from several machines",
        (
            "Merge the result folders (results/<run>/<target>/<scenario>/) of one scenario, run "
            "on\n"
            "several machines at once, into one folder: requests concatenated, histograms added\n"
            "(lossless), timelines summed per second, summary recomputed."
        ),
    )


def configure(name: str, parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "folders",
        nargs="+",
        type=Path,
        metavar="DIR",
        help="result folders to merge (each holds run.json, requests.jsonl, ...)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        required=True,
        metavar="DIR",
        help="new folder for the merged results (must not exist or be empty)",
    )


def main(name: str, args: argparse.Namespace) -> int:
    summary = merge_results(list(args.folders), args.out)
    print(summary_table(summary))
    for problem in summary.get("data_problems") or []:
        print(f"warning: {problem}", file=sys.stderr)
    print(f"merged results: {args.out}")
    return ExitCode.OK
