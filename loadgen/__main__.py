"""``python -m loadgen SUBCOMMAND ...``: each subcommand lives in its own module.

A module in SUBCOMMANDS provides ``describe(name) -> (help, description)``,
``configure(name, parser)`` and ``main(name, args) -> int``; adding a subcommand is one
entry here.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from ._console import silence
from ._errors import LoadgenError

SUBCOMMANDS: dict[str, str] = {
    "scenario1": "loadgen._cli",
    "scenario2": "loadgen._cli",
    "rate": "loadgen._cli",
    "merge": "loadgen._cli_merge",
    "report": "loadgen._cli_report",
    "logs": "loadgen._cli_logs",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m loadgen",
        description="Load generator: measure a prediction endpoint (the local emulator, an AWS "
                    "stack or any URL) and write result files (docs/results.md).",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, module_name in SUBCOMMANDS.items():
        module = importlib.import_module(module_name)
        help_text, description = module.describe(name)
        child = sub.add_parser(name, help=help_text, description=description,
                               formatter_class=argparse.RawDescriptionHelpFormatter)
        module.configure(name, child)
        child.set_defaults(_module=module)
    return parser


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        status = int(args._module.main(args.command, args))
        # Flushed here, where a closed pipe can still be met quietly, not at exit.
        sys.stdout.flush()
        return status
    except LoadgenError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # The reader went away (`| head`): stop quietly, as Unix tools do when SIGPIPE ends them.
        silence(sys.stdout)
        return 141


if __name__ == "__main__":
    sys.exit(main())
