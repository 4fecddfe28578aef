"""The committed test vectors: complete, reproduced by the reference, and never stale."""

from __future__ import annotations

import json
from typing import Any

import pytest

from model import TrainResult, model_version, predict_probability, vectors_document
from model._artifact import artifact_bytes
from model._train_settings import DEFAULT_SEED
from model._vectors import PROBABILITY_DIGITS, UNKNOWN_CATEGORY, vectors_text

from ..support.paths import VECTORS_DIR

SUBSETS = ["http", "all"]
REGENERATE = (
    ".venv/bin/python -m model vectors --subset {s} --out tests/vectors/{s}.json "
    "(and tell the runtime owners)"
)


def _committed(subset: str) -> dict[str, Any]:
    committed: dict[str, Any] = json.loads(
        (VECTORS_DIR / f"{subset}.json").read_text(encoding="utf-8")
    )
    return committed


@pytest.mark.parametrize("subset", SUBSETS)
def test_reference_reproduces_keras_probabilities(subset: str) -> None:
    document = _committed(subset)
    model = document["model"]
    artifact_bytes(model)  # a valid, correctly versioned model
    assert model["model_version"] == model_version(model)
    for case in document["cases"]:
        ours = predict_probability(model, case["instance"])
        assert abs(ours - case["probability"]) <= 1e-6, case["name"]
        assert case["anomaly"] == (case["probability"] >= model["threshold"]), case["name"]
        # Stored to the stated digits, so another CPU's float64 round-off cannot show.
        assert case["probability"] == float(f"{case['probability']:.{PROBABILITY_DIGITS}g}")


@pytest.mark.parametrize("subset", SUBSETS)
def test_cases_cover_the_edges(subset: str) -> None:
    document = _committed(subset)
    model = document["model"]
    names = [case["name"] for case in document["cases"]]
    assert len(names) == len(set(names))
    instances = {case["name"]: case["instance"] for case in document["cases"]}
    numeric = [s["name"] for s in model["inputs"] if s["kind"] == "numeric"]
    assert all(instances["zeros"][n] == 0 for n in numeric)
    for large in (1e9, 1e12):
        assert all(instances[f"all numerics {large:g}"][n] == large for n in numeric)
    for spec in model["inputs"]:
        if spec["kind"] == "categorical":
            for value in spec["vocabulary"]:
                assert instances[f"{spec['name']}={value}"][spec["name"]] == value
            assert instances[f"{spec['name']} unknown"][spec["name"]] == UNKNOWN_CATEGORY
    real = [n for n in names if " row, line " in n]
    assert len(real) == 20
    probabilities = [case["probability"] for case in document["cases"]]
    # Both decisions occur, so a runtime that always answers one way fails.
    assert {case["anomaly"] for case in document["cases"]} == {True, False}
    assert all(0.0 <= p <= 1.0 for p in probabilities)
    for instance in instances.values():
        assert [*instance] == [s["name"] for s in model["inputs"]]


def _first_difference(now: Any, committed: Any, where: str) -> str | None:
    """The path of the first value that differs (exactly: no tolerance), or None."""
    if isinstance(now, dict) and isinstance(committed, dict):
        if sorted(now) != sorted(committed):
            return f"{where} keys {sorted(now)} != {sorted(committed)}"
        for key in now:
            found = _first_difference(now[key], committed[key], f"{where}.{key}")
            if found:
                return found
        return None
    if isinstance(now, list) and isinstance(committed, list):
        if len(now) != len(committed):
            return f"{where} has {len(now)} items, committed {len(committed)}"
        for i, (a, b) in enumerate(zip(now, committed, strict=True)):
            found = _first_difference(a, b, f"{where}[{i}]")
            if found:
                return found
        return None
    if type(now) is not type(committed) or now != committed:
        return f"{where}: {now!r} != {committed!r}"
    return None


@pytest.mark.parametrize("subset", SUBSETS)
def test_committed_vectors_are_what_training_gives_now(
    request: pytest.FixtureRequest, subset: str
) -> None:
    result: TrainResult = request.getfixturevalue(f"{subset}_result")
    now = vectors_document(result, seed=DEFAULT_SEED)
    committed = _committed(subset)
    if vectors_text(now) == vectors_text(committed):
        return
    # Only the library versions (and the model_version hashing them) may differ: every
    # number must be the same, bit for bit, on any machine (docs/model-artifact.md).
    for document in (now, committed):
        document["model"].pop("model_version")
        document["model"]["training"].pop("versions")
    difference = _first_difference(now, committed, subset)
    assert difference is None, (
        f"tests/vectors/{subset}.json is stale ({difference}); regenerate it: "
        + REGENERATE.format(s=subset)
    )
