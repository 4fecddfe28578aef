"""``contract.run_main``: what escapes a command's ``main`` becomes one exit code and at most
one line, the same for every command of the project."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from contract import ExitCode, run_main

REPO = Path(__file__).resolve().parents[2]


class _UserError(Exception):
    pass


def test_a_user_error_is_one_line_and_usage(capsys: pytest.CaptureFixture[str]) -> None:
    def main(argv: list[str]) -> int:
        raise _UserError(f"no stack named {argv[0]}: give one of python-256, java-256")

    assert run_main(main, ["nope"], user_errors=(_UserError,)) == 2 == int(ExitCode.USAGE)
    out, err = capsys.readouterr()
    assert out == ""
    assert err == "error: no stack named nope: give one of python-256, java-256\n"


def test_an_error_not_named_a_user_error_keeps_its_traceback() -> None:
    def main(argv: None) -> int:
        raise _UserError("a bug")

    with pytest.raises(_UserError):
        run_main(main, None, user_errors=(KeyError,))


def test_ctrl_c_is_one_line_and_130(capsys: pytest.CaptureFixture[str]) -> None:
    def main(argv: None) -> int:
        raise KeyboardInterrupt

    assert run_main(main, None) == 130 == int(ExitCode.INTERRUPTED)
    assert capsys.readouterr().err == "interrupted\n"


def test_the_commands_own_code_and_argparses_exit_pass_through() -> None:
    assert run_main(lambda argv: ExitCode.WORKERS_LOST, None) == 5
    assert run_main(lambda argv: 137, None) == 137  # a child's signal status, passed on

    def usage(argv: None) -> int:
        raise SystemExit(2)

    with pytest.raises(SystemExit) as exited:
        run_main(usage, None)
    assert exited.value.code == 2


_WRITER = textwrap.dedent("""
    import sys
    from contract import ExitCode, run_main

    def main(argv):
        for n in range(200_000):  # far more than a pipe's buffer holds
            print(f"line {n}")
        return ExitCode.OK

    sys.exit(run_main(main, None))
""")


def _writer(stdout: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-c", _WRITER], cwd=REPO, stdout=stdout, stderr=subprocess.PIPE
    )


def test_a_reader_that_goes_away_ends_the_command_quietly_with_141() -> None:
    # `python ... | head -c0`: the reader exits at once, the writer meets a closed pipe.
    writer = _writer(subprocess.PIPE)
    assert writer.stdout is not None
    head = subprocess.run(["head", "-c0"], stdin=writer.stdout, check=False, timeout=60)
    writer.stdout.close()
    _, err = writer.communicate(timeout=60)
    assert head.returncode == 0
    assert writer.returncode == 141 == int(ExitCode.BROKEN_PIPE)
    assert err == b""  # no traceback, no "Exception ignored" at exit


def test_a_pipe_closed_before_the_first_write_ends_it_quietly_with_141() -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        writer = _writer(write_end)
    finally:
        os.close(write_end)
    _, err = writer.communicate(timeout=60)
    assert writer.returncode == 141
    assert err == b""


def test_a_command_whose_stdout_is_closed_ends_quietly_with_141() -> None:
    # The policy (7 kB) fits in Python's buffer: the frame's flush is what meets the closed
    # pipe, before the interpreter's own flush at exit would print "Exception ignored".
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "stack", "deployer-policy"],
            cwd=REPO,
            stdout=write_end,
            stderr=subprocess.PIPE,
            check=False,
            timeout=120,
        )
    finally:
        os.close(write_end)
    assert done.returncode == 141, done.stderr
    assert done.stderr == b""
