"""model/_export.py: the artifact's model for frameworks, built from model.json alone."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from model import ArtifactError, predict_probability, read_artifact, write_artifact
from model._export import (
    FIXED_DATE_SAVED,
    export_paths,
    keras_bytes,
    keras_model,
    onnx_bytes,
    parameters,
    tflite_bytes,
    write_exports,
)

from ..support.paths import REPO

VECTORS = json.loads((REPO / "tests" / "vectors" / "all.json").read_text(encoding="utf-8"))


def test_exports_are_written_beside_the_artifact_and_are_deterministic(tmp_path: Path) -> None:
    artifact = write_artifact(tmp_path / "out" / "m.zip", VECTORS["model"])
    paths = write_exports(artifact, read_artifact(artifact))
    assert (
        paths
        == export_paths(artifact)
        == {
            "litert": tmp_path / "out" / "m.tflite",
            "tensorflow": tmp_path / "out" / "m.keras",
            "onnx": tmp_path / "out" / "m.onnx",
        }
    )
    assert paths["litert"].read_bytes() == tflite_bytes(VECTORS["model"])
    assert paths["onnx"].read_bytes() == onnx_bytes(VECTORS["model"])
    assert paths["tensorflow"].read_bytes() == keras_bytes(VECTORS["model"])
    with zipfile.ZipFile(paths["tensorflow"]) as keras_file:
        assert {info.date_time for info in keras_file.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        assert json.loads(keras_file.read("metadata.json"))["date_saved"] == FIXED_DATE_SAVED


def test_the_exports_carry_the_model_version() -> None:
    from ai_edge_litert.interpreter import Interpreter

    version = VECTORS["model"]["model_version"]
    interpreter = Interpreter(model_content=tflite_bytes(VECTORS["model"]))
    assert interpreter.get_signature_list() == {
        f"model_version_{version}": {"inputs": ["features"], "outputs": ["probability"]}
    }
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


def _feature_row(model: dict[str, Any], instance: dict[str, Any]) -> list[float]:
    row: list[float] = []
    for spec in model["inputs"]:
        value = instance[spec["name"]]
        if spec["kind"] == "numeric":
            offset = spec["log_offset"]
            row.append(value if offset is None else math.log(value + offset))
        else:
            row.extend(1.0 if value == word else 0.0 for word in spec["vocabulary"])
    return row


def _onnx_session(data: bytes) -> Any:
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    return onnxruntime.InferenceSession(
        data, sess_options=options, providers=["CPUExecutionProvider"]
    )


def test_the_onnx_export_is_the_same_bytes_in_another_process(tmp_path: Path) -> None:
    # Nothing of the process (ids, clocks, hash seeds) may reach the file: another interpreter,
    # with another hash seed, writes the same bytes.
    source = tmp_path / "model.json"
    source.write_text(json.dumps(VECTORS["model"]), encoding="utf-8")
    code = (
        "import json, sys; from model._export import onnx_bytes; "
        "sys.stdout.buffer.write(onnx_bytes(json.load(open(sys.argv[1]))))"
    )
    other = subprocess.run(
        [sys.executable, "-c", code, str(source)],
        capture_output=True,
        cwd=REPO,
        env={**os.environ, "PYTHONHASHSEED": "12345"},
        timeout=120,
        check=True,
    )
    assert other.stdout == onnx_bytes(VECTORS["model"])
    # Another artifact, another file.
    assert onnx_bytes({**VECTORS["model"], "bias": VECTORS["model"]["bias"] + 1.0}) != other.stdout


def test_the_onnx_export_is_a_checked_graph_named_after_the_model_version() -> None:
    import onnx

    model = VECTORS["model"]
    proto = onnx.load_from_string(onnx_bytes(model))
    onnx.checker.check_model(proto, full_check=True)
    assert proto.graph.name == f"model_version_{model['model_version']}"
    assert proto.ir_version == 7
    assert [(o.domain, o.version) for o in proto.opset_import] == [("", 13)]
    assert [n.op_type for n in proto.graph.node] == ["Sub", "Div", "MatMul", "Add", "Sigmoid"]
    assert [i.name for i in proto.graph.input] == ["features"]
    assert [o.name for o in proto.graph.output] == ["probability"]
    props = {p.key: p.value for p in proto.metadata_props}
    assert props == {
        "model_version": model["model_version"],
        "threshold": repr(float(model["threshold"])),
    }
    session = _onnx_session(onnx_bytes(model))
    assert session.get_modelmeta().graph_name == proto.graph.name
    assert session.get_inputs()[0].shape == ["n", model["columns"]]


def test_the_onnx_export_holds_the_artifacts_float32_parameters() -> None:
    import numpy as np
    from onnx import load_from_string, numpy_helper

    model = VECTORS["model"]
    stored = {
        t.name: numpy_helper.to_array(t)
        for t in load_from_string(onnx_bytes(model)).graph.initializer
    }
    means, stds, weights = parameters(model)
    assert stored["mean"].dtype == np.float32
    assert stored["mean"].tolist() == np.asarray(means, dtype=np.float32).tolist()
    assert stored["std"].tolist() == np.asarray(stds, dtype=np.float32).tolist()
    assert stored["weights"].reshape(-1).tolist() == np.asarray(weights, dtype=np.float32).tolist()
    assert stored["bias"].tolist() == [float(np.float32(model["bias"]))]


def test_the_onnx_export_computes_the_artifacts_model() -> None:
    import numpy as np

    model = VECTORS["model"]
    session = _onnx_session(onnx_bytes(model))
    cases = VECTORS["cases"][:40]
    rows = np.asarray([_feature_row(model, case["instance"]) for case in cases], dtype=np.float32)
    (batch,) = session.run(["probability"], {"features": rows})
    assert batch.shape == (len(cases), 1)
    for case, got in zip(cases, batch.reshape(-1), strict=True):
        # As for LiteRT: the float32 tolerance of docs/model-artifact.md is far below 1e-5.
        assert float(got) == pytest.approx(predict_probability(model, case["instance"]), abs=1e-5)
    # One row alone is answered as within a batch (one thread: the same sums in the same order).
    (single,) = session.run(["probability"], {"features": rows[:1]})
    assert float(single[0, 0]) == float(batch[0, 0])


def test_a_model_that_float32_cannot_hold_is_not_exported_to_onnx() -> None:
    model = {**VECTORS["model"]}
    inputs = [dict(spec) for spec in model["inputs"]]
    inputs[0]["std"] = 1e-9
    with pytest.raises(ArtifactError, match="does not fit the float32 model of the exports"):
        onnx_bytes({**model, "inputs": inputs})
