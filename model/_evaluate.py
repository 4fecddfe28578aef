"""Evaluating an artifact on a data file with the pure-Python reference evaluator."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from model._artifact import read_artifact
from model._data import ATTACK_COLUMN
from model._errors import ArtifactError, SubsetError
from model._features import get_subset, select_rows
from model._metrics import Metrics, compute_metrics
from model._reference import predict_probability

if TYPE_CHECKING:
    import pandas as pd


def evaluate_artifact(
    artifact: str | Path, frame: pd.DataFrame, *, source: str
) -> tuple[dict[str, Any], Metrics]:
    """Read ``artifact`` and score the rows of its subset in ``frame``, row by row."""
    model = read_artifact(artifact)
    return model, evaluate_model(model, frame, source=source)


def evaluate_model(model: dict[str, Any], frame: pd.DataFrame, *, source: str) -> Metrics:
    """Score the rows of the model's subset in ``frame`` with the reference evaluator."""
    try:
        subset = get_subset(model["subset"])
    except SubsetError as exc:
        raise ArtifactError(f"model.json: {exc}") from None
    rows = select_rows(frame, subset, source=source, min_per_class=0)
    names = [spec["name"] for spec in model["inputs"]]
    probabilities = [
        predict_probability(model, dict(zip(names, values, strict=True)))
        for values in rows[names].itertuples(index=False, name=None)
    ]
    return compute_metrics(
        rows[ATTACK_COLUMN].to_numpy(), _array(probabilities), model["threshold"]
    )


def _array(values: list[float]) -> Any:
    import numpy as np

    return np.asarray(values, dtype="float64")
