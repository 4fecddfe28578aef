"""Training: the Keras logistic regression fitted on the training split, evaluated beside
scikit-learn's reference, with one progress line per epoch.

The network is ``Normalization`` (adapted on the training split only) then ``Dense(1,
sigmoid)``, trained with binary cross-entropy in float64. Everything random is seeded and
TensorFlow runs deterministic kernels. The parameters are stored rounded (``_parameters``),
so the same data and seed give the same artifact on any machine (docs/model-artifact.md,
"Reproducibility", states the guarantee and its residual risk); ``_model_json`` writes them
into the model.json.

TensorFlow is imported lazily, inside the functions that need it, so the reference
evaluator and ``python -m model evaluate`` start without it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

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
from model._model_json import model_json
from model._parameters import DTYPE, predict_probabilities, stored_model, stored_parameters
from model._sklearn_reference import SklearnReference
from model._tensorflow import training_tensorflow
from model._train_settings import TrainSettings

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd


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
        return predict_probabilities(self.keras_model, expand(frame, self.inputs, source=source))


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
    training_tensorflow()  # imported before the clock starts: the time is training, not import
    started = time.perf_counter()
    trained = _fit(x_train, y_train, settings, say)
    train_s = time.perf_counter() - started
    say(f"trained in {train_s:.1f} s")
    parameters = stored_parameters(trained)
    keras_model = stored_model(parameters)

    reference = SklearnReference(x_train, y_train, settings.seed)
    test_probability = predict_probabilities(keras_model, x_test)
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
                    y_eval, predict_probabilities(keras_model, x_eval), settings.threshold
                ),
                reference=compute_metrics(
                    y_eval, reference.probability(x_eval), settings.threshold
                ),
            )
        )
    model = model_json(
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


def _fit(
    x_train: np.ndarray, y_train: np.ndarray, settings: TrainSettings, say: Callable[[str], None]
) -> Any:
    tf = training_tensorflow()
    keras = tf.keras
    keras.utils.set_random_seed(settings.seed)
    # float64 throughout: its round-off (1e-16) is what lets the rounding of the stored
    # parameters hide every difference between CPUs; float32's (1e-7) grew to 2e-5 in the
    # weights between oneDNN and Eigen kernels.
    normalization = keras.layers.Normalization(axis=-1, name="standardise", dtype=DTYPE)
    normalization.adapt(x_train.astype(DTYPE))
    model = keras.Sequential(
        [
            keras.Input(shape=(x_train.shape[1],), name="columns", dtype=DTYPE),
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
                dtype=DTYPE,
            ),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=settings.learning_rate),
        # A loss computes in floatx (float32) unless told otherwise.
        loss=keras.losses.BinaryCrossentropy(dtype=DTYPE),
        # XLA compiles for the host's instruction set; the graph kernels are fixed code.
        jit_compile=False,
    )
    model.fit(
        x_train.astype(DTYPE),
        y_train.astype(DTYPE),
        epochs=settings.epochs,
        batch_size=settings.batch_size,
        shuffle=True,
        verbose=0,
        callbacks=[_epoch_callback(keras, settings.epochs, say)],
    )
    return model


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
