"""The ``tensorflow`` model runtime: the artifact's ``.keras`` export served with TensorFlow
(Keras 3 on its TensorFlow backend). Imported only when ``MODEL_RUNTIME=tensorflow``."""

from __future__ import annotations

import os

# Before TensorFlow loads: its C++ start-up chatter off (errors still reach the log) and plain
# Eigen kernels, whose float results depend less on the CPU than oneDNN's.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import keras
import numpy as np
import tensorflow as tf
from _errors import InitError
from _framework import FrameworkModel

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


class TensorFlowModel(FrameworkModel):
    runtime = "tensorflow"

    def _load(self, path: str) -> None:
        if not os.path.isfile(path):
            raise InitError(
                f"tensorflow export at {path} not found: export the artifact "
                "(`python -m model export`) and ship the .keras beside model.zip"
            )
        try:
            model = keras.saving.load_model(path, compile=False)
        except (OSError, ValueError) as exc:
            raise InitError(
                f"tensorflow export at {path} cannot be loaded ({exc}): export the "
                "artifact again (`python -m model export`)"
            ) from None
        self.check_export_version(str(model.name))
        if tuple(model.input_shape) != (None, self.columns):
            raise InitError(
                f"tensorflow export at {path} takes inputs of shape "
                f"{model.input_shape}; the artifact has {self.columns} columns"
            )
        # One traced graph for every batch size (the batch dimension is left unknown), rather
        # than eager execution per request.
        self._predict: Any = tf.function(
            lambda features: model(features, training=False),
            input_signature=[tf.TensorSpec([None, self.columns], tf.float32)],
            reduce_retracing=True,
        )
        # The first call traces the graph: done here, so init pays for it, not a request.
        self._probabilities([[0.0] * self.columns])

    def _probabilities(self, rows: list[list[float]]) -> list[float]:
        with np.errstate(over="ignore"):
            features = np.asarray(rows, dtype=np.float32)
        out = self._predict(features).numpy()
        return [float(p) for p in out.reshape(-1)]
