"""The reference evaluator of ``model.json``: standard library only, double precision.

It follows docs/model-artifact.md line by line, so the runtimes (Python and Java) can be held
to it, and it to the Keras model (the test vectors). It is deliberately plain Python.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from model._errors import ArtifactError, InstanceError

SCHEMA_VERSION = 1
_REQUIRED: dict[str, type | tuple[type, ...]] = {
    "schema_version": int,
    "model_version": str,
    "subset": str,
    "inputs": list,
    "columns": int,
    "weights": list,
    "bias": (float, int),
    "threshold": (float, int),
    "metrics": dict,
    "data": dict,
    "training": dict,
}


def check_model(model: Mapping[str, Any]) -> None:
    """Raise ArtifactError unless ``model`` has the shape schema 1 requires."""
    for key, kind in _REQUIRED.items():
        if key not in model:
            raise ArtifactError(f"model.json lacks the key {key!r}")
        if not isinstance(model[key], kind) or isinstance(model[key], bool):
            raise ArtifactError(f"model.json: {key!r} must be a {_kind_name(kind)}")
    if model["schema_version"] != SCHEMA_VERSION:
        raise ArtifactError(
            f"model.json: schema_version {model['schema_version']} is not supported; "
            f"this code reads schema_version {SCHEMA_VERSION}"
        )
    width = 0
    for position, spec in enumerate(model["inputs"]):
        width += _check_input(spec, position)
    if width != model["columns"] or len(model["weights"]) != width:
        raise ArtifactError(
            f"model.json: the inputs expand to {width} columns, 'columns' is "
            f"{model['columns']} and there are {len(model['weights'])} weights; all must agree"
        )
    if not all(_is_finite_number(w) for w in model["weights"]):
        raise ArtifactError("model.json: every weight must be a finite number")
    if not (math.isfinite(model["bias"]) and math.isfinite(model["threshold"])):
        raise ArtifactError("model.json: bias and threshold must be finite numbers")


def _check_input(spec: Any, position: int) -> int:
    if not isinstance(spec, dict) or not isinstance(spec.get("name"), str):
        raise ArtifactError(f"model.json: inputs[{position}] must be an object with a name")
    where = f"model.json: input {spec['name']!r}"
    if spec.get("kind") == "numeric":
        offset = spec.get("log_offset")
        if offset is not None and not _is_finite_number(offset):
            raise ArtifactError(f"{where}: log_offset must be a number or null")
        if not _is_finite_number(spec.get("mean")) or not _is_positive(spec.get("std")):
            raise ArtifactError(f"{where}: needs a finite mean and a positive std")
        return 1
    if spec.get("kind") == "categorical":
        vocabulary = spec.get("vocabulary")
        if not isinstance(vocabulary, list) or not all(isinstance(v, str) for v in vocabulary):
            raise ArtifactError(f"{where}: vocabulary must be a list of strings")
        if spec.get("unknown") != "zeros":
            raise ArtifactError(f"{where}: unknown must be 'zeros' (the only rule of schema 1)")
        mean, std = spec.get("mean"), spec.get("std")
        if (
            not isinstance(mean, list)
            or not isinstance(std, list)
            or not len(mean) == len(std) == len(vocabulary)
            or not all(_is_finite_number(m) for m in mean)
            or not all(_is_positive(s) for s in std)
        ):
            raise ArtifactError(
                f"{where}: needs one finite mean and one positive std per vocabulary entry"
            )
        return len(vocabulary)
    raise ArtifactError(f"{where}: kind must be 'numeric' or 'categorical'")


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
            for category, mean, std in zip(spec["vocabulary"], spec["mean"], spec["std"]):
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


def _kind_name(kind: type | tuple[type, ...]) -> str:
    return kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
