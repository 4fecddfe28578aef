"""Training: a Keras logistic regression, its scikit-learn reference, and the model.json.

The network is ``Normalization`` (adapted on the training split only) then ``Dense(1,
sigmoid)``, trained with binary cross-entropy. Everything random is seeded and TensorFlow
runs deterministic kernels on one thread, so the same data and seed give the same weights,
hence the same artifact bytes.

TensorFlow is imported lazily, inside the functions that need it, so the reference
evaluator and ``python -m model evaluate`` start without it.
"""

from __future__ import annotations

import os
import sys
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from model._artifact import SCHEMA_VERSION, with_version
from model._data import ATTACK_COLUMN
from model._errors import SubsetError
from model._features import (
    InputSpec,
    Subset,
    expand,
    fingerprint,
    fit_inputs,
    get_subset,
    select_rows,
)
from model._metrics import Metrics, compute_metrics

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

DEFAULT_SEED = 42


@dataclass(frozen=True, kw_only=True)
class TrainSettings:
    """How to train. The defaults reach scikit-learn's F1 on the real http subset."""

    subset: str = "http"
    seed: int = DEFAULT_SEED
    epochs: int = 10
    batch_size: int = 128
    learning_rate: float = 0.05
    #: Share of the subset held out, stratified by class, for the reported metrics.
    test_fraction: float = 0.2
    #: ``anomaly`` is ``probability >= threshold``.
    threshold: float = 0.5


@dataclass(frozen=True, kw_only=True)
class Evaluation:
    """Our model and the reference on one set of rows."""

    #: What the rows are, e.g. ``test split`` or ``corrected.gz``.
    name: str
    keras: Metrics
    reference: Metrics


@dataclass(frozen=True, kw_only=True)
class TrainResult:
    """A trained model: its model.json, the live Keras model, and how both did."""

    model: dict[str, Any]
    keras_model: Any
    inputs: tuple[InputSpec, ...]
    subset: Subset
    #: The rows of the subset (all of them, training and test), as read.
    rows: pd.DataFrame
    evaluations: tuple[Evaluation, ...]
    train_s: float

    def keras_probabilities(self, frame: pd.DataFrame, *, source: str) -> np.ndarray:
        """P(attack) from the Keras model for raw rows (preprocessed as in training)."""
        x = expand(frame, self.inputs, source=source).astype("float32")
        return _predict(self.keras_model, x)


def quiet_tensorflow() -> None:
    """Silence TensorFlow's C++ start-up chatter unless the user asked for it."""
    # Level 3: even its ERROR lines here are harmless version chatter from tf.data.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    # oneDNN's reordered kernels make float results depend on the CPU; plain Eigen
    # kernels keep the same seed giving the same bits on more machines.
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")


