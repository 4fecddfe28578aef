"""The study's error: what stops ``python -m study``, in one line that says what to do."""

from __future__ import annotations

__all__ = ["StudyError"]


class StudyError(RuntimeError):
    """The study cannot go on; the message says why and what to do."""
