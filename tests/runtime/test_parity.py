"""Both functions give the test vectors' probabilities (1e-6 of Keras), agree with each other
(1e-9), and agree with a straightforward column-by-column reading of docs/model-artifact.md."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ..support.runtimes import (
    RUNTIMES,
    Functions,
    body_of,
    error_code,
    event,
    fixture_model,
    load_json,
    model_version_of,
    vector_files,
    write_artifact,
)

KERAS_TOLERANCE = 1e-6
RUNTIME_TOLERANCE = 1e-9
VECTOR_FILES = vector_files()
FUZZ = settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def reference_probability(model: dict[str, Any], instance: dict[str, Any]) -> float:
    """docs/model-artifact.md read literally: expand every column, then sum them in order."""
    columns: list[float] = []
    for spec in model["inputs"]:
        value = instance[spec["name"]]
        if spec["kind"] == "numeric":
            x = float(value)
            if spec["log_offset"] is not None:
                x = math.log(x + spec["log_offset"])
            columns.append((x - spec["mean"]) / spec["std"])
        else:
            for i, word in enumerate(spec["vocabulary"]):
                hot = 1.0 if value == word else 0.0
                columns.append((hot - spec["mean"][i]) / spec["std"][i])
    assert len(columns) == model["columns"]
    z = model["bias"] + math.fsum(w * c for w, c in zip(model["weights"], columns, strict=True))
    return 1.0 / (1.0 + math.exp(-z)) if z >= 0 else math.exp(z) / (1.0 + math.exp(z))


def predict(function: Any, instances: list[dict[str, Any]]) -> list[dict[str, Any]]:
    response = function.invoke(event(body=json.dumps({"instances": instances})))
    assert response["statusCode"] == 200, response["body"]
    predictions: list[dict[str, Any]] = body_of(response)["predictions"]
    return predictions


def test_the_test_vectors_are_present() -> None:
    # Parity against Keras needs them; they are committed by the model part (tests/vectors).
    assert {p.stem for p in VECTOR_FILES} >= {"http", "all"}


def test_fixture_models_carry_their_true_model_version() -> None:
    for name in ("model_http.json", "model_mixed.json"):
        model = fixture_model(name)
        assert model["model_version"] == model_version_of(model)


@pytest.mark.parametrize("path", VECTOR_FILES, ids=[p.stem for p in VECTOR_FILES])
@pytest.mark.parametrize("runtime", RUNTIMES)
def test_vectors_match_keras(
    runtime: str, path: Path, functions: Functions, artifacts: dict[str, Path]
) -> None:
    vectors = load_json(path)
    cases = vectors["cases"]
    threshold = vectors["model"]["threshold"]
    function = functions.get(runtime, artifacts[f"vectors_{path.stem}"])
    predictions = predict(function, [case["instance"] for case in cases])
    assert len(predictions) == len(cases)
    for case, prediction in zip(cases, predictions, strict=True):
        assert prediction["probability"] == pytest.approx(
            case["probability"], abs=KERAS_TOLERANCE, rel=0
        ), case["name"]
        if abs(case["probability"] - threshold) > KERAS_TOLERANCE:
            assert prediction["anomaly"] is case["anomaly"], case["name"]


@pytest.mark.java
@pytest.mark.parametrize("path", VECTOR_FILES, ids=[p.stem for p in VECTOR_FILES])
def test_vectors_same_in_both_runtimes(
    path: Path, functions: Functions, artifacts: dict[str, Path]
) -> None:
    vectors = load_json(path)
    instances = [case["instance"] for case in vectors["cases"]]
    artifact = artifacts[f"vectors_{path.stem}"]
    python = predict(functions.get("python", artifact), instances)
    java = predict(functions.get("java", artifact), instances)
    for case, p, j in zip(vectors["cases"], python, java, strict=True):
        assert abs(p["probability"] - j["probability"]) <= RUNTIME_TOLERANCE, case["name"]
        assert p["anomaly"] is j["anomaly"], case["name"]
        assert p["probability"] == pytest.approx(
            reference_probability(vectors["model"], case["instance"]), abs=1e-12
        )


def numeric_value(spec: dict[str, Any]) -> st.SearchStrategy[float | int]:
    low = -spec["log_offset"] if spec.get("log_offset") is not None else -1e6
    floats = st.floats(min_value=low, max_value=1e12, exclude_min=True, allow_nan=False)
    ints = st.integers(min_value=math.floor(low) + 1, max_value=10**12)
    return st.one_of(floats, ints, st.sampled_from([0, 1, 1e9, 1e12]))


def instances_for(model: dict[str, Any]) -> st.SearchStrategy[list[dict[str, Any]]]:
    fields = {}
    for spec in model["inputs"]:
        if spec["kind"] == "numeric":
            fields[spec["name"]] = numeric_value(spec)
        else:
            fields[spec["name"]] = st.one_of(
                st.sampled_from(spec["vocabulary"]), st.text(max_size=8)
            )
    return st.lists(st.fixed_dictionaries(fields), min_size=1, max_size=40)


def models_for_fuzz() -> list[tuple[str, dict[str, Any]]]:
    found = [("mixed", fixture_model("model_mixed.json"))]
    found += [(f"vectors_{p.stem}", load_json(p)["model"]) for p in VECTOR_FILES]
    return found


@pytest.mark.java
@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "model"), models_for_fuzz(), ids=[m[0] for m in models_for_fuzz()]
)
def test_random_instances_same_in_both_runtimes(
    name: str, model: dict[str, Any], functions: Functions, artifacts: dict[str, Path]
) -> None:
    python = functions.get("python", artifacts[name])
    java = functions.get("java", artifacts[name])

    @FUZZ
    @given(instances=instances_for(model))
    def check(instances: list[dict[str, Any]]) -> None:
        from_python = predict(python, instances)
        from_java = predict(java, instances)
        for instance, p, j in zip(instances, from_python, from_java, strict=True):
            assert abs(p["probability"] - j["probability"]) <= RUNTIME_TOLERANCE
            reference = reference_probability(model, instance)
            assert p["probability"] == pytest.approx(reference, abs=1e-12)
            if abs(p["probability"] - model["threshold"]) > RUNTIME_TOLERANCE:
                assert p["anomaly"] is j["anomaly"]

    check()


EXTREME = {
    "schema_version": 1,
    "subset": "http",
    "columns": 2,
    "weights": [1e10, -1e10],
    "bias": 0.0,
    "threshold": 0.5,
    "metrics": {},
    "data": {},
    "training": {},
    "inputs": [
        {"name": "a", "kind": "numeric", "log_offset": None, "mean": 0.0, "std": 1e-300},
        {"name": "b", "kind": "numeric", "log_offset": None, "mean": 0.0, "std": 1e-300},
    ],
}


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_overflow_is_refused_or_saturates_the_same_way(
    runtime: str, functions: Functions, tmp_path_factory: pytest.TempPathFactory
) -> None:
    model = dict(EXTREME, model_version=model_version_of(EXTREME))
    artifact = write_artifact(tmp_path_factory.mktemp("extreme") / "model.zip", model)
    function = functions.get(runtime, artifact)

    def answer(a: float, b: float) -> Any:
        return function.invoke(event(body=json.dumps({"instances": [{"a": a, "b": b}]})))

    # A standardised column that overflows, and a sum that is inf - inf: refused.
    assert error_code(answer(1e10, 0)) == "invalid_value"
    assert error_code(answer(1.0, 1.0)) == "invalid_value"
    # One infinite term: the sigmoid saturates exactly.
    assert body_of(answer(1.0, 0))["predictions"] == [{"probability": 1.0, "anomaly": True}]
    assert body_of(answer(0, 1.0))["predictions"] == [{"probability": 0.0, "anomaly": False}]


@pytest.mark.java
@pytest.mark.parametrize("init_type", ["on-demand", "provisioned-concurrency", "snap-start"])
def test_lifecycle_headers_same_in_both_runtimes(
    init_type: str, functions: Functions, artifacts: dict[str, Path]
) -> None:
    """Each init type answers the same header names, and the same values where they are not
    per instance or per runtime, in both functions (docs/api.md, Init types)."""
    own = {"x-instance-id", "x-init-ms", "x-runtime"}
    seen = []
    for runtime in ("python", "java"):
        function = functions.fresh(
            runtime, artifacts["mixed"], AWS_LAMBDA_INITIALIZATION_TYPE=init_type
        )
        health = event("GET", "/health")
        pair = (
            function.restore(health, 2)
            if init_type == "snap-start"
            else [function.invoke(health), function.invoke(health)]
        )
        seen.append([{k: (None if k in own else v) for k, v in r["headers"].items()} for r in pair])
    assert seen[0] == seen[1]
