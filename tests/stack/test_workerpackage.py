"""The loadgen-worker stack's package: the load generator and its wheels, deterministic, within
Lambda's limits, and refused where a checkout or a stack cannot make one."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest

import stack._workerpackage
from stack import PackageError, build_package, load_stack
from stack._workerpackage import WORKER_SOURCES, build_worker_package

from ..support.paths import REPO
from ..support.stacks import WORKER_STACK, worker_root


def test_the_worker_zip_holds_the_load_generator_and_its_wheels(tmp_path: Path) -> None:
    root = worker_root(tmp_path)
    package = build_worker_package(load_stack(WORKER_STACK), root=root)
    with zipfile.ZipFile(package.code_zip) as archive:
        names = set(archive.namelist())
    # contract/ reads a team's request file, which a worker may be sent.
    assert {"loadgen/workers/_handler.py", "loadgen/plans/_staged_plan.py",
            "loadgen/data/payload.jsonl",
            "resultfiles/__init__.py", "contract/__init__.py",
            "contract/_requests.py"} <= names  # fmt: skip
    assert {"anyio/__init__.py", "httpx/__init__.py", "hdrh/histogram.py",
            "httptools/__init__.py", "yaml/__init__.py"} <= names  # fmt: skip
    tops = {name.split("/")[0] for name in names}
    assert not tops & {"stack", "emulator", "report", "model", "study", "runtime"}
    assert not [name for name in names if "__pycache__" in name or "/tests/" in name]
    assert package.handler == "loadgen.workers._handler.handler"
    assert package.size_bytes == package.code_zip.stat().st_size
    assert package.unzipped_bytes > package.size_bytes and not package.code_from_s3
    assert [line.split(">")[0].split("<")[0] for line in package.requirements] == [
        "anyio", "httpx", "hdrhistogram", "httptools", "PyYAML"]  # fmt: skip


def test_the_worker_zip_is_deterministic(tmp_path: Path) -> None:
    root = worker_root(tmp_path)
    settings = load_stack(WORKER_STACK)
    first = build_worker_package(settings, root=root, out_dir=tmp_path / "a")
    second = build_worker_package(settings, root=root, out_dir=tmp_path / "b")
    assert first.code_zip.read_bytes() == second.code_zip.read_bytes()
    assert first.code_sha256_b64 == second.code_sha256_b64
    other = build_worker_package(
        replace(settings, runtime="python3.13"), root=root, out_dir=tmp_path / "c"
    )
    assert "python3.13" in other.code_zip.name and other.dependencies != first.dependencies


def test_a_worker_over_lambdas_unzipped_limit_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = worker_root(tmp_path)
    monkeypatch.setattr(stack._workerpackage, "UNZIPPED_BYTES_MAX", 1000)
    with pytest.raises(PackageError, match="over Lambda's .* unzipped limit"):
        build_worker_package(load_stack(WORKER_STACK), root=root)


def test_the_model_packager_refuses_a_worker_stack(tmp_path: Path) -> None:
    with pytest.raises(PackageError, match="is a loadgen-worker stack.*build_worker_package"):
        build_package(load_stack(WORKER_STACK), root=worker_root(tmp_path))


def test_a_checkout_without_the_worker_handler_is_refused(tmp_path: Path) -> None:
    root = worker_root(tmp_path)
    (root / "loadgen" / "workers" / "_handler.py").unlink()
    with pytest.raises(PackageError, match=r"workers/_handler.py is missing"):
        build_worker_package(load_stack(WORKER_STACK), root=root)


def test_the_load_generator_imports_only_what_the_worker_ships() -> None:
    # Every module of loadgen, imported in a clean interpreter, then a team's request file read
    # as a worker sent one reads it: the project's packages it loads must be in the zip, and
    # its third-party ones installed from the pins.
    probe = (
        "import importlib, json, pathlib, pkgutil, sys, tempfile\n"
        "import loadgen\n"
        "for m in pkgutil.walk_packages(loadgen.__path__, 'loadgen.'):\n"
        "    if m.name != 'loadgen.__main__': importlib.import_module(m.name)\n"
        "from loadgen.transport._requests import function_request_set\n"
        "path = pathlib.Path(tempfile.mkdtemp()) / 'requests.json'\n"
        'path.write_text(\'{"method": "GET", "path": "/"}\')\n'
        "function_request_set(path)\n"
        "print(json.dumps(sorted({n.split('.')[0] for n in sys.modules})))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], cwd=REPO, capture_output=True,
                            text=True, check=True)  # fmt: skip
    loaded = set(json.loads(result.stdout))
    project = {"loadgen", "resultfiles", "contract", "stack", "emulator", "report", "model",
               "study", "runtime"}  # fmt: skip
    assert loaded & project == set(WORKER_SOURCES)
    assert {"anyio", "httpx", "hdrh", "httptools"} <= loaded
