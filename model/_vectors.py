"""Test vectors: raw instances and the probabilities the stored model gives them in Keras.

Both runtimes are held to these files (docs/model-artifact.md, "Test vectors"). The cases
cover zeros, typical rows of each class, fractions, very large values, every category of
every categorical input, an unknown category, and real rows of the training data.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from model._artifact import canonical_json
from model._data import ATTACK_COLUMN
from model._errors import ModelError

if TYPE_CHECKING:
    import pandas as pd

    from model._train import TrainResult

#: A category no KDD file has, for the "unknown category" cases.
UNKNOWN_CATEGORY = "no_such_category"
LARGE_VALUES: tuple[float, ...] = (1e9, 1e12)
REAL_ROWS_PER_CLASS = 10
#: Significant digits kept of a case's probability: the float64 kernels of another CPU
#: move it by ~1e-14 relative, far below this grid, and the rounding (5e-8 at most) far
#: below the 1e-6 a runtime is held to.
PROBABILITY_DIGITS = 7


def vector_cases(result: TrainResult, *, seed: int) -> list[dict[str, Any]]:
    """The cases, each with the Keras model's probability and the anomaly flag."""
    import pandas as pd

    instances = _instances(result, seed=seed)
    frame = pd.DataFrame([instance for _, instance in instances])
    probabilities = result.keras_probabilities(frame, source="test vectors")
    threshold = result.model["threshold"]
    rounded = [float(f"{float(p):.{PROBABILITY_DIGITS}g}") + 0.0 for p in probabilities]
    return [
        {
            "name": name,
            "instance": instance,
            "probability": p,
            "anomaly": p >= threshold,
        }
        for (name, instance), p in zip(instances, rounded, strict=True)
    ]


def vectors_document(result: TrainResult, *, seed: int) -> dict[str, Any]:
    # The model's keys sorted as in model.json; a case's instance keeps the inputs' order.
    model = json.loads(canonical_json(result.model))
    return {"model": model, "cases": vector_cases(result, seed=seed)}


def vectors_text(document: dict[str, Any]) -> str:
    """Stable text for the file: keys in document order, one space of indentation."""
    return json.dumps(document, indent=1, ensure_ascii=False, allow_nan=False) + "\n"


def write_vectors(path: str | Path, document: dict[str, Any]) -> Path:
    out = Path(path)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(vectors_text(document), encoding="utf-8")
    except OSError as exc:
        raise ModelError(f"{out}: cannot write the test vectors: {exc.strerror or exc}") from exc
    return out


def _instances(result: TrainResult, *, seed: int) -> list[tuple[str, dict[str, Any]]]:
    import numpy as np

    rows = result.rows
    numeric = [s.name for s in result.inputs if s.kind == "numeric"]
    categorical = [s for s in result.inputs if s.kind == "categorical"]
    normal_rows = rows[rows[ATTACK_COLUMN] == 0]
    attack_rows = rows[rows[ATTACK_COLUMN] == 1]

    def base(numbers: dict[str, Any], of: pd.DataFrame) -> dict[str, Any]:
        instance = dict(numbers)
        for spec in categorical:
            instance[spec.name] = str(of[spec.name].mode().sort_values().iloc[0])
        return {s.name: instance[s.name] for s in result.inputs}

    def typical(of: pd.DataFrame) -> dict[str, Any]:
        return base({n: _json_number(float(of[n].median())) for n in numeric}, of)

    typical_normal = typical(normal_rows)
    cases: list[tuple[str, dict[str, Any]]] = [
        ("zeros", base({n: 0 for n in numeric}, normal_rows)),
        ("typical normal (medians)", typical_normal),
        ("typical attack (medians)", typical(attack_rows)),
        ("fractions 0.5", base({n: 0.5 for n in numeric}, normal_rows)),
    ]
    for large in LARGE_VALUES:
        cases.append((f"all numerics {large:g}", base({n: large for n in numeric}, normal_rows)))
    # One large input at a time, from a normal row: shows each input's own saturation.
    if len(numeric) <= 3:
        for name in numeric:
            for large in LARGE_VALUES:
                cases.append((f"{name} {large:g}", {**typical_normal, name: large}))
    for spec in categorical:
        for category in spec.vocabulary:
            cases.append((f"{spec.name}={category}", {**typical_normal, spec.name: category}))
        cases.append((f"{spec.name} unknown", {**typical_normal, spec.name: UNKNOWN_CATEGORY}))
    rng = np.random.default_rng(seed)
    for label, of in (("normal", normal_rows), ("attack", attack_rows)):
        picked = np.sort(rng.choice(len(of), size=min(REAL_ROWS_PER_CLASS, len(of)), replace=False))
        for position in picked:
            row = of.iloc[int(position)]
            instance = {
                s.name: (str(row[s.name]) if s.kind == "categorical" else _json_number(row[s.name]))
                for s in result.inputs
            }
            cases.append((f"{label} row, line {int(of.index[int(position)]) + 1}", instance))
    return cases


def _json_number(value: Any) -> int | float:
    """Whole numbers as JSON integers (as requests usually carry them), others as floats."""
    number = float(value)
    if math.isfinite(number) and number.is_integer() and abs(number) < 2**53:
        return int(number)
    return number
