"""The KDD Cup 99 intrusion detector: reading the data, training, the artifact.

The only package of the project that trains (TensorFlow, imported lazily). Its products are
``build/model.zip`` and, beside it, the same model for frameworks (``model.tflite``,
``model.keras``, ``model.onnx``; docs/model-artifact.md); nothing imports this package at
serving time.

    python -m model train [--data PATH] [--subset http|all] [--out build/model.zip]
    python -m model evaluate build/model.zip --data PATH
    python -m model export build/model.zip
    python -m model vectors --subset http --out tests/vectors/http.json
"""

from __future__ import annotations

from model._artifact import (
    artifact_bytes,
    canonical_json,
    model_version,
    read_artifact,
    write_artifact,
)
from model._data import COLUMNS, DataSource, read_kdd, resolve_source
from model._errors import (
    ArtifactError,
    DataError,
    DownloadError,
    InstanceError,
    ModelError,
    SubsetError,
)
from model._evaluate import evaluate_artifact
from model._features import SUBSETS
from model._metrics import Metrics
from model._reference import predict, predict_probability
from model._train import TrainResult, train
from model._train_settings import TrainSettings
from model._vectors import vectors_document, write_vectors

# Plain sorted() order, which the API test asserts (house style), not ruff's isort order.
__all__ = [  # noqa: RUF022
    "ArtifactError",
    "COLUMNS",
    "DataError",
    "DataSource",
    "DownloadError",
    "InstanceError",
    "Metrics",
    "ModelError",
    "SUBSETS",
    "SubsetError",
    "TrainResult",
    "TrainSettings",
    "artifact_bytes",
    "canonical_json",
    "evaluate_artifact",
    "model_version",
    "predict",
    "predict_probability",
    "read_artifact",
    "read_kdd",
    "resolve_source",
    "train",
    "vectors_document",
    "write_artifact",
    "write_vectors",
]
