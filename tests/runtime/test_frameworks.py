"""The litert, tensorflow and onnx model runtimes of the Python function: the HTTP contract answered
exactly as the artifact runtime answers it (tests/contract/cases.json), the test vectors'
probabilities within the float32 tolerance of docs/model-artifact.md, and init failures."""

from __future__ import annotations

import base64
import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from contract import EXPORT_SUFFIXES

from ..support.paths import CASES_FILE, PYTHON_RUNTIME
from ..support.runtimes import (
    Functions,
    body_of,
    build_event,
    event,
    fixture_model,
    load_json,
    vector_files,
    write_artifact,
)

CASES = load_json(CASES_FILE)
FRAMEWORKS = ["litert", "tensorflow", "onnx"]
VECTOR_FILES = vector_files()
#: float32's unit roundoff.
U32 = 2.0**-24
#: The sigmoid's own error allowed to a runtime, in units of U32 (docs/model-artifact.md):
#: LiteRT's and TensorFlow's are within an ulp or two of the rounded sigmoid; ONNX Runtime's
#: (MLAS's rational approximation, clamped at ±18) has an absolute error of its own, measured at
#: most 2.8 u over 2,000,001 logits in [-30, 30], so it is allowed twice that, rounded up.
SIGMOID_U = {"litert": 4.0, "tensorflow": 4.0, "onnx": 8.0}


@pytest.fixture(scope="module")
def exported(artifacts: dict[str, Path]) -> dict[str, Path]:
    """The fixture and vector artifacts, each with every framework export beside it."""
    from model import read_artifact
    from model._export import write_exports

    for path in artifacts.values():
        if not all(path.with_suffix(suffix).exists() for suffix in EXPORT_SUFFIXES.values()):
            write_exports(path, read_artifact(path))
    return artifacts


def float32_tolerance(
    model: dict[str, Any],
    instance: dict[str, Any],
    p: float,
    *,
    both_float32: bool,
    sigmoid_u: float = 4.0,
) -> float:
    """docs/model-artifact.md: how far a float32 evaluation may be from ``p``: a runtime's
    error (its sigmoid's allowed ``sigmoid_u``), plus, when ``p`` is itself a float32
    evaluation (the vectors: Keras'), that one's."""
    columns: list[tuple[float, float, float, float]] = []  # (weight, x, mean, std)
    weights = iter(model["weights"])
    for spec in model["inputs"]:
        value = instance[spec["name"]]
        if spec["kind"] == "numeric":
            x = float(value)
            if spec["log_offset"] is not None:
                x = math.log(x + spec["log_offset"])
            columns.append((next(weights), x, spec["mean"], spec["std"]))
        else:
            for i, word in enumerate(spec["vocabulary"]):
                columns.append(
                    (next(weights), 1.0 if value == word else 0.0, spec["mean"][i], spec["std"][i])
                )
    slope = p * (1.0 - p)
    size = sum(abs(w) * (abs(x) + abs(m)) / s for w, x, m, s in columns) + abs(model["bias"])
    logit = 0.0 if slope == 0.0 else (len(columns) + 4) * U32 * size * slope
    served = logit + sigmoid_u * U32
    return served + (logit + 4 * U32 if both_float32 else 0.0)


@pytest.mark.parametrize("framework", FRAMEWORKS)
@pytest.mark.parametrize("case", CASES["cases"], ids=[c["name"] for c in CASES["cases"]])
def test_case_answered_as_the_artifact_runtime_answers(
    framework: str, case: dict[str, Any], functions: Functions, exported: dict[str, Path]
) -> None:
    env = case.get("env", {})
    artifact = functions.get("python", exported["mixed"], **env)
    served = functions.get("python", exported["mixed"], MODEL_RUNTIME=framework, **env)
    expected = artifact.invoke(build_event(case), request_id="lambda-req-7")
    answer = served.invoke(build_event(case), request_id="lambda-req-7")
    assert answer["statusCode"] == expected["statusCode"] == case["status"]
    headers = dict(answer["headers"])
    assert headers.pop("x-runtime") == f"python-{framework}"
    assert headers.pop("x-instance-id") != expected["headers"]["x-instance-id"]
    # Cold or warm depends on which instance the session made first, not on the runtime.
    for name in ("x-runtime", "x-instance-id", "x-init-ms", "x-cold-start"):
        expected["headers"].pop(name, None)
    headers.pop("x-init-ms", None)
    assert headers.pop("x-cold-start") in ("true", "false")
    assert headers == expected["headers"]
    body, want = body_of(answer), body_of(expected)
    if case["status"] != 200:
        assert body["error"]["code"] == want["error"]["code"] == case["code"]
    elif "predictions" in want:
        assert body["model_version"] == want["model_version"]
        model = fixture_model()
        sent_event = build_event(case)
        text = sent_event["body"]
        if sent_event["isBase64Encoded"]:
            text = base64.b64decode(text).decode("utf-8")
        sent = json.loads(text)
        for i, (got, ref) in enumerate(zip(body["predictions"], want["predictions"], strict=True)):
            tolerance = float32_tolerance(
                model,
                sent["instances"][i],
                ref["probability"],
                both_float32=False,
                sigmoid_u=SIGMOID_U[framework],
            )
            assert abs(got["probability"] - ref["probability"]) <= tolerance, (i, got, ref)
            if abs(ref["probability"] - model["threshold"]) > tolerance:
                assert got["anomaly"] is ref["anomaly"]
    else:
        assert body == {**want, "runtime": f"python-{framework}"}


