"""The exit codes every command line of the project returns (README.md, "Exit codes")."""

from __future__ import annotations

import enum


class ExitCode(enum.IntEnum):
    """One number, one meaning, whichever command returns it.

    The load generator's run commands use every code; the study passes on the worst of its
    runs; the other commands use the few that apply to them (OK, USAGE and the signals).
    """

    #: Every attempt succeeded (or, for a command that sends nothing, it did its job).
    OK = 0
    #: Partial failure: some attempts failed (the study: no report could be written).
    FAILED = 1
    #: A usage or input error, said in one ``error:`` line; nothing was sent.
    USAGE = 2
    #: The run measured nothing: no attempt succeeded (``report compare``: no stack in common).
    NOTHING_MEASURED = 3
    #: The results could not be written (disk full, I/O error); the files kept are valid.
    WRITE_FAILED = 4
    #: A run on workers lost one or more of them: their users are missing from the merge.
    WORKERS_LOST = 5
    #: ``--stop-at-first-failure``: the first answer was not correct, so the run stopped there.
    FIRST_FAILURE = 6
    #: Interrupted by SIGINT (Ctrl-C): 128 + 2, the shell's convention.
    INTERRUPTED = 130
    #: Standard output closed early (``| head``): 128 + SIGPIPE, stopped quietly.
    BROKEN_PIPE = 141
    #: Stopped by SIGTERM (``timeout``, CI cancelling, ``kill``): 128 + 15.
    TERMINATED = 143


#: The shell's code for "ended by signal N" is this plus N.
SIGNAL_BASE = 128


def signalled(signum: int) -> int:
    """The exit code of a command ended by signal ``signum``: 128 + N (130 for SIGINT, 143 for
    SIGTERM), an ``ExitCode`` member where one has that number."""
    code = SIGNAL_BASE + int(signum)
    try:
        return ExitCode(code)
    except ValueError:
        return code
