"""Training: a Keras logistic regression, its scikit-learn reference, and the model.json.

The network is ``Normalization`` (adapted on the training split only) then ``Dense(1,
sigmoid)``, trained with binary cross-entropy in float64. Everything random is seeded and
TensorFlow runs deterministic kernels. The stored parameters are rounded to
``PARAMETER_DIGITS`` significant digits, far above float64 round-off, so the kernels a CPU
picks (instruction set, thread count, oneDNN or Eigen) cannot reach the artifact's bytes:
the same data and seed give the same artifact on any machine (docs/model-artifact.md,
"Reproducibility", states the guarantee and its residual risk).

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
_DTYPE = "float64"
#: Significant decimal digits kept of every weight, bias, mean and std. Float64 training
#: on another CPU moves a weight by ~1e-13 relative (measured, docs/model-artifact.md); on
#: a grid of 1e-6 relative that flips a stored digit with probability ~1e-7 per value. The
#: rounding itself moved no probability of the sample by more than 6e-6 (z by 2e-4), far
#: less than one more epoch would.
PARAMETER_DIGITS = 6


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
    """A trained model: its model.json, the Keras model of it, and how both did."""

    model: dict[str, Any]
    #: A float64 Keras model holding exactly the stored (rounded) parameters: what the
    #: metrics and the test vectors are computed with.
    keras_model: Any
    inputs: tuple[InputSpec, ...]
    subset: Subset
    #: The rows of the subset (all of them, training and test), as read.
    rows: pd.DataFrame
    evaluations: tuple[Evaluation, ...]
    train_s: float

    def keras_probabilities(self, frame: pd.DataFrame, *, source: str) -> np.ndarray:
        """P(attack) from the Keras model for raw rows (preprocessed as in training)."""
        return _predict(self.keras_model, expand(frame, self.inputs, source=source))


def quiet_tensorflow() -> None:
    """Silence TensorFlow's C++ start-up chatter unless the user asked for it."""
    # Level 3: even its ERROR lines here are harmless version chatter from tf.data.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    # oneDNN picks kernels by CPU; Eigen's are compiled in. The stored rounding makes the
    # artifact independent of either (a test trains under both), this only narrows the gap.
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
    trained = _fit(x_train, y_train, settings, say)
    train_s = time.perf_counter() - started
    say(f"trained in {train_s:.1f} s")
    parameters = _stored_parameters(trained)
    keras_model = _stored_model(parameters)

    reference = _Reference(x_train, y_train, settings.seed)
    test_probability = _predict(keras_model, x_test)
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
                keras=compute_metrics(y_eval, _predict(keras_model, x_eval), settings.threshold),
                reference=compute_metrics(
                    y_eval, reference.probability(x_eval), settings.threshold
                ),
            )
        )
    model = _model_json(
        parameters=parameters,
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

    # One thread unless the user asks for more with TensorFlow's own variables: fair to the
    # other processes on a small box. The bytes do not depend on it (a test trains with 1
    # and 2). The setters refuse once TensorFlow has started (a second training in one
    # process); the first call has already set them then.
    try:
        if "TF_NUM_INTRAOP_THREADS" not in os.environ:
            tf.config.threading.set_intra_op_parallelism_threads(1)
        if "TF_NUM_INTEROP_THREADS" not in os.environ:
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
    # float64 throughout: its round-off (1e-16) is what lets the rounding of the stored
    # parameters hide every difference between CPUs; float32's (1e-7) grew to 2e-5 in the
    # weights between oneDNN and Eigen kernels.
    normalization = keras.layers.Normalization(axis=-1, name="standardise", dtype=_DTYPE)
    normalization.adapt(x_train.astype(_DTYPE))
    model = keras.Sequential(
        [
            keras.Input(shape=(x_train.shape[1],), name="columns", dtype=_DTYPE),
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
                dtype=_DTYPE,
            ),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=settings.learning_rate),
        # A loss computes in floatx (float32) unless told otherwise.
        loss=keras.losses.BinaryCrossentropy(dtype=_DTYPE),
        # XLA compiles for the host's instruction set; the graph kernels are fixed code.
        jit_compile=False,
    )
    model.fit(
        x_train.astype(_DTYPE),
        y_train.astype(_DTYPE),
        epochs=settings.epochs,
        batch_size=settings.batch_size,
        shuffle=True,
        verbose=0,
        callbacks=[_epoch_callback(keras, settings.epochs, say)],
    )
    return model