def train(
    frame: pd.DataFrame,
    settings: TrainSettings,
    *,
    source: str,
    eval_frame: pd.DataFrame | None = None,
    eval_source: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> TrainResult:
    """Train on the rows of ``frame`` (as returned by read_kdd) and build the model.json.

    ``source`` is the data's file name (recorded in the artifact and used in messages).
    ``eval_frame`` is an extra labelled file (e.g. corrected.gz) evaluated after training.
    """
    import numpy as np
    from sklearn.model_selection import train_test_split

    say = progress or (lambda line: print(line, flush=True))
    subset = get_subset(settings.subset)
    rows = select_rows(frame, subset, source=source)
    labels = rows[ATTACK_COLUMN].to_numpy()
    try:
        train_pos, test_pos = train_test_split(
            np.arange(len(rows)),
            test_size=settings.test_fraction,
            stratify=labels,
            random_state=settings.seed,
        )
    except ValueError as exc:
        raise SubsetError(f"cannot split the {subset.name} subset: {exc}", file=source) from exc
    # Keep file order within each split: the split is then independent of how it was drawn.
    train_pos, test_pos = np.sort(train_pos), np.sort(test_pos)
    train_rows, test_rows = rows.iloc[train_pos], rows.iloc[test_pos]
    inputs = fit_inputs(subset, train_rows)
    x_train = expand(train_rows, inputs, source=source)
    x_test = expand(test_rows, inputs, source=source)
    y_train, y_test = labels[train_pos], labels[test_pos]

    say(
        f"training on {source}: {subset.name} subset ({subset.rows}), {len(rows):,} rows, "
        f"{int(labels.sum()):,} attacks; {len(train_rows):,} train / {len(test_rows):,} test, "
        f"{x_train.shape[1]} columns"
    )
    _tensorflow()  # imported before the clock starts: the time is training, not import
    started = time.perf_counter()
    keras_model = _fit(x_train, y_train, settings, say)
    train_s = time.perf_counter() - started
    say(f"trained in {train_s:.1f} s")

    reference = _Reference(x_train, y_train, settings.seed)
    test_probability = _predict(keras_model, x_test.astype("float32"))
    evaluations = [
        Evaluation(
            name="test split",
            keras=compute_metrics(y_test, test_probability, settings.threshold),
            reference=compute_metrics(y_test, reference.probability(x_test), settings.threshold),
        )
    ]
    if eval_frame is not None:
        name = eval_source or "evaluation data"
        # Scoring needs no split: any non-empty subset will do, even a single class.
        eval_rows = select_rows(eval_frame, subset, source=name, min_per_class=0)
        x_eval = expand(eval_rows, inputs, source=name)
        y_eval = eval_rows[ATTACK_COLUMN].to_numpy()
        evaluations.append(
            Evaluation(
                name=name,
                keras=compute_metrics(
                    y_eval, _predict(keras_model, x_eval.astype("float32")), settings.threshold
                ),
                reference=compute_metrics(
                    y_eval, reference.probability(x_eval), settings.threshold
                ),
            )
        )
    model = _model_json(
        keras_model=keras_model,
        inputs=inputs,
        subset=subset,
        settings=settings,
        metrics=evaluations[0].keras,
        data={
            "sha256": fingerprint(rows, subset),
            "rows": len(rows),
            "attacks": int(labels.sum()),
            "source": source,
        },
    )
    return TrainResult(
        model=model,
        keras_model=keras_model,
        inputs=inputs,
        subset=subset,
        rows=rows,
        evaluations=tuple(evaluations),
        train_s=train_s,
    )


def _tensorflow() -> Any:
    quiet_tensorflow()
    import tensorflow as tf

    # One thread: reproducible reductions, and fair to the other processes on a small box.
    # The setters refuse once TensorFlow has started (a second training in one process);
    # the first call has already set them then.
    try:
        tf.config.threading.set_intra_op_parallelism_threads(1)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    except RuntimeError:
        pass
    tf.config.experimental.enable_op_determinism()
    return tf


def _fit(
    x_train: np.ndarray, y_train: np.ndarray, settings: TrainSettings, say: Callable[[str], None]
) -> Any:
    tf = _tensorflow()
    keras = tf.keras
    keras.utils.set_random_seed(settings.seed)
    normalization = keras.layers.Normalization(axis=-1, name="standardise")
    # float64 statistics, stored by the layer as float32 (the values the artifact carries).
    normalization.adapt(x_train.astype("float64"))
    model = keras.Sequential(
        [
            keras.Input(shape=(x_train.shape[1],), name="columns"),
            normalization,
            # Zeros, not random: the loss is convex so nothing is lost, and a column that was
            # constant in training (std 1e-7) keeps weight 0 instead of a random one that
            # would explode on an unseen value.
            keras.layers.Dense(
                1,
                activation="sigmoid",
                kernel_initializer="zeros",
                bias_initializer="zeros",
                name="logistic",
            ),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=settings.learning_rate),
        loss=keras.losses.BinaryCrossentropy(),
    )
    model.fit(
        x_train.astype("float32"),
        y_train.astype("float32"),
        epochs=settings.epochs,
        batch_size=settings.batch_size,
        shuffle=True,
        verbose=0,
        callbacks=[_epoch_callback(keras, settings.epochs, say)],
    )
    return model


def _predict(keras_model: Any, x: np.ndarray) -> np.ndarray:
    if len(x) == 0:
        import numpy as np

        return np.zeros(0, dtype="float32")
    import numpy as np

    # A direct call runs eagerly: predict() would trace a new graph for every new row count
    # (and warn about it); chunks bound the memory on large files.
    chunk_rows = 65536
    return np.concatenate(
        [
            np.asarray(keras_model(x[i : i + chunk_rows], training=False)).ravel()
            for i in range(0, len(x), chunk_rows)
        ]
    )


def _epoch_callback(keras: Any, epochs: int, say: Callable[[str], None]) -> Any:
    """A Keras callback printing one line per epoch (Keras' own bar is two lines and noisy)."""

    class EpochLine(keras.callbacks.Callback):  # type: ignore[misc, name-defined]
        def __init__(self, epochs: int, say: Callable[[str], None]) -> None:
            super().__init__()
            self._epochs = epochs
            self._say = say
            self._started = 0.0

        def on_epoch_begin(self, epoch: int, logs: Mapping[str, float] | None = None) -> None:
            self._started = time.perf_counter()

        def on_epoch_end(self, epoch: int, logs: Mapping[str, float] | None = None) -> None:
            loss = (logs or {}).get("loss", float("nan"))
            took_s = time.perf_counter() - self._started
            self._say(
                f"epoch {epoch + 1:>{len(str(self._epochs))}}/{self._epochs}  "
                f"loss {loss:.5f}  {took_s:.1f} s"
            )

    return EpochLine(epochs, say)


class _Reference:
    """scikit-learn's LogisticRegression on the same split, standardised the same way."""

    def __init__(self, x_train: np.ndarray, y_train: np.ndarray, seed: int) -> None:
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.linear_model import LogisticRegression
        from sklearn.preprocessing import StandardScaler

        self._scaler = StandardScaler().fit(x_train)
        self._classifier = LogisticRegression(max_iter=2000, random_state=seed)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            self._classifier.fit(self._scaler.transform(x_train), y_train)
        for warning in caught:
            print(f"note: reference LogisticRegression: {warning.message}", file=sys.stderr)

    def probability(self, x: np.ndarray) -> np.ndarray:
        return self._classifier.predict_proba(self._scaler.transform(x))[:, 1]


def _model_json(
    *,
    keras_model: Any,
    inputs: Sequence[InputSpec],
    subset: Subset,
    settings: TrainSettings,
    metrics: Metrics,
    data: dict[str, Any],
) -> dict[str, Any]:
    import numpy as np
    import sklearn
    import tensorflow as tf

    normalization = keras_model.get_layer("standardise")
    dense = keras_model.get_layer("logistic")
    mean32 = np.asarray(normalization.mean, dtype="float32").ravel()
    variance32 = np.asarray(normalization.variance, dtype="float32").ravel()
    # The divisor Keras really uses, computed as it does: in float32, floored at epsilon.
    epsilon32 = np.float32(tf.keras.backend.epsilon())
    std32 = np.maximum(np.sqrt(variance32), epsilon32)
    kernel32, bias32 = (np.asarray(w, dtype="float32") for w in dense.get_weights())

    specs: list[dict[str, Any]] = []
    column = 0
    for spec in inputs:
        width = spec.width
        mean = [float(v) for v in mean32[column : column + width]]
        std = [float(v) for v in std32[column : column + width]]
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
        "weights": [float(w) for w in kernel32.ravel()],
        "bias": float(bias32.ravel()[0]),
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
            "versions": {
                "tensorflow": tf.__version__,
                "keras": tf.keras.__version__,
                "numpy": np.__version__,
                "scikit-learn": sklearn.__version__,
            },
        },
    }
    return with_version(model)
