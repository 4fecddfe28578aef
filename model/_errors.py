"""The errors of the model package: one base class, a few precise kinds.

Every error a user can cause (a wrong path, a malformed file, a bad artifact, an instance that
breaks the artifact's rules) is one of these, with a message that says what was wrong and what
to do; the CLI prints the message instead of a traceback.

    ModelError                  base: catch this to catch everything below
    ├── DataError               a data file is missing, unreadable or malformed (file, line)
    │   └── SubsetError         the chosen subset has no rows, or too few of a class to train
    ├── DownloadError           --download could not fetch the data (offline?)
    ├── ArtifactError           model.zip / model.json is missing, malformed or unsupported
    └── InstanceError           an instance breaks the artifact's input rules (code, feature)
"""

from __future__ import annotations

from pathlib import Path


class ModelError(Exception):
    """Base of every error raised by the model package."""


class DataError(ModelError):
    """A data file is missing or malformed; names the file and, when known, the line."""

    def __init__(self, message: str, *, file: str | Path, line: int | None = None) -> None:
        self.file = str(file)
        #: 1-based physical line number in the file, None when the problem is the whole file.
        self.line = line
        where = self.file if line is None else f"{self.file}, line {line}"
        super().__init__(f"{where}: {message}")


class SubsetError(DataError):
    """The subset selected from a file is empty or cannot be split and trained on."""


class DownloadError(ModelError):
    """The data could not be fetched with scikit-learn's fetcher."""


class ArtifactError(ModelError):
    """An artifact (model.zip or model.json) cannot be used."""


class InstanceError(ModelError):
    """An instance does not satisfy the artifact's input rules.

    ``code`` is the contract's name for the problem (``missing_feature``, ``invalid_type``,
    ``invalid_value``); ``feature`` the input concerned.
    """

    def __init__(self, message: str, *, code: str, feature: str) -> None:
        self.code = code
        self.feature = feature
        super().__init__(f"{feature}: {message}")
