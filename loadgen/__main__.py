"""``python -m loadgen SUBCOMMAND ...``: each subcommand lives in its own module.

A module in SUBCOMMANDS provides ``describe(name) -> (help, description)``,
``configure(name, parser)`` and ``main(name, args) -> int``; adding a subcommand is one
entry here. ``report`` and ``logs`` are the report package's (``python -m report``), kept
here for users who know them as loadgen's: that package is imported only when one of them
is asked for.
"""

from __future__ import annotations

import argparse
import importlib
import sys

import resultfiles

from ._console import silence
from ._errors import LoadgenError

SUBCOMMANDS: dict[str, str] = {
    "scenario1": "loadgen._cli",
    "scenario2": "loadgen._cli",
    "rate": "loadgen._cli",
    "merge": "loadgen._cli_merge",
    "report": "report._cli_report",
    "logs": "report._cli_logs",
}
#: Subcommands of another package, with the one-line help shown until one is asked for.
ELSEWHERE: dict[str, str] = {
    "report": "report.md and charts from result folders (the same as `python -m report write`)",
    "logs": "a deployed stack's REPORT lines from CloudWatch (`python -m report logs`)",
}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser; of the subcommands in ELSEWHERE only ``command`` is imported."""
    parser = argparse.ArgumentParser(
        prog="python -m loadgen",
        description="Load generator: measure a prediction endpoint (the local emulator, an AWS "
                    "stack or any URL) and write result files (docs/results.md).",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, module_name in SUBCOMMANDS.items():
        if name in ELSEWHERE and name != command:
            sub.add_parser(name, help=ELSEWHERE[name])
            continue
        module = importlib.import_module(module_name)
        help_text, description = module.describe(name)
        child = sub.add_parser(name, help=help_text, description=description,
                               formatter_class=argparse.RawDescriptionHelpFormatter)
        module.configure(name, child)
        child.set_defaults(_module=module)
    return parser


def main(argv: list[str] | None = None) -> int:
    try:
        given = sys.argv[1:] if argv is None else argv
        command = next((arg for arg in given if not arg.startswith("-")), None)
        args = build_parser(command).parse_args(argv)
        status = int(args._module.main(args.command, args))
        # Flushed here, where a closed pipe can still be met quietly, not at exit.
        sys.stdout.flush()
        return status
    except (LoadgenError, resultfiles.ResultsError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # The reader went away (`| head`): stop quietly, as Unix tools do when SIGPIPE ends them.
        silence(sys.stdout)
        return 141


if __name__ == "__main__":
    sys.exit(main())
