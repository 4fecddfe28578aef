"""The artifact's input names, read from the artifact, and what to do when there is none."""

from __future__ import annotations

from pathlib import Path

import pytest

from study import StudyError
from study._features import artifact_features


def test_a_missing_artifact_says_what_to_run(tmp_path: Path) -> None:
    with pytest.raises(StudyError, match="run `make model`"):
        artifact_features(tmp_path / "nope.zip")
    (tmp_path / "bad.zip").write_bytes(b"not a zip")
    with pytest.raises(StudyError, match="retrain"):
        artifact_features(tmp_path / "bad.zip")


def test_the_features_come_from_the_artifact(artifact: Path) -> None:
    assert artifact_features(artifact) == ["duration", "src_bytes", "dst_bytes"]
