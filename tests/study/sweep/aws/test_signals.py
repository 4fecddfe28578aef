"""SIGINT and SIGTERM during a sweep on AWS: the first stops the measuring, any during the
clean-up wait for it."""

from __future__ import annotations

import os
import signal

import pytest

from study.sweep.aws._signals import SignalGuard, Signalled


def test_a_signal_interrupts_the_sweep_once_and_is_held_during_its_clean_up() -> None:
    said: list[str] = []
    before = signal.getsignal(signal.SIGINT)
    with SignalGuard(said.append) as guard:
        with pytest.raises(Signalled) as caught:
            os.kill(os.getpid(), signal.SIGTERM)
        assert caught.value.signum == signal.SIGTERM
        guard.hold()
        os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C during the clean-up: noted, no raise
        assert guard.held == [signal.SIGINT]
    assert said == ["SIGINT: restoring the function first, a few seconds"]
    assert signal.getsignal(signal.SIGINT) is before
