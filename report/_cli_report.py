"""``python -m report write RESULTS_DIR... [--out DIR]``: the comparison report."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from contract import ExitCode

from ._cost import Prices
from ._markdown import write_report
from ._recommend import RecommendationRule


def describe(name: str) -> tuple[str, str]:
    return (
        "write report.md and PNG charts comparing stacks side by side",
        (
            "Read result folders (results/<run>/<target>/<scenario>/) and the functions' REPORT\n"
            "lines (logs/<stack>.log beside the results, from the emulator or from\n"
            "`python -m report logs`), and write report.md with charts: stacks side by side,\n"
            "cold starts, throughput, cost per million predictions and a recommendation.\n"
            "Every figure says where it comes from: [C] client, [S] server, [D] derived."
        ),
    )


def configure(name: str, parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "folders",
        nargs="+",
        type=Path,
        metavar="RESULTS_DIR",
        help="folders holding result folders (searched recursively)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        metavar="DIR",
        help="where report.md and the charts go (default: <first RESULTS_DIR>/report)",
    )
    parser.add_argument(
        "--logs",
        type=Path,
        nargs="*",
        default=[],
        metavar="FILE",
        help="server log files with REPORT lines (default: every logs/*.log under "
        "the results folders); name each <stack>.log",
    )
    defaults = Prices()
    parser.add_argument(
        "--price-gb-s-x86",
        type=float,
        default=defaults.gb_second_usd["x86_64"],
        metavar="USD",
        help="Lambda price per GB-second on x86_64 (default %(default)s)",
    )
    parser.add_argument(
        "--price-gb-s-arm",
        type=float,
        default=defaults.gb_second_usd["arm64"],
        metavar="USD",
        help="Lambda price per GB-second on arm64 (default %(default)s)",
    )
    parser.add_argument(
        "--price-request",
        type=float,
        default=defaults.lambda_request_usd,
        metavar="USD",
        help="Lambda price per request (default %(default)s)",
    )
    parser.add_argument(
        "--price-api-request",
        type=float,
        default=defaults.api_request_usd,
        metavar="USD",
        help="API Gateway HTTP API price per request (default %(default)s)",
    )
    parser.add_argument(
        "--tolerance",
        type=float,
        default=0.10,
        metavar="FRACTION",
        help="the recommendation's tolerance on warm p99 and throughput (default 0.10)",
    )


def main(name: str, args: argparse.Namespace) -> int:
    defaults = Prices()
    changed = (
        args.price_gb_s_x86 != defaults.gb_second_usd["x86_64"]
        or args.price_gb_s_arm != defaults.gb_second_usd["arm64"]
        or args.price_request != defaults.lambda_request_usd
        or args.price_api_request != defaults.api_request_usd
    )
    prices = Prices(
        gb_second_usd={"x86_64": args.price_gb_s_x86, "arm64": args.price_gb_s_arm},
        lambda_request_usd=args.price_request,
        api_request_usd=args.price_api_request,
        **({"source": "given on the command line", "as_of": "this run"} if changed else {}),
    )
    out = args.out or args.folders[0] / "report"
    report = write_report(
        list(args.folders),
        out,
        logs=list(args.logs),
        prices=prices,
        rule=RecommendationRule(tolerance=args.tolerance),
        warn=lambda line: print(f"warning: {line}", file=sys.stderr),
    )
    print(f"report: {report}")
    return ExitCode.OK
