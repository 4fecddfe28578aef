"""The errors of the ``stack`` package.

Every error a user can cause while reading a stack or building its archive derives from
``StackError``, so a caller can catch the package's errors in one place::

    StackError
    ├── SettingsError(ValueError)     a Pulumi.<stack>.yaml (or Pulumi config) is invalid;
    │                                 ``problems`` lists every problem found, not just the first
    └── PackageError(RuntimeError)    an archive cannot be built (no artifact, Java build failed,
                                      runtime files missing); the message says what to run
"""

from __future__ import annotations


class StackError(Exception):
    """Base class of every error raised by the ``stack`` package."""


class SettingsError(StackError, ValueError):
    """A stack's settings are invalid.

    ``problems`` holds one sentence per problem; the message lists them all, so a user fixes
    a stack file in one pass.
    """

    def __init__(self, stack: str, problems: list[str], *, source: str = "") -> None:
        self.stack = stack
        self.problems = list(problems)
        self.source = source
        where = f" ({source})" if source else ""
        lines = "\n".join(f"  - {problem}" for problem in self.problems)
        super().__init__(f"invalid settings for stack '{stack}'{where}:\n{lines}")


class PackageError(StackError, RuntimeError):
    """A stack's code archive (or model layer) cannot be built; the message says what to run."""
