"""runtime/java/build.py: deterministic classes, a clear message without a JDK 17+, the handler
signature the managed runtime looks for, and the package-size budgets of both functions."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import types
from pathlib import Path

import pytest

from stack._archive import zip_bytes

from ...support.paths import JAVA_RUNTIME, PYTHON_RUNTIME

BUILD_SCRIPT = JAVA_RUNTIME / "build.py"
PYTHON_BUDGET_BYTES = 64 * 1024
JAVA_BUDGET_BYTES = 128 * 1024


def zipped_size(files: dict[str, bytes]) -> int:
    """The size of these files zipped as the packager zips a function's archive."""
    return len(zip_bytes(files))


def classes_of(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*.class"))}


def run_build(out: Path, path_dirs: list[Path]) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "JAVA_HOME"}
    env["PATH"] = os.pathsep.join(str(p) for p in path_dirs)
    return subprocess.run(
        [sys.executable, str(BUILD_SCRIPT), "--out", str(out)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_python_package_within_budget() -> None:
    files = {p.name: p.read_bytes() for p in PYTHON_RUNTIME.glob("*.py")}
    assert "app.py" in files
    assert zipped_size(files) <= PYTHON_BUDGET_BYTES


@pytest.mark.java
def test_build_is_deterministic_and_within_budget(
    java_build: types.ModuleType, java_classpath: str, tmp_path: Path
) -> None:
    first = Path(java_classpath.split(os.pathsep)[0])
    second = java_build.build(tmp_path / "again")
    assert second == (tmp_path / "again").resolve()
    assert classes_of(first) == classes_of(second)
    assert "predictor/Handler.class" in classes_of(first)
    # The harness is compiled elsewhere, never into the function's classes; nor is the stub of
    # the runtime's Context interface (the managed runtime provides the real one).
    assert not any("Harness" in name for name in classes_of(first))
    assert not any(name.startswith("com/") for name in classes_of(first))
    assert zipped_size(classes_of(first)) <= JAVA_BUDGET_BYTES


@pytest.mark.java
def test_rebuild_leaves_no_stale_class(
    java_build: types.ModuleType, java_classpath: str, tmp_path: Path
) -> None:
    out = tmp_path / "classes"
    (out / "predictor").mkdir(parents=True)
    (out / "predictor" / "Removed.class").write_bytes(b"\xca\xfe\xba\xbe")
    java_build.build(out)
    assert not (out / "predictor" / "Removed.class").exists()
    (out / "notes.txt").write_text("mine")
    with pytest.raises(java_build.BuildError, match="holds files other than classes"):
        java_build.build(out)


@pytest.mark.java
def test_handler_has_the_signatures_the_managed_runtime_loads(java_classpath: str) -> None:
    javap = shutil.which("javap")
    if javap is None:
        pytest.skip("javap is not on PATH (a JRE-only image); javac was found elsewhere")
    classes = java_classpath.split(os.pathsep)[0]
    shown = subprocess.run(
        [javap, "-public", "-cp", classes, "predictor.Handler"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    assert "public predictor.Handler();" in shown
    assert (
        "public void handleRequest(java.io.InputStream, java.io.OutputStream) "
        "throws java.io.IOException;"
    ) in shown
    # AWS's runtime client takes a three-argument handler only if its last parameter is exactly
    # this interface; an Object-typed one is skipped (and the request id lost).
    assert (
        "public void handleRequest(java.io.InputStream, java.io.OutputStream, "
        "com.amazonaws.services.lambda.runtime.Context) throws java.io.IOException;"
    ) in shown
    assert "java.io.OutputStream, java.lang.Object)" not in shown
    version = subprocess.run(
        [javap, "-v", "-cp", classes, "predictor.Handler"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    assert "major version: 61" in version  # Java 17 class files: loads on java17 and later


@pytest.mark.java
def test_provided_stubs_build_apart_and_never_inside_out(
    java_classpath: str, tmp_path: Path
) -> None:
    result = subprocess.run(
        [sys.executable, str(BUILD_SCRIPT), "--out", str(tmp_path / "out"), "--tests"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert set(classes_of(tmp_path / "out-provided")) == {
        "com/amazonaws/services/lambda/runtime/Context.class"
    }
    assert not any(name.startswith("com/") for name in classes_of(tmp_path / "out"))
    assert not any(name.startswith("com/") for name in classes_of(tmp_path / "out-tests"))
    inside = subprocess.run(
        [
            sys.executable,
            str(BUILD_SCRIPT),
            "--out",
            str(tmp_path / "o2"),
            "--provided",
            str(tmp_path / "o2" / "stubs"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert inside.returncode == 1
    assert "must stay out of the function's classes" in inside.stderr
    assert not (tmp_path / "o2").exists()


def test_missing_javac_names_what_to_install(tmp_path: Path) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    result = run_build(tmp_path / "out", [empty])
    assert result.returncode == 2
    assert "no javac on PATH or in JAVA_HOME" in result.stderr
    assert "openjdk-17-jdk-headless" in result.stderr
    assert not (tmp_path / "out").exists()


def test_old_javac_is_refused_with_its_version(tmp_path: Path) -> None:
    fake = tmp_path / "bin"
    fake.mkdir()
    javac = fake / "javac"
    javac.write_text("#!/bin/sh\necho 'javac 11.0.22' >&2\n")
    javac.chmod(0o755)
    result = run_build(tmp_path / "out", [fake])
    assert result.returncode == 2
    assert "version 11" in result.stderr and "javac 17+" in result.stderr
