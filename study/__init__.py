"""The study in one command (``python -m study``): see :mod:`study._run`."""

from __future__ import annotations

from ._errors import StudyError
from ._run import Study
from ._settings import FRAMEWORK_STACKS, QUICK_TIME_SCALE, STUDY_STACKS, StudySettings

__all__ = [
    "FRAMEWORK_STACKS",
    "QUICK_TIME_SCALE",
    "STUDY_STACKS",
    "Study",
    "StudyError",
    "StudySettings",
]
