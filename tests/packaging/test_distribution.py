"""The project installs as a distribution: its packages and the data they read at run time."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile

import pytest

from ..support.paths import REPO

# Every top-level package of the checkout (a folder with an __init__.py) except the tests and
# benchmarks: a package added without being declared in pyproject.toml fails here.
PACKAGES = tuple(
    sorted(
        p.parent.name for p in REPO.glob("*/__init__.py") if p.parent.name not in ("tests", "bench")
    )
)


@pytest.fixture(scope="module")
def wheel_names(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    # Built from a copy, so that setuptools' build/ and egg-info never land in the checkout.
    source = tmp_path_factory.mktemp("source")
    for name in (*PACKAGES, "runtime"):
        shutil.copytree(
            REPO / name,
            source / name,
            ignore=shutil.ignore_patterns("__pycache__", "target", "out"),
        )
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, source / name)
    out = tmp_path_factory.mktemp("wheel")
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(out), str(source)],
        capture_output=True, text=True, timeout=240, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    (wheel,) = out.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


@pytest.mark.slow
def test_every_package_and_module_is_in_the_wheel(wheel_names: set[str]) -> None:
    for package in PACKAGES:
        for module in (REPO / package).rglob("*.py"):
            relative = module.relative_to(REPO).as_posix()
            if "/data/" not in relative:
                assert relative in wheel_names


@pytest.mark.slow
def test_the_data_read_at_run_time_is_in_the_wheel(wheel_names: set[str]) -> None:
    assert "loadgen/data/payload.jsonl" in wheel_names
    assert "model/data/kddcup_sample.csv.gz" in wheel_names
    for java in (REPO / "emulator" / "java").rglob("*.java"):
        assert java.relative_to(REPO).as_posix() in wheel_names
    # What stack packages as files: the Python function and the Java sources and build script.
    runtime = REPO / "runtime"
    shipped = [
        *(runtime / "python").glob("*.py"),
        runtime / "java" / "build.py",
        *(runtime / "java" / "src").rglob("*.java"),
        *(runtime / "java" / "provided").rglob("*.java"),
    ]
    for path in shipped:
        assert f"stack/_runtime/{path.relative_to(runtime).as_posix()}" in wheel_names
