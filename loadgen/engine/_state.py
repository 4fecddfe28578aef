"""What a scenario driver works with while a run goes: the clock, the attempts, the users."""

from __future__ import annotations

import time

from resultfiles import Scenario1Figures

from ..files._results import ResultWriter
from ._attempt import Attempts
from ._clock import RunClock

__all__ = ["RunState"]


class RunState:
    """The run in progress, as the scenario drivers see and change it."""

    def __init__(
        self, *, clock: RunClock, attempts: Attempts, writer: ResultWriter, notes: list[str]
    ) -> None:
        self.clock = clock
        self.attempts = attempts
        self.writer = writer
        #: Notes for run.json and the summary (e.g. why a bisection stopped).
        self.notes = notes
        #: Users running (the open model: requests in flight).
        self.active_users = 0
        #: Open model: arrivals not started because too many requests were in flight.
        self.dropped = 0
        #: Scenario 1's gaps, bracket and bisection (summary.json's ``scenario1``), else None.
        self.scenario1: Scenario1Figures | None = None

    def users(self, delta: int) -> None:
        self.active_users += delta
        self.writer.set_users(self.active_users, time.perf_counter_ns())
