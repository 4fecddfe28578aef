"""The study in one command (``python -m study``): see :mod:`study._run`."""

from __future__ import annotations

from ._run import QUICK_TIME_SCALE, STUDY_STACKS, Study, StudyError, StudySettings

__all__ = ["QUICK_TIME_SCALE", "STUDY_STACKS", "Study", "StudyError", "StudySettings"]
