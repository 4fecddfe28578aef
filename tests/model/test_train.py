"""Training on the shipped sample: determinism, the artifact, agreement with Keras."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from model import (
    ArtifactError,
    TrainResult,
    TrainSettings,
    artifact_bytes,
    canonical_json,
    model_version,
    predict,
    predict_probability,
    read_artifact,
    train,
    write_artifact,
)
from model._artifact import with_version
from model._features import select_rows
from model._parameters import PARAMETER_DIGITS, round_parameter

from ..support.kdd import SAMPLE


def test_same_data_and_seed_give_the_same_bytes(
    sample_frame: pd.DataFrame, http_result: TrainResult
) -> None:
    again = train(
        sample_frame, TrainSettings(subset="http"), source=SAMPLE.name, progress=lambda _: None
    )
    assert artifact_bytes(again.model) == artifact_bytes(http_result.model)
    other_seed = train(
        sample_frame,
        TrainSettings(subset="http", seed=7),
        source=SAMPLE.name,
        progress=lambda _: None,
    )
    assert other_seed.model["weights"] != http_result.model["weights"]


def test_training_prints_one_line_per_epoch(sample_frame: pd.DataFrame) -> None:
    lines: list[str] = []
    train(
        sample_frame,
        TrainSettings(subset="http", epochs=3),
        source=SAMPLE.name,
        progress=lines.append,
    )
    epochs = [line for line in lines if line.startswith("epoch ")]
    assert [line.split()[1] for line in epochs] == ["1/3", "2/3", "3/3"]
    assert all(" loss " in line for line in epochs)


@pytest.mark.parametrize("fixture", ["http_result", "all_result"])
def test_artifact_round_trips(tmp_path: Path, request: pytest.FixtureRequest, fixture: str) -> None:
    result: TrainResult = request.getfixturevalue(fixture)
    path = write_artifact(tmp_path / "out" / "model.zip", result.model)
    assert read_artifact(path) == result.model
    with zipfile.ZipFile(path) as archive:
        (info,) = archive.infolist()
        member = archive.read("model.json")
    assert info.filename == "model.json"
    assert info.compress_type == zipfile.ZIP_DEFLATED
    assert info.date_time == (1980, 1, 1, 0, 0, 0)
    assert (info.external_attr >> 16) & 0o777 == 0o644
    assert info.extra == b""
    assert info.comment == b""
    assert member == canonical_json(result.model)
    assert b" " not in member.replace(b"sample.csv", b"")
    without = {k: v for k, v in result.model.items() if k != "model_version"}
    digest = hashlib.sha256(
        json.dumps(without, sort_keys=True, separators=(",", ":")).encode()
    ).hexdigest()
    assert result.model["model_version"] == digest[:12]


def test_artifact_records_data_and_training(http_result: TrainResult) -> None:
    model = http_result.model
    assert model["schema_version"] == 1
    assert model["subset"] == "http"
    assert model["columns"] == len(model["weights"]) == 3
    assert model["data"]["source"] == SAMPLE.name
    assert model["data"]["rows"] == len(http_result.rows)
    assert model["data"]["attacks"] == int(http_result.rows["attack"].sum())
    assert model["training"]["seed"] == TrainSettings().seed
    assert model["metrics"] == http_result.evaluations[0].keras.to_json()
    (tn, fp), (fn, tp) = model["metrics"]["confusion_matrix"]
    assert tn + fp + fn + tp == model["metrics"]["rows"]


@pytest.mark.parametrize("fixture", ["http_result", "all_result"])
def test_stored_parameters_are_rounded_and_keras_uses_them(
    request: pytest.FixtureRequest, fixture: str
) -> None:
    result: TrainResult = request.getfixturevalue(fixture)
    model = result.model
    exported_mean: list[float] = []
    exported_std: list[float] = []
    for spec in model["inputs"]:
        many = spec["kind"] == "categorical"
        exported_mean += spec["mean"] if many else [spec["mean"]]
        exported_std += spec["std"] if many else [spec["std"]]
    stored = [*exported_mean, *exported_std, *model["weights"], model["bias"]]
    # Rounded to the stated digits: each value is its own rounding.
    assert all(v == round_parameter(v) for v in stored)
    assert model["training"]["dtype"] == "float64"
    assert model["training"]["parameter_digits"] == PARAMETER_DIGITS
    # The Keras model the metrics and vectors come from holds exactly these numbers.
    layer = result.keras_model.get_layer("standardise")
    assert [float(m) for m in np.asarray(layer.mean).ravel()] == exported_mean
    divisor = np.maximum(np.sqrt(np.asarray(layer.variance).ravel()), 1e-7)
    assert [float(s) for s in divisor] == exported_std
    kernel, bias = result.keras_model.get_layer("logistic").get_weights()
    assert kernel.dtype == np.float64
    assert [float(w) for w in kernel.ravel()] == model["weights"]
    assert float(bias[0]) == model["bias"]
    # Columns constant in training get the epsilon floor and keep a zero weight.
    constant = [j for j, s in enumerate(exported_std) if s < 1e-6]
    if fixture == "all_result":
        assert constant, "the sample has constant columns (num_outbound_cmds is always 0)"
    assert all(exported_std[j] == 1e-7 and model["weights"][j] == 0.0 for j in constant)


@pytest.mark.parametrize("fixture", ["http_result", "all_result"])
def test_reference_evaluator_reproduces_keras_on_every_row(
    request: pytest.FixtureRequest, fixture: str
) -> None:
    result: TrainResult = request.getfixturevalue(fixture)
    rows = result.rows
    keras = result.keras_probabilities(rows, source="sample")
    names = [spec["name"] for spec in result.model["inputs"]]
    ours = [
        predict_probability(result.model, dict(zip(names, values, strict=True)))
        for values in rows[names].itertuples(index=False, name=None)
    ]
    assert np.max(np.abs(np.asarray(ours) - keras)) <= 1e-6


def test_model_learns_as_well_as_the_reference(
    http_result: TrainResult, all_result: TrainResult
) -> None:
    for result in (http_result, all_result):
        test = result.evaluations[0]
        assert test.keras.f1 >= 0.9
        assert abs(test.keras.f1 - test.reference.f1) <= 0.02


def test_extra_evaluation_data_is_scored(
    http_result: TrainResult, sample_frame: pd.DataFrame
) -> None:
    extra = http_result.evaluations[1]
    assert extra.name == "sample again"
    assert extra.keras.rows == len(select_rows(sample_frame, http_result.subset, source="s"))


def test_altered_or_foreign_artifacts_are_refused(tmp_path: Path, http_result: TrainResult) -> None:
    model = http_result.model
    altered = {**model, "bias": model["bias"] + 1.0}
    with pytest.raises(ArtifactError, match="model_version does not match"):
        artifact_bytes(altered)
    tampered = tmp_path / "tampered.zip"
    _zip_member(tampered, canonical_json(altered))
    with pytest.raises(ArtifactError, match="does not match the content"):
        read_artifact(tampered)
    future = tmp_path / "future.zip"
    _zip_member(future, canonical_json(with_version({**model, "schema_version": 2})))
    with pytest.raises(
        ArtifactError, match="schema_version 2 is not supported; this code reads schema_version 1"
    ):
        read_artifact(future)
    short = with_version({**model, "weights": model["weights"][:2]})
    with pytest.raises(ArtifactError, match="expand to 3 columns"):
        artifact_bytes(short)
    not_zip = tmp_path / "model.zip"
    not_zip.write_text("hello")
    with pytest.raises(ArtifactError, match="not a readable zip"):
        read_artifact(not_zip)
    with pytest.raises(ArtifactError, match="no such file; train one"):
        read_artifact(tmp_path / "absent.zip")


def test_reference_applies_the_contract_rules(http_result: TrainResult) -> None:
    model = http_result.model
    from model import InstanceError

    good = {"duration": 0, "src_bytes": 200, "dst_bytes": 3000.5}
    probability, anomaly = predict(model, good)
    assert anomaly == (probability >= model["threshold"])
    cases: list[tuple[dict[str, object], str]] = [
        ({"duration": 0, "src_bytes": 200}, "missing_feature"),
        ({**good, "src_bytes": "200"}, "invalid_type"),
        ({**good, "src_bytes": True}, "invalid_type"),
        ({**good, "src_bytes": -1}, "invalid_value"),
        ({**good, "src_bytes": float("inf")}, "invalid_value"),
    ]
    for instance, code in cases:
        with pytest.raises(InstanceError) as caught:
            predict(model, instance)
        assert caught.value.code == code
    # Just above -log_offset is accepted (ln of a tiny positive number).
    assert 0.0 <= predict_probability(model, {**good, "src_bytes": -0.5}) <= 1.0


def _zip_member(path: Path, data: bytes) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("model.json", data)
    path.write_bytes(buffer.getvalue())


def test_model_version_ignores_only_itself(http_result: TrainResult) -> None:
    model = http_result.model
    assert model_version({**model, "model_version": "x"}) == model["model_version"]
    assert model_version({**model, "threshold": 0.6}) != model["model_version"]
