"""The error of the result files, shared by the load generator and the report.

::

    ResultsError        a results folder cannot be written, read or merged (a damaged line
                        names ``file:line``)

``loadgen.ResultsError`` is also a ``LoadgenError``; the report raises this class itself.
Every message says what was wrong and what to do; the CLIs print it and exit 2.
"""

from __future__ import annotations

__all__ = ["ResultsError"]


class ResultsError(Exception):
    """A results folder cannot be written, read or merged."""
