"""model/_export.py: the artifact's model for frameworks, built from model.json alone."""

from __future__ import annotations

import json
import math
import zipfile
from pathlib import Path

import pytest
from model_test_support import REPO

from model import ArtifactError, predict_probability, read_artifact, write_artifact
from model._export import (
    FIXED_DATE_SAVED,
    export_paths,
    keras_bytes,
    keras_model,
    tflite_bytes,
    write_exports,
)

VECTORS = json.loads((REPO / "tests" / "vectors" / "all.json").read_text(encoding="utf-8"))


def test_exports_are_written_beside_the_artifact_and_are_deterministic(tmp_path: Path) -> None:
    artifact = write_artifact(tmp_path / "out" / "m.zip", VECTORS["model"])
    paths = write_exports(artifact, read_artifact(artifact))
    assert paths == export_paths(artifact) == {"litert": tmp_path / "out" / "m.tflite",
                                               "tensorflow": tmp_path / "out" / "m.keras"}
    assert paths["litert"].read_bytes() == tflite_bytes(VECTORS["model"])
    assert paths["tensorflow"].read_bytes() == keras_bytes(VECTORS["model"])
    with zipfile.ZipFile(paths["tensorflow"]) as keras_file:
        assert {info.date_time for info in keras_file.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        assert json.loads(keras_file.read("metadata.json"))["date_saved"] == FIXED_DATE_SAVED


def test_the_exports_carry_the_model_version() -> None:
    from ai_edge_litert.interpreter import Interpreter

    version = VECTORS["model"]["model_version"]
    interpreter = Interpreter(model_content=tflite_bytes(VECTORS["model"]))
    assert interpreter.get_signature_list() == {
        f"model_version_{version}": {"inputs": ["features"], "outputs": ["probability"]}}
    assert keras_model(VECTORS["model"]).name == f"model_version_{version}"


def test_the_litert_export_computes_the_artifacts_model() -> None:
    import numpy as np
    from ai_edge_litert.interpreter import Interpreter

    model = VECTORS["model"]
    runner = Interpreter(model_content=tflite_bytes(model)).get_signature_runner()
    for case in VECTORS["cases"][:40]:
        row: list[float] = []
        for spec in model["inputs"]:
            value = case["instance"][spec["name"]]
            if spec["kind"] == "numeric":
                offset = spec["log_offset"]
                row.append(value if offset is None else math.log(value + offset))
            else:
                row.extend(1.0 if value == word else 0.0 for word in spec["vocabulary"])
        got = float(runner(features=np.asarray([row], dtype=np.float32))["probability"][0, 0])
        # The float32 tolerance of docs/model-artifact.md is far below 1e-5 for these cases.
        assert got == pytest.approx(predict_probability(model, case["instance"]), abs=1e-5)


def test_a_model_that_float32_cannot_hold_is_refused() -> None:
    model = {**VECTORS["model"]}
    inputs = [dict(spec) for spec in model["inputs"]]
    inputs[0]["std"] = 1e-9  # below Keras' epsilon: Normalization would divide by 1e-7
    with pytest.raises(ArtifactError, match="does not fit the float32 model of the exports"):
        tflite_bytes({**model, "inputs": inputs})
