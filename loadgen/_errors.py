"""The load generator's errors: one base class, a few kinds a user can act on.

::

    LoadgenError                 every error the load generator raises on purpose
    ├── PlanError                a scenario plan or an option is invalid (lists every problem)
    │   ├── TaurusError          a Taurus YAML file cannot be read or used
    │   └── LimitsError          the plan exceeds the target's throttle or concurrency
    │                            (``--exceed-limits`` runs it anyway)
    ├── TargetError              the target URL cannot be resolved or its GET /health failed
    ├── PayloadError             the payload file is missing, malformed or lacks a feature
    └── ResultsError             a results folder cannot be written, read or merged
                                 (also a ``resultfiles.ResultsError``, the report's error)

Every message says what was wrong and what to do about it; the CLI prints it without a
traceback and exits with status 2.
"""

from __future__ import annotations

import resultfiles

__all__ = [
    "LimitsError",
    "LoadgenError",
    "PayloadError",
    "PlanError",
    "ResultsError",
    "TargetError",
    "TaurusError",
]


class LoadgenError(Exception):
    """Base class of every error the load generator raises on purpose."""


class PlanError(LoadgenError):
    """A scenario plan or option is invalid; ``problems`` lists every one found."""

    def __init__(self, message: str, *, problems: list[str] | None = None) -> None:
        self.problems: list[str] = list(problems or [])
        if self.problems:
            message = message + ":\n  - " + "\n  - ".join(self.problems)
        super().__init__(message)


class TaurusError(PlanError):
    """A Taurus YAML file cannot be read, or asks for something that cannot be run."""


class LimitsError(PlanError):
    """The plan offers more than the target's stage throttle or reserved concurrency admits."""


class TargetError(LoadgenError):
    """The target cannot be resolved (stack unknown) or does not answer GET /health."""


class PayloadError(LoadgenError):
    """The payload file is missing, malformed, or its rows lack a feature the target needs."""


class ResultsError(LoadgenError, resultfiles.ResultsError):
    """A results folder cannot be written, read or merged.

    The readers shared with the report raise the base ``resultfiles.ResultsError``; the
    load generator's functions raise this class (``merge_results`` turns the readers' into it).
    """
