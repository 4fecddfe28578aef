"""Init of both functions: a bad artifact or setting fails init with a message naming the path
and the problem; the default artifact locations; Python's init stays small and fast."""

from __future__ import annotations

import ast
import io
import json
import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ..support.paths import PYTHON_RUNTIME
from ..support.runtimes import (
    RUNTIMES,
    JavaHarness,
    artifact_bytes,
    fixture_model,
    load_json,
    model_version_of,
    vector_files,
)

PYTHON_MODULES = sorted(p.stem for p in PYTHON_RUNTIME.glob("*.py"))


def python_init(
    env: dict[str, str], cwd: Path | None = None, code: str = "import app"
) -> subprocess.CompletedProcess[str]:
    """A fresh interpreter importing the function, as Lambda's runtime does."""
    clean = {
        k: v for k, v in os.environ.items() if not k.startswith(("MODEL_", "MAX_INSTANCES", "AWS_"))
    }
    return subprocess.run(
        [
            sys.executable,
            "-c",
            (f"import sys; sys.path.insert(0, {str(cwd or PYTHON_RUNTIME)!r}); {code}"),
        ],
        env={**clean, "PYTHONDONTWRITEBYTECODE": "1", **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def init_error(runtime: str, env: dict[str, str], java_classpath: Callable[[], str]) -> str:
    """The init failure message of ``runtime`` under ``env`` (fails if init succeeds)."""
    if runtime == "python":
        result = python_init(env)
        assert result.returncode != 0, "init should have failed"
        assert "InitError" in result.stderr
        return result.stderr.strip().splitlines()[-1]
    harness = JavaHarness(java_classpath(), {k: v for k, v in env.items()})
    harness.close()
    assert harness.ready["ready"] is False, "init should have failed"
    assert harness.ready["error_class"] == "predictor.InitException"
    return str(harness.ready["error"])


@pytest.fixture(scope="module")
def classpath(request: pytest.FixtureRequest) -> Callable[[], str]:
    return lambda: str(request.getfixturevalue("java_classpath"))


def zip_of(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def model_with(**changes: Any) -> bytes:
    model = fixture_model("model_mixed.json") | changes
    model["model_version"] = model_version_of(model)
    return artifact_bytes(model)


def corrupted() -> bytes:
    data = bytearray(artifact_bytes(fixture_model("model_mixed.json")))
    data[60] ^= 0xFF  # inside the deflated model.json
    return bytes(data)


def broken_input() -> bytes:
    model = fixture_model("model_mixed.json")
    model["inputs"][0]["std"] = 0.0
    return artifact_bytes(model)


# name -> (artifact bytes or None for "no file", pattern the message must contain)
BAD_ARTIFACTS: dict[str, tuple[bytes | None, str]] = {
    "missing": (None, "not found at"),
    "not a zip": (b"this is not a zip file\n" * 10, "not a valid model zip"),
    "truncated": (artifact_bytes(fixture_model())[:150], "not a valid model zip"),
    "two members": (zip_of({"model.json": b"{}", "extra.txt": b"x"}), "exactly one member"),
    "wrong member": (zip_of({"weights.json": b"{}"}), "exactly one member"),
    "corrupt data": (corrupted(), "not a valid model zip"),
    "not json": (zip_of({"model.json": b"{not json"}), "not valid JSON"),
    "schema 2": (model_with(schema_version=2), "schema_version is 2"),
    "no inputs": (model_with(inputs="none"), "inputs must be a list"),
    "zero std": (broken_input(), "inputs[0].std must be > 0"),
    "columns mismatch": (model_with(columns=11), "columns is 11 but there are 10 weights"),
    "unknown kind": (
        model_with(inputs=[{"name": "x", "kind": "ordinal"}], columns=1, weights=[1.0]),
        "inputs[0].kind is",
    ),
}


@pytest.mark.parametrize("runtime", RUNTIMES)
@pytest.mark.parametrize("case", sorted(BAD_ARTIFACTS))
def test_bad_artifact_fails_init_naming_path_and_problem(
    runtime: str, case: str, tmp_path: Path, classpath: Callable[[], str]
) -> None:
    data, expected = BAD_ARTIFACTS[case]
    path = tmp_path / "some dir" / "model.zip"
    path.parent.mkdir()
    if data is not None:
        path.write_bytes(data)
    message = init_error(runtime, {"MODEL_PATH": str(path)}, classpath)
    assert str(path) in message
    assert expected in message, message


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_schema_message_names_both_versions(
    runtime: str, tmp_path: Path, classpath: Callable[[], str]
) -> None:
    path = tmp_path / "model.zip"
    path.write_bytes(model_with(schema_version=2))
    message = init_error(runtime, {"MODEL_PATH": str(path)}, classpath)
    assert "schema_version is 2" in message and "schema version 1" in message


@pytest.mark.parametrize("runtime", RUNTIMES)
@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"MODEL_VERSION": "000000000000"}, "MODEL_VERSION is '000000000000'"),
        ({"MAX_INSTANCES": "abc"}, "MAX_INSTANCES is 'abc'"),
        ({"MAX_INSTANCES": "0"}, "MAX_INSTANCES is '0'"),
        ({"MAX_INSTANCES": "1e3"}, "MAX_INSTANCES is '1e3'"),
        ({"MAX_INSTANCES": "\u0661"}, "MAX_INSTANCES is"),
        ({"MODEL_BUCKET": "models"}, "MODEL_BUCKET and MODEL_KEY must be set together"),
        ({"MODEL_KEY": "model.zip"}, "MODEL_BUCKET and MODEL_KEY must be set together"),
    ],
    ids=["version", "max-abc", "max-0", "max-1e3", "max-arabic-digit", "bucket-only", "key-only"],
)
def test_bad_setting_fails_init(
    runtime: str, env: dict[str, str], expected: str, tmp_path: Path, classpath: Callable[[], str]
) -> None:
    path = tmp_path / "model.zip"
    path.write_bytes(artifact_bytes(fixture_model()))
    message = init_error(runtime, {"MODEL_PATH": str(path), **env}, classpath)
    assert expected in message, message


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_matching_model_version_and_max_instances_are_accepted(
    runtime: str, tmp_path: Path, classpath: Callable[[], str]
) -> None:
    model = fixture_model()
    path = tmp_path / "model.zip"
    path.write_bytes(artifact_bytes(model))
    env = {"MODEL_PATH": str(path), "MODEL_VERSION": model["model_version"], "MAX_INSTANCES": "7"}
    if runtime == "python":
        result = python_init(
            env,
            code="import app, json; print(json.dumps(app.handler("
            "{'rawPath': '/health', 'requestContext': {'http': {'method': "
            "'GET'}}},"
            " None)))",
        )
        assert result.returncode == 0, result.stderr
        response = json.loads(result.stdout)
    else:
        harness = JavaHarness(classpath(), env)
        response = harness.invoke(
            {"rawPath": "/health", "requestContext": {"http": {"method": "GET"}}}
        )
        harness.close()
    assert json.loads(response["body"])["max_instances"] == 7


