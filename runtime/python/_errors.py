"""Errors of the Python function.

The exception tree::

    PredictorError      base of every error the function raises on purpose
    ├── InitError       the instance cannot start: the artifact is missing, corrupt, of another
    │                   schema or model version, or its download failed; the message names the
    │                   path (or S3 location) and the problem
    └── RequestError    a request the function refuses; carries the HTTP status and the error
                        code of the contract (docs/api.md)
"""

from __future__ import annotations


class PredictorError(Exception):
    """Base of every error the function raises on purpose."""


class InitError(PredictorError):
    """The instance cannot start; the message says what to fix."""


class RequestError(PredictorError):
    """A refused request: ``status`` and ``code`` as in docs/api.md, ``message`` for people."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
