"""The model's input names, read from the artifact the study hosts (what the load generator
and the sweep's default request send)."""

from __future__ import annotations

from pathlib import Path

from model import ArtifactError, read_artifact

from ._errors import StudyError

__all__ = ["artifact_features"]


def artifact_features(artifact: Path) -> list[str]:
    """The raw input names the artifact's model expects (docs/model-artifact.md)."""
    if not artifact.is_file():
        raise StudyError(
            f"no model artifact at {artifact}: run `make model` (python -m model train) first"
        )
    try:
        names = [str(spec["name"]) for spec in read_artifact(artifact)["inputs"]]
    except ArtifactError as exc:
        raise StudyError(
            f"cannot read the model's inputs: {exc}; retrain with `python -m model train`"
        ) from None
    if not names:
        raise StudyError(f"{artifact} names no inputs; retrain with `python -m model train`")
    return names
