"""``python -m report write|logs|compare ...``: the report, the CloudWatch log download, and
two runs compared figure by figure.

The same modules serve ``python -m loadgen report`` and ``python -m loadgen logs``.
"""

from __future__ import annotations

import argparse
import sys

from contract import run_main
from resultfiles import ResultsError

from . import _cli_compare, _cli_logs, _cli_report

SUBCOMMANDS = {"write": _cli_report, "logs": _cli_logs, "compare": _cli_compare}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m report",
        description="Compare stacks from result folders (docs/results.md) and the functions' "
        "REPORT lines: report.md with charts, cost and a recommendation.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, module in SUBCOMMANDS.items():
        help_text, description = module.describe(name)
        child = sub.add_parser(
            name,
            help=help_text,
            description=description,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        module.configure(name, child)
        child.set_defaults(_main=module.main)
    return parser


def main(argv: list[str] | None = None) -> int:
    return run_main(_main, argv, user_errors=(ResultsError,))


def _main(argv: list[str] | None) -> int:
    args = build_parser().parse_args(argv)
    return int(args._main(args.command, args))


if __name__ == "__main__":
    sys.exit(main())