@dataclass(frozen=True, kw_only=True)
class _Parameters:
    """What the artifact stores, rounded to PARAMETER_DIGITS, one value per column."""

    mean: tuple[float, ...]
    #: The divisor: ``max(sqrt(variance), epsilon)`` as Keras computes it, then rounded.
    std: tuple[float, ...]
    weights: tuple[float, ...]
    bias: float


def round_parameter(value: float) -> float:
    """``value`` to PARAMETER_DIGITS significant digits (correctly rounded, -0.0 as 0.0)."""
    return float(f"{value:.{PARAMETER_DIGITS}g}") + 0.0


def _stored_parameters(trained: Any) -> _Parameters:
    import numpy as np

    keras = _tensorflow().keras
    normalization = trained.get_layer("standardise")
    mean = np.asarray(normalization.mean, dtype=_DTYPE).ravel()
    variance = np.asarray(normalization.variance, dtype=_DTYPE).ravel()
    std = np.maximum(np.sqrt(variance), keras.backend.epsilon())
    kernel, bias = (
        np.asarray(w, dtype=_DTYPE).ravel() for w in trained.get_layer("logistic").get_weights()
    )
    return _Parameters(
        mean=tuple(round_parameter(float(v)) for v in mean),
        std=tuple(round_parameter(float(v)) for v in std),
        weights=tuple(round_parameter(float(v)) for v in kernel),
        bias=round_parameter(float(bias[0])),
    )


def _stored_model(parameters: _Parameters) -> Any:
    """A float64 Keras model computing with exactly the stored parameters."""
    import numpy as np

    keras = _tensorflow().keras
    std = np.asarray(parameters.std, dtype=_DTYPE)
    model = keras.Sequential(
        [
            keras.Input(shape=(len(parameters.weights),), name="columns", dtype=_DTYPE),
            # sqrt(std * std) == std exactly in binary floating point, so the layer divides
            # by the stored std (which is already at least epsilon).
            keras.layers.Normalization(
                axis=-1,
                mean=np.asarray(parameters.mean, dtype=_DTYPE),
                variance=std * std,
                name="standardise",
                dtype=_DTYPE,
            ),
            keras.layers.Dense(1, activation="sigmoid", name="logistic", dtype=_DTYPE),
        ]
    )
    model.get_layer("logistic").set_weights(
        [
            np.asarray(parameters.weights, dtype=_DTYPE).reshape(-1, 1),
            np.asarray([parameters.bias], dtype=_DTYPE),
        ]
    )
    return model


def _predict(keras_model: Any, x: np.ndarray) -> np.ndarray:
    import numpy as np

    if len(x) == 0:
        return np.zeros(0, dtype=_DTYPE)
    x = np.asarray(x, dtype=_DTYPE)

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

    class EpochLine(keras.callbacks.Callback):  # type: ignore[misc]
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
        # scikit-learn is untyped: the annotation says what predict_proba gives.
        positive: np.ndarray = self._classifier.predict_proba(self._scaler.transform(x))[:, 1]
        return positive


def _model_json(
    *,
    parameters: _Parameters,
    inputs: Sequence[InputSpec],
    subset: Subset,
    settings: TrainSettings,
    metrics: Metrics,
    data: dict[str, Any],
) -> dict[str, Any]:
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
            "dtype": _DTYPE,
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
