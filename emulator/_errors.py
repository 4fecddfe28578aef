"""The emulator's errors: one base, a few kinds a user can act on.

Exception tree::

    EmulatorError                 base of everything the emulator raises on purpose
    ├── EmulatorConfigError       bad options or a bad function spec (what was wrong, what to pass)
    ├── EmulatorBuildError        a stack's package or the Java bootstrap could not be built
    └── EmulatorStartError        a server or an instance could not be started (port taken, ...)

Failures of a *function* (crash, timeout, init error) are not exceptions: they are outcomes
answered to the client the way API Gateway would, and written to the logs.
"""

from __future__ import annotations


class EmulatorError(Exception):
    """Base class of the emulator's own errors."""


class EmulatorConfigError(EmulatorError):
    """An option or a function spec is invalid; the message says which and what to do."""


class EmulatorBuildError(EmulatorError):
    """Building a stack's package or compiling the Java bootstrap failed."""


class EmulatorStartError(EmulatorError):
    """A front door, a Runtime API endpoint or an instance could not be started."""
