"""The study in one command (``python -m study``): see :mod:`study._run`."""

from __future__ import annotations

from ._run import FRAMEWORK_STACKS, QUICK_TIME_SCALE, STUDY_STACKS, Study, StudyError, StudySettings

__all__ = ["FRAMEWORK_STACKS", "QUICK_TIME_SCALE", "STUDY_STACKS", "Study", "StudyError",
           "StudySettings"]