def test_python_default_artifact_is_beside_app(tmp_path: Path) -> None:
    for source in PYTHON_RUNTIME.glob("*.py"):
        shutil.copy(source, tmp_path / source.name)
    (tmp_path / "model.zip").write_bytes(artifact_bytes(fixture_model()))
    result = python_init({}, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    (tmp_path / "model.zip").unlink()
    result = python_init({}, cwd=tmp_path)
    assert f"not found at {tmp_path / 'model.zip'}" in result.stderr


@pytest.mark.java
def test_java_default_artifact_is_in_the_task_root_else_the_working_directory(
    tmp_path: Path, classpath: Callable[[], str]
) -> None:
    root = tmp_path / "task"
    root.mkdir()
    (root / "model.zip").write_bytes(artifact_bytes(fixture_model()))
    harness = JavaHarness(classpath(), {"LAMBDA_TASK_ROOT": str(root), "MODEL_PATH": ""})
    harness.close()
    assert harness.ready["ready"] is True
    message = init_error("java", {"LAMBDA_TASK_ROOT": str(tmp_path), "MODEL_PATH": ""}, classpath)
    assert f"not found at {tmp_path / 'model.zip'}" in message
    # Without LAMBDA_TASK_ROOT: the working directory (the harness runs in the test's).
    message = init_error("java", {"LAMBDA_TASK_ROOT": "", "MODEL_PATH": ""}, classpath)
    assert f"not found at {Path.cwd() / 'model.zip'}" in message


def test_python_modules_do_not_shadow_the_standard_library() -> None:
    # The archive's root is on sys.path ahead of the standard library in Lambda.
    for name in PYTHON_MODULES:
        assert name not in sys.stdlib_module_names and name not in sys.builtin_module_names, name


#: The model runtimes' own modules and the only third-party packages each may import.
FRAMEWORK_MODULES = {
    "_litert": {"ai_edge_litert", "numpy"},
    "_tensorflow": {"keras", "numpy", "tensorflow"},
    "_onnx": {"numpy", "onnxruntime"},
}


def test_python_function_imports_only_the_standard_library() -> None:
    for path in PYTHON_RUNTIME.glob("*.py"):
        allowed = FRAMEWORK_MODULES.get(path.stem, set())
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                top = name.split(".")[0]
                assert top in sys.stdlib_module_names or top in PYTHON_MODULES or top in allowed, (
                    path.name,
                    name,
                )


def test_python_init_loads_only_what_it_needs(tmp_path: Path) -> None:
    path = tmp_path / "model.zip"
    path.write_bytes(artifact_bytes(fixture_model()))
    result = python_init(
        {"MODEL_PATH": str(path)},
        code=(
            "before = set(sys.modules); import app, json; "
            "print(json.dumps(sorted(set(sys.modules) - before)))"
        ),
    )
    assert result.returncode == 0, result.stderr
    loaded = set(json.loads(result.stdout))
    # zipfile, typing and the HTTP stack (the s3 strategy only) each cost init time; the
    # framework runtimes' modules and their packages are for MODEL_RUNTIME=litert|tensorflow|onnx.
    assert not loaded & {
        "zipfile",
        "typing",
        "urllib.request",
        "http.client",
        "ssl",
        "_s3",
        "_framework",
        "numpy",
        *FRAMEWORK_MODULES,
        *set().union(*FRAMEWORK_MODULES.values()),
    }, loaded


@pytest.mark.slow
def test_python_import_and_model_load_stay_under_a_second(tmp_path: Path) -> None:
    # A budget with a wide margin (measured: a few ms); guards against an order-of-magnitude
    # regression such as importing numpy or zipfile at init.
    biggest = max(vector_files(), key=lambda p: p.stat().st_size, default=None)
    model = load_json(biggest)["model"] if biggest else fixture_model()
    path = tmp_path / "model.zip"
    path.write_bytes(artifact_bytes(model))
    result = python_init(
        {"MODEL_PATH": str(path)},
        code=(
            "import time; t = time.perf_counter(); import app; "
            "print(time.perf_counter() - t, app._STATE.init_ms)"
        ),
    )
    assert result.returncode == 0, result.stderr
    elapsed_s, init_ms = map(float, result.stdout.split())
    assert elapsed_s < 1.0
    assert 0 < init_ms < 1000.0
