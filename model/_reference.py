"""The reference evaluator of ``model.json``: standard library only, double precision.

It follows docs/model-artifact.md line by line, so the runtimes (Python and Java) can be held
to it, and it to the Keras model (the test vectors). It is deliberately plain Python.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from model._errors import InstanceError


def columns(model: Mapping[str, Any], instance: Mapping[str, Any]) -> list[float]:
    """The standardised model columns of one instance, in column order."""
    if not isinstance(instance, Mapping):
        raise InstanceError("an instance must be a JSON object", code="invalid_type", feature="-")
    out: list[float] = []
    for spec in model["inputs"]:
        name = spec["name"]
        if name not in instance:
            raise InstanceError("missing from the instance", code="missing_feature", feature=name)
        value = instance[name]
        if spec["kind"] == "numeric":
            if not _is_number(value):
                raise InstanceError(
                    f"must be a number, found {value!r}", code="invalid_type", feature=name
                )
            try:
                x = float(value)
            except OverflowError:  # an int beyond the double range
                x = math.inf
            if not math.isfinite(x):
                raise InstanceError(
                    f"must be finite, found {value!r}", code="invalid_value", feature=name
                )
            offset = spec["log_offset"]
            if offset is not None:
                if not x + offset > 0:
                    raise InstanceError(
                        f"must be above -{offset} (it is log-transformed), found {value!r}",
                        code="invalid_value",
                        feature=name,
                    )
                x = math.log(x + offset)
            out.append((x - spec["mean"]) / spec["std"])
        else:
            if not isinstance(value, str):
                raise InstanceError(
                    f"must be a string, found {value!r}", code="invalid_type", feature=name
                )
            for category, mean, std in zip(
                spec["vocabulary"], spec["mean"], spec["std"], strict=True
            ):
                one_hot = 1.0 if value == category else 0.0
                out.append((one_hot - mean) / std)
    return out


def predict_probability(model: Mapping[str, Any], instance: Mapping[str, Any]) -> float:
    """P(attack) for one instance: the logistic of (Σ weight·column, in column order) + bias."""
    total = 0.0
    for weight, column in zip(model["weights"], columns(model, instance), strict=True):
        total += weight * column
    return _logistic(total + model["bias"])


def predict(model: Mapping[str, Any], instance: Mapping[str, Any]) -> tuple[float, bool]:
    """(probability, anomaly) for one instance; anomaly is probability >= threshold."""
    probability = predict_probability(model, instance)
    return probability, probability >= model["threshold"]


def _logistic(z: float) -> float:
    # Two branches so exp never overflows: exp of a negative number is at most 1.
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_finite_number(value: Any) -> bool:
    return _is_number(value) and math.isfinite(value)


def _is_positive(value: Any) -> bool:
    return _is_finite_number(value) and value > 0
