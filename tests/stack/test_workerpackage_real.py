"""The real worker zip: pip installs the load generator's wheels for Lambda (CPython 3.12,
manylinux x86_64) once, the second build is offline and the same bytes, the zip is within
Lambda's limits, and, unpacked, a clean CPython 3.12 with nothing but the zip and the standard
library imports every module of the load generator from it."""

from __future__ import annotations

import json
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from contract import DIRECT_UPLOAD_BYTES_MAX, UNZIPPED_BYTES_MAX
from stack import load_stack
from stack._workerpackage import WorkerPackage, build_worker_package

from ..support.lambda_python import python312
from ..support.stacks import WORKER_STACK, worker_root

pytestmark = pytest.mark.slow

_IMPORT_ALL = (
    "import importlib, json, pkgutil, sys\n"
    "import loadgen\n"
    "for m in pkgutil.walk_packages(loadgen.__path__, 'loadgen.'):\n"
    "    if m.name != 'loadgen.__main__': importlib.import_module(m.name)\n"
    "import hdrh.histogram, httptools, yaml\n"
    "h = hdrh.histogram.HdrHistogram(1, 60_000_000, 3); h.record_value(1234)\n"
    "print(json.dumps({'files': sorted({m.__file__ or '' for m in list(sys.modules.values())"
    " if getattr(m, '__file__', None)}), 'p50': h.get_value_at_percentile(50)}))\n"
)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[WorkerPackage, WorkerPackage, Path]:
    base = tmp_path_factory.mktemp("worker-real")
    root = worker_root(base)
    shutil.rmtree(root / "build" / "deps")  # the stand-in wheels: this test installs real ones
    settings = load_stack(WORKER_STACK)
    first = build_worker_package(settings, root=root, out_dir=base / "first")
    second = build_worker_package(settings, root=root, out_dir=base / "second")
    return first, second, base


def test_the_real_worker_zip_is_deterministic_and_within_lambdas_limits(
    built: tuple[WorkerPackage, WorkerPackage, Path],
) -> None:
    first, second, _ = built
    assert first.code_zip.read_bytes() == second.code_zip.read_bytes()
    assert first.size_bytes < DIRECT_UPLOAD_BYTES_MAX and not first.code_from_s3
    assert first.unzipped_bytes < UNZIPPED_BYTES_MAX
    with zipfile.ZipFile(first.code_zip) as archive:
        names = archive.namelist()
    assert "pyhdrh.cpython-312-x86_64-linux-gnu.so" in names
    so = "cpython-312-x86_64-linux-gnu.so"
    assert [n for n in names if n.startswith("httptools/") and n.endswith(so)]
    print(f"\n{first.describe()}")


def test_a_clean_python312_imports_the_load_generator_from_the_zip(
    built: tuple[WorkerPackage, WorkerPackage, Path],
) -> None:
    python = python312()
    if python is None:
        pytest.skip("no CPython 3.12 on this machine to stand in for Lambda's python3.12")
    package, _, base = built
    task_root = base / "task"
    with zipfile.ZipFile(package.code_zip) as archive:
        archive.extractall(task_root)
    # -I: no user site, no environment, no current directory; -S: no site-packages at all.
    result = subprocess.run(
        [python, "-I", "-S", "-c", f"import sys; sys.path.insert(0, {str(task_root)!r})\n"
         + _IMPORT_ALL],
        cwd=task_root, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout)
    outside = [f for f in loaded["files"] if not f.startswith(str(task_root))
               and "/lib/python3.12/" not in f]  # fmt: skip
    assert outside == []
    assert 1230 <= loaded["p50"] <= 1240
