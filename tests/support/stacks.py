"""A test model artifact, stand-in runtime trees and framework wheels, and a project for the
loadgen-worker stack (the stack tests')."""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path
from typing import Any

# The artifact writer of model/ (the format's one producer; it does not import TensorFlow).
from model import model_version, write_artifact
from stack import StackSettings, load_stack
from stack._frameworks import DependencyTarget, dependency_dir, framework_requirements
from stack._workerpackage import WORKER_SOURCES, worker_requirements

from .paths import HTTP_VECTORS, REPO

__all__ = [
    "WORKER_STACK",
    "make_fake_root",
    "minimal_model",
    "seed_dependencies",
    "study_model",
    "worker_root",
    "write_artifact",
    "write_exports",
]


def minimal_model() -> dict[str, Any]:
    """A small schema-1 model.json written by hand (docs/model-artifact.md)."""
    model: dict[str, Any] = {
        "schema_version": 1,
        "subset": "http",
        "inputs": [
            {"name": "duration", "kind": "numeric", "log_offset": None, "mean": 0.5, "std": 2.0},
            {"name": "src_bytes", "kind": "numeric", "log_offset": 1.0, "mean": 5.0, "std": 1.5},
            {
                "name": "service",
                "kind": "categorical",
                "vocabulary": ["http", "smtp"],
                "unknown": "zeros",
                "mean": [0.5, 0.5],
                "std": [0.5, 0.5],
            },
        ],
        "columns": 4,
        "weights": [0.25, -0.5, 1.0, -1.0],
        "bias": -0.125,
        "threshold": 0.5,
        "metrics": {},
        "data": {},
        "training": {},
    }
    model["model_version"] = model_version(model)
    return model


def study_model() -> dict[str, Any]:
    """The model of the committed test vectors when present, else the hand-written one."""
    if HTTP_VECTORS.is_file():
        return dict(json.loads(HTTP_VECTORS.read_text(encoding="utf-8"))["model"])
    return minimal_model()


def make_fake_root(root: Path) -> Path:
    """A repository with stand-in runtimes: a flat Python handler and a Java build script
    that writes class-like files and counts its runs; the real pyproject.toml (its pins)."""
    python = root / "runtime" / "python"
    python.mkdir(parents=True)
    (root / "pyproject.toml").write_bytes((REPO / "pyproject.toml").read_bytes())
    (python / "app.py").write_text("import model\ndef handler(event, context):\n    return {}\n")
    (python / "model.py").write_text("WEIGHTS = []\n")
    (python / "tests").mkdir()
    (python / "tests" / "test_app.py").write_text("def test(): pass\n")
    (python / "README.md").write_text("not code\n")
    java = root / "runtime" / "java"
    (java / "src" / "predictor").mkdir(parents=True)
    (java / "src" / "predictor" / "Handler.java").write_text("package predictor;\n")
    (java / "build.py").write_text(
        textwrap.dedent(
            """
            import pathlib, sys
            out = pathlib.Path(sys.argv[sys.argv.index("--out") + 1])
            here = pathlib.Path(__file__).parent
            runs = here.parent.parent / "java-build-runs.txt"
            runs.write_text(str(int(runs.read_text()) + 1 if runs.exists() else 1))
            classes = out / "classes"
            for name in ("predictor/Handler.class", "predictor/json/Reader.class"):
                target = classes / name
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(b"\\xca\\xfe\\xba\\xbe" + name.encode())
            (out / "predictor.jar").write_bytes(b"not used when loose classes exist")
            """
        )
    )
    return root


def write_exports(artifact: Path) -> tuple[Path, Path]:
    """Stand-in framework exports beside ``artifact`` (the packager ships them as bytes)."""
    tflite = artifact.with_suffix(".tflite")
    keras = artifact.with_suffix(".keras")
    tflite.write_bytes(b"TFL3 stand-in export")
    keras.write_bytes(b"PK stand-in keras export")
    # The onnx export beside them (its path: artifact.with_suffix(".onnx")).
    artifact.with_suffix(".onnx").write_bytes(b"\x08\x07 stand-in onnx export")
    return tflite, keras


#: onnxruntime's binding, and what the onnx zip leaves out: its C API library and its offline
#: tools.
_ONNXRUNTIME_STAND_IN = {
    "onnxruntime/__init__.py": "STAND_IN = True\n",
    "onnxruntime/capi/onnxruntime_pybind11_state.cpython-312-x86_64-linux-gnu.so": "binding",
    "onnxruntime/capi/libonnxruntime.so.1.32.0": "C API",
    "onnxruntime/tools/convert.py": "",
    "onnxruntime/quantization/quantize.py": "",
    "onnxruntime/transformers/optimizer.py": "",
}


def seed_dependencies(root: Path, settings: StackSettings) -> Path:
    """A stand-in installed tree in ``<root>/build/deps`` where the packager looks for the
    framework's wheels for ``settings``, so that building needs neither pip nor the network.
    It holds a module, bytecode and a test suite (which the package must leave out)."""
    requirements = framework_requirements(settings.model_runtime, settings.architecture, root)
    target = DependencyTarget.for_lambda(settings.runtime, settings.architecture)
    tree = dependency_dir(requirements, target, root / "build" / "deps")
    for name, text in {
        "numpy/__init__.py": "STAND_IN = True\n",
        "numpy/__pycache__/__init__.cpython-312.pyc": "bytecode",
        "numpy/tests/test_numpy.py": "def test(): pass\n",
        "ai_edge_litert/interpreter.py": "class Interpreter: pass\n",
        "ai_edge_litert/libLiteRtWebGpuAccelerator.so": "gpu",
        "bin/numpy-config": "#!/bin/sh\n",
        **(_ONNXRUNTIME_STAND_IN if settings.model_runtime == "onnx" else {}),
    }.items():
        path = tree / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tree


WORKER_STACK = "loadgen-workers"
_STAND_IN_HANDLER = "def handler(event, context):\n    return {}\n"


def worker_root(base: Path) -> Path:
    """A project with the load generator's sources (and a worker handler) and a stand-in tree
    of its wheels in ``build/deps``, so that building needs neither pip nor the network."""
    root = base / "repo"
    root.mkdir()
    shutil.copy(REPO / "pyproject.toml", root / "pyproject.toml")
    for package in (*WORKER_SOURCES, "stack", "emulator"):
        shutil.copytree(REPO / package, root / package,
                        ignore=shutil.ignore_patterns("__pycache__"))  # fmt: skip
    handler = root / "loadgen" / "workers" / "_handler.py"
    if not handler.exists():
        handler.write_text(_STAND_IN_HANDLER)
    (root / "loadgen" / "__pycache__").mkdir(exist_ok=True)
    (root / "loadgen" / "__pycache__" / "_plan.cpython-312.pyc").write_bytes(b"bytecode")
    settings = load_stack(WORKER_STACK)
    for runtime in ("python3.12", "python3.13"):
        target = DependencyTarget.for_lambda(runtime, settings.architecture)
        tree = dependency_dir(worker_requirements(root), target, root / "build" / "deps")
        for name in (
            "anyio/__init__.py",
            "httpx/__init__.py",
            "hdrh/histogram.py",
            "httptools/__init__.py",
            "yaml/__init__.py",
            "anyio/tests/test_x.py",
        ):
            (tree / name).parent.mkdir(parents=True, exist_ok=True)
            (tree / name).write_text(f"STAND_IN = {runtime!r}\n")
    return root
