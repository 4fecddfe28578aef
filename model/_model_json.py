"""Writing the model.json description of a trained model: its inputs with their stored
means and stds, weights, bias, threshold, metrics, data fingerprint and training settings
(docs/model-artifact.md)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from model._artifact import SCHEMA_VERSION, with_version
from model._features import InputSpec, Subset
from model._metrics import Metrics
from model._parameters import DTYPE, PARAMETER_DIGITS, Parameters
from model._train_settings import TrainSettings


def model_json(
    *,
    parameters: Parameters,
    inputs: Sequence[InputSpec],
    subset: Subset,
    settings: TrainSettings,
    metrics: Metrics,
    data: dict[str, Any],
) -> dict[str, Any]:
    """The model.json of ``parameters`` (with its ``model_version``), as the artifact holds
    it."""
    import numpy as np
    import sklearn
    import tensorflow as tf

    specs: list[dict[str, Any]] = []
    column = 0
    for spec in inputs:
        width = spec.width
        mean = list(parameters.mean[column : column + width])
        std = list(parameters.std[column : column + width])
        if spec.kind == "numeric":
            specs.append(
                {
                    "name": spec.name,
                    "kind": "numeric",
                    "log_offset": spec.log_offset,
                    "mean": mean[0],
                    "std": std[0],
                }
            )
        else:
            specs.append(
                {
                    "name": spec.name,
                    "kind": "categorical",
                    "vocabulary": list(spec.vocabulary),
                    "unknown": "zeros",
                    "mean": mean,
                    "std": std,
                }
            )
        column += width
    model: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "subset": subset.name,
        "inputs": specs,
        "columns": column,
        "weights": list(parameters.weights),
        "bias": parameters.bias,
        "threshold": float(settings.threshold),
        "metrics": metrics.to_json(),
        "data": data,
        "training": {
            "seed": settings.seed,
            "epochs": settings.epochs,
            "batch_size": settings.batch_size,
            "learning_rate": settings.learning_rate,
            "optimizer": "adam",
            "loss": "binary_crossentropy",
            "test_fraction": settings.test_fraction,
            "dtype": DTYPE,
            "parameter_digits": PARAMETER_DIGITS,
            "versions": {
                "tensorflow": tf.__version__,
                "keras": tf.keras.__version__,
                "numpy": np.__version__,
                "scikit-learn": sklearn.__version__,
            },
        },
    }
    return with_version(model)
