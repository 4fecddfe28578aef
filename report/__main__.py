"""``python -m report write|logs|compare ...``: the report, the CloudWatch log download, and
two runs compared figure by figure.

The same modules serve ``python -m loadgen report`` and ``python -m loadgen logs``.
"""

from __future__ import annotations

import argparse
import os
import sys

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
        child = sub.add_parser(name, help=help_text, description=description,
                               formatter_class=argparse.RawDescriptionHelpFormatter)
        module.configure(name, child)
        child.set_defaults(_main=module.main)
    return parser


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        status = int(args._main(args.command, args))
        sys.stdout.flush()
        return status
    except ResultsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # The reader went away (`| head`): stop quietly, as Unix tools do when SIGPIPE ends them.
        # Python's exit flush would fail on the closed pipe: point stdout at /dev/null first.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
        return 141


if __name__ == "__main__":
    sys.exit(main())