@pytest.mark.parametrize("path", VECTOR_FILES, ids=[p.stem for p in VECTOR_FILES])
@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_vectors_within_the_float32_tolerance(
    framework: str, path: Path, functions: Functions, exported: dict[str, Path]
) -> None:
    vectors = load_json(path)
    function = functions.get("python", exported[f"vectors_{path.stem}"], MODEL_RUNTIME=framework)
    cases = vectors["cases"]
    response = function.invoke(
        event(body=json.dumps({"instances": [case["instance"] for case in cases]}))
    )
    assert response["statusCode"] == 200, response["body"]
    assert response["headers"]["x-model-version"] == vectors["model"]["model_version"]
    for case, got in zip(cases, body_of(response)["predictions"], strict=True):
        tolerance = float32_tolerance(
            vectors["model"],
            case["instance"],
            case["probability"],
            both_float32=True,
            sigmoid_u=SIGMOID_U[framework],
        )
        assert abs(got["probability"] - case["probability"]) <= tolerance, case["name"]
        if abs(case["probability"] - vectors["model"]["threshold"]) > tolerance:
            assert got["anomaly"] is case["anomaly"], case["name"]


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_an_export_of_another_model_fails_init(
    framework: str, functions: Functions, exported: dict[str, Path], tmp_path: Path
) -> None:
    # model_http.json's artifact beside model_mixed.json's exports: a stale export.
    stale = write_artifact(tmp_path / "model.zip", fixture_model("model_http.json"))
    suffix = EXPORT_SUFFIXES[framework]
    stale.with_suffix(suffix).write_bytes(exported["mixed"].with_suffix(suffix).read_bytes())
    init_error = sys.modules["_errors"].InitError
    with pytest.raises(
        init_error,
        match=r"is for model_version a09f2c033fb0 but the artifact "
        r"beside it is [0-9a-f]{12}: export the artifact",
    ):
        functions.fresh("python", stale, MODEL_RUNTIME=framework)


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_a_missing_export_fails_init_naming_it(
    framework: str, functions: Functions, tmp_path: Path
) -> None:
    alone = write_artifact(tmp_path / "model.zip", fixture_model())
    init_error = sys.modules["_errors"].InitError
    with pytest.raises(init_error, match=rf"{framework} export at .*model\.(tflite|keras|onnx)"):
        functions.fresh("python", alone, MODEL_RUNTIME=framework)


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_an_unreadable_export_fails_init_naming_it(
    framework: str, functions: Functions, tmp_path: Path
) -> None:
    # A truncated or foreign file where the export should be: one line naming it and the fix.
    artifact = write_artifact(tmp_path / "model.zip", fixture_model())
    artifact.with_suffix(EXPORT_SUFFIXES[framework]).write_bytes(b"not an export")
    init_error = sys.modules["_errors"].InitError
    suffix = EXPORT_SUFFIXES[framework]
    with pytest.raises(
        init_error,
        match=rf"{framework} export at .*model\{suffix} "
        r"cannot be loaded \(.*\): export the artifact",
    ):
        functions.fresh("python", artifact, MODEL_RUNTIME=framework)


def test_an_onnx_export_of_another_shape_fails_init(functions: Functions, tmp_path: Path) -> None:
    # The right version name on a graph with other inputs: refused at init, not at a request.
    import onnx
    from onnx import TensorProto, helper

    from model import read_artifact

    artifact = write_artifact(tmp_path / "model.zip", fixture_model())
    version = read_artifact(artifact)["model_version"]
    graph = helper.make_graph(
        [helper.make_node("Sigmoid", ["x"], ["probability"])],
        f"model_version_{version}",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 1])],
        [helper.make_tensor_value_info("probability", TensorProto.FLOAT, ["n", 1])],
    )
    built = helper.make_model(graph, ir_version=7, opset_imports=[helper.make_opsetid("", 13)])
    artifact.with_suffix(".onnx").write_bytes(built.SerializeToString())
    onnx.checker.check_model(built)
    init_error = sys.modules["_errors"].InitError
    with pytest.raises(
        init_error,
        match=r"onnx export at .* has inputs \['x'\] and outputs "
        r"\['probability'\]; expected \['features'\]",
    ):
        functions.fresh("python", artifact, MODEL_RUNTIME="onnx")


def test_an_unknown_model_runtime_fails_init(
    functions: Functions, exported: dict[str, Path]
) -> None:
    init_error = sys.modules["_errors"].InitError
    with pytest.raises(
        init_error,
        match="MODEL_RUNTIME is 'pytorch'; set it to one of artifact, litert, tensorflow, onnx",
    ):
        functions.fresh("python", exported["mixed"], MODEL_RUNTIME="pytorch")


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_a_package_without_the_framework_fails_init_with_the_import_error(
    framework: str, exported: dict[str, Path]
) -> None:
    # -S: no site-packages, only the standard library and the function's own files, as in a
    # package built without the framework's wheels. The artifact runtime still starts.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MODEL_", "PYTHON"))}
    code = f"import sys; sys.path.insert(0, {str(PYTHON_RUNTIME)!r}); import app"
    runs = {
        runtime: subprocess.run(
            [sys.executable, "-S", "-c", code],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            env={**env, "MODEL_PATH": str(exported["mixed"]), "MODEL_RUNTIME": runtime},
        )
        for runtime in ("artifact", framework)
    }
    assert runs["artifact"].returncode == 0, runs["artifact"].stderr
    failed = runs[framework]
    assert failed.returncode != 0
    # The first of the framework's imports that fails: numpy, or the framework itself.
    assert re.search(
        r"ModuleNotFoundError: No module named "
        r"'(numpy|ai_edge_litert|keras|tensorflow|onnxruntime)'",
        failed.stderr,
    ), failed.stderr
    assert (
        failed.stderr.strip()
        .splitlines()[-1]
        .startswith(f"_errors.InitError: MODEL_RUNTIME={framework} cannot import its framework")
    )
