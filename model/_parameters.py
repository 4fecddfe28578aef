"""The stored parameters: read from a trained Keras model, rounded to ``PARAMETER_DIGITS``
significant digits, and a float64 Keras model computing with exactly them.

The rounding sits far above float64 round-off, so the kernels a CPU picks (instruction set,
thread count, oneDNN or Eigen) cannot reach the artifact's bytes (docs/model-artifact.md,
"Reproducibility").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from model._tensorflow import training_tensorflow

if TYPE_CHECKING:
    import numpy as np

#: The dtype the model is trained, stored and evaluated in.
DTYPE = "float64"
#: Significant decimal digits kept of every weight, bias, mean and std. Float64 training
#: on another CPU moves a weight by ~1e-13 relative (measured, docs/model-artifact.md); on
#: a grid of 1e-6 relative that flips a stored digit with probability ~1e-7 per value. The
#: rounding itself moved no probability of the sample by more than 6e-6 (z by 2e-4), far
#: less than one more epoch would.
PARAMETER_DIGITS = 6


@dataclass(frozen=True, kw_only=True)
class Parameters:
    """What the artifact stores, rounded to PARAMETER_DIGITS, one value per column."""

    mean: tuple[float, ...]
    #: The divisor: ``max(sqrt(variance), epsilon)`` as Keras computes it, then rounded.
    std: tuple[float, ...]
    weights: tuple[float, ...]
    bias: float


def round_parameter(value: float) -> float:
    """``value`` to PARAMETER_DIGITS significant digits (correctly rounded, -0.0 as 0.0)."""
    return float(f"{value:.{PARAMETER_DIGITS}g}") + 0.0


def stored_parameters(trained: Any) -> Parameters:
    """The rounded parameters of a trained model (its ``standardise`` and ``logistic``
    layers)."""
    import numpy as np

    keras = training_tensorflow().keras
    normalization = trained.get_layer("standardise")
    mean = np.asarray(normalization.mean, dtype=DTYPE).ravel()
    variance = np.asarray(normalization.variance, dtype=DTYPE).ravel()
    std = np.maximum(np.sqrt(variance), keras.backend.epsilon())
    kernel, bias = (
        np.asarray(w, dtype=DTYPE).ravel() for w in trained.get_layer("logistic").get_weights()
    )
    return Parameters(
        mean=tuple(round_parameter(float(v)) for v in mean),
        std=tuple(round_parameter(float(v)) for v in std),
        weights=tuple(round_parameter(float(v)) for v in kernel),
        bias=round_parameter(float(bias[0])),
    )


def stored_model(parameters: Parameters) -> Any:
    """A float64 Keras model computing with exactly the stored parameters."""
    import numpy as np

    keras = training_tensorflow().keras
    std = np.asarray(parameters.std, dtype=DTYPE)
    model = keras.Sequential(
        [
            keras.Input(shape=(len(parameters.weights),), name="columns", dtype=DTYPE),
            # sqrt(std * std) == std exactly in binary floating point, so the layer divides
            # by the stored std (which is already at least epsilon).
            keras.layers.Normalization(
                axis=-1,
                mean=np.asarray(parameters.mean, dtype=DTYPE),
                variance=std * std,
                name="standardise",
                dtype=DTYPE,
            ),
            keras.layers.Dense(1, activation="sigmoid", name="logistic", dtype=DTYPE),
        ]
    )
    model.get_layer("logistic").set_weights(
        [
            np.asarray(parameters.weights, dtype=DTYPE).reshape(-1, 1),
            np.asarray([parameters.bias], dtype=DTYPE),
        ]
    )
    return model


def predict_probabilities(keras_model: Any, x: np.ndarray) -> np.ndarray:
    """P(attack) from ``keras_model`` for already expanded columns ``x``."""
    import numpy as np

    if len(x) == 0:
        return np.zeros(0, dtype=DTYPE)
    x = np.asarray(x, dtype=DTYPE)

    # A direct call runs eagerly: predict() would trace a new graph for every new row count
    # (and warn about it); chunks bound the memory on large files.
    chunk_rows = 65536
    return np.concatenate(
        [
            np.asarray(keras_model(x[i : i + chunk_rows], training=False)).ravel()
            for i in range(0, len(x), chunk_rows)
        ]
    )
