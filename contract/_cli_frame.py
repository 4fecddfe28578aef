"""The frame every command line's ``main`` runs in: Ctrl-C, a closed stdout and user errors
become one exit code each (``ExitCode``), with at most one line on stderr."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import TypeVar

from contract._exit_codes import ExitCode

Args = TypeVar("Args")


def run_main(
    main: Callable[[Args], int], argv: Args, *, user_errors: tuple[type[Exception], ...] = ()
) -> int:
    """``main(argv)``'s exit code; what escapes it becomes a code of its own.

    - one of ``user_errors``: ``error: <the error>`` and ``USAGE`` (2);
    - ``KeyboardInterrupt`` (Ctrl-C before or after the command's own handling):
      ``interrupted`` and ``INTERRUPTED`` (130);
    - ``BrokenPipeError`` (the reader went away, ``| head``): nothing said and ``BROKEN_PIPE``
      (141), as Unix tools end on SIGPIPE; stdout is pointed at /dev/null first, so that
      Python's own flush at exit stays quiet too.

    stdout is flushed before returning, where a closed pipe can still be met quietly.
    Anything else (a bug) keeps its traceback. ``SystemExit`` (argparse's usage errors, 2)
    passes through.
    """
    try:
        status = main(argv)
        sys.stdout.flush()
        return status
    except user_errors as exc:
        print(f"error: {exc}", file=sys.stderr)
        return ExitCode.USAGE
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return ExitCode.INTERRUPTED
    except BrokenPipeError:
        _stdout_to_devnull()
        return ExitCode.BROKEN_PIPE


def _stdout_to_devnull() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
    except OSError:
        return
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # ValueError: sys.stdout has no descriptor (closed, replaced)
        pass
    finally:
        os.close(devnull)
