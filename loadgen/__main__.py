"""``python -m loadgen SUBCOMMAND ...``: each subcommand lives in its own module.

SUBCOMMANDS names, per subcommand, the module of its options, which provides
``describe(name) -> (help, description)`` and ``configure(name, parser)``, and the module that
runs it, which provides ``main(name, args) -> int`` (one module may be both); adding a
subcommand is one entry here. ``report`` and ``logs`` belong to the report package
(``python -m report write``, ``python -m report logs``), kept here for users who know them as
loadgen's: they run that command in a child process, since the load generator knows nothing of
the report (DESIGN.md).
"""

from __future__ import annotations

import argparse
import importlib
import subprocess
import sys

import resultfiles
from contract import run_main

from ._errors import LoadgenError

#: Subcommand: (the module of its options, the module that runs it).
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "scenario1": ("loadgen._cli_options", "loadgen._cli"),
    "scenario2": ("loadgen._cli_options", "loadgen._cli"),
    "rate": ("loadgen._cli_options", "loadgen._cli"),
    "merge": ("loadgen._cli_merge", "loadgen._cli_merge"),
}
#: Subcommands of the report package: (its subcommand, the one-line help shown here).
ELSEWHERE: dict[str, tuple[str, str]] = {
    "report": ("write", "report.md and charts from result folders (`python -m report write`)"),
    "logs": ("logs", "a deployed stack's REPORT lines from CloudWatch (`python -m report logs`)"),
}


def build_parser() -> argparse.ArgumentParser:
    """The parser of loadgen's own subcommands; those in ELSEWHERE are listed for ``--help``."""
    parser = argparse.ArgumentParser(
        prog="python -m loadgen",
        description="Load generator: measure a prediction endpoint (the local emulator, an AWS "
        "stack or any URL) and write result files (docs/results.md).",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (options_name, command_name) in SUBCOMMANDS.items():
        options = importlib.import_module(options_name)
        help_text, description = options.describe(name)
        child = sub.add_parser(
            name,
            help=help_text,
            description=description,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        options.configure(name, child)
        child.set_defaults(_module=importlib.import_module(command_name))
    for name, (_, help_text) in ELSEWHERE.items():
        sub.add_parser(name, help=help_text, add_help=False)
    return parser


def main(argv: list[str] | None = None) -> int:
    return run_main(_main, argv, user_errors=(LoadgenError, resultfiles.ResultsError))


def _main(argv: list[str] | None) -> int:
    given = sys.argv[1:] if argv is None else argv
    command = next((arg for arg in given if not arg.startswith("-")), None)
    if command in ELSEWHERE:
        rest = list(given)
        rest.remove(command)
        report_command = [sys.executable, "-m", "report", ELSEWHERE[command][0], *rest]
        return subprocess.run(report_command, check=False).returncode
    args = build_parser().parse_args(argv)
    return int(args._module.main(args.command, args))


if __name__ == "__main__":
    sys.exit(main())
