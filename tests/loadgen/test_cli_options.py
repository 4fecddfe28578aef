"""The options of scenario1, scenario2 and rate, as ``python -m loadgen`` shows and checks them."""

from __future__ import annotations

from ..support.loadgen_cli import loadgen


def test_help_explains_every_subcommand() -> None:
    top = loadgen("--help")
    assert top.returncode == 0
    for name in ("scenario1", "scenario2", "rate", "merge"):
        assert name in top.stdout
        sub = loadgen(name, "--help")
        assert sub.returncode == 0 and "usage" in sub.stdout
    assert "--bisect" in loadgen("scenario1", "--help").stdout
    assert "--taurus" in loadgen("scenario2", "--help").stdout


def test_bad_option_values_are_rejected_by_argparse() -> None:
    done = loadgen("scenario2", "--target", "http://x", "--stages", "9:3m")
    assert done.returncode == 2 and "USERS:RAMP_UP:HOLD" in done.stderr
