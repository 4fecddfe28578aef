"""Fixtures for the runtime tests (their helpers live in tests/support/runtimes.py)."""

from __future__ import annotations

import importlib.util
import os
import types
from collections.abc import Iterator
from pathlib import Path

import pytest

from ..support.paths import JAVA_RUNTIME
from ..support.runtimes import (
    Functions,
    fixture_model,
    import_python_runtime,
    load_json,
    vector_files,
    write_artifact,
)


def _java_build_module() -> types.ModuleType:
    spec = importlib.util.spec_from_file_location("runtime_java_build", JAVA_RUNTIME / "build.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def java_build() -> types.ModuleType:
    return _java_build_module()


@pytest.fixture(scope="session")
def java_classpath(tmp_path_factory: pytest.TempPathFactory, java_build: types.ModuleType) -> str:
    """The function, the harness and the provided stubs (the runtime's Context interface, on the
    class path as the managed runtime has the real one) compiled once per session, as a class
    path whose first entry is the function's classes; skips without a JDK 17+."""
    try:
        javac = java_build.find_javac()
    except java_build.JdkMissing as exc:
        pytest.skip(f"no JDK 17+: {exc}")
    assert javac
    root = tmp_path_factory.mktemp("java")
    classes = java_build.build(root / "classes")
    provided = java_build.build_provided(root / "provided")
    tests = java_build.build_test_harness(classes, root / "tests")
    return os.pathsep.join(str(p) for p in (classes, provided, tests))


@pytest.fixture(scope="session")
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Artifacts of the fixture models and of every test-vector model, by name."""
    root = tmp_path_factory.mktemp("artifacts")
    found = {
        "mixed": write_artifact(root / "mixed" / "model.zip", fixture_model("model_mixed.json")),
        "http_fixture": write_artifact(
            root / "http" / "model.zip", fixture_model("model_http.json")
        ),
    }
    for path in vector_files():
        found[f"vectors_{path.stem}"] = write_artifact(
            root / path.stem / "model.zip", load_json(path)["model"]
        )
    return found


@pytest.fixture(scope="session")
def python_app(artifacts: dict[str, Path]) -> types.ModuleType:
    return import_python_runtime(artifacts["mixed"])


@pytest.fixture(scope="session")
def functions(python_app: types.ModuleType, request: pytest.FixtureRequest) -> Iterator[Functions]:
    def classpath() -> str:
        return str(request.getfixturevalue("java_classpath"))

    pool = Functions(python_app, classpath)
    yield pool
    pool.close()
