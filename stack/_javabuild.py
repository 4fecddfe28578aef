"""The Java function's classes for a stack's archive: ``runtime/java/build.py`` run once per
source tree, in a subprocess (javac, jar), its classes kept under the tree's digest.

The build script and its JDK are the only tools; nothing of ``runtime/`` is imported.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from contract import HANDLERS
from stack._errors import PackageError

# The file Lambda loads the Java handler from (contract.HANDLERS): predictor/Handler.class.
_JAVA_HANDLER_CLASS = HANDLERS["java"].partition("::")[0].replace(".", "/") + ".class"
# Directories under runtime/java that are build outputs, caches or tests, not the function.
_JAVA_NON_SOURCE_DIRS = frozenset({"target", "build", "out", "test", "__pycache__"})
_JAVA_BUILD_TIMEOUT_S = 600


def java_class_files(runtime: Path, out_dir: Path) -> dict[str, bytes]:
    """The Java function's class files (archive name → bytes), built from ``runtime/java``
    once per source tree: the classes are kept in ``out_dir`` under the tree's digest."""
    source = runtime / "java"
    build_script = source / "build.py"
    if not build_script.is_file():
        raise PackageError(
            f"the Java function is missing: no {build_script}; restore runtime/java/ from the "
            "repository"
        )
    # javac takes seconds: reuse the classes of an identical source tree.
    cache = out_dir / f"java-classes-{_tree_digest(source)[:12]}"
    if not (cache / _JAVA_HANDLER_CLASS).is_file():
        _build_java_classes(runtime, build_script, out_dir, cache)
    return {
        path.relative_to(cache).as_posix(): path.read_bytes()
        for path in sorted(cache.rglob("*.class"))
    }


def _build_java_classes(runtime: Path, build_script: Path, out_dir: Path, cache: Path) -> None:
    with tempfile.TemporaryDirectory(prefix=".java-build-", dir=out_dir) as scratch:
        build_out = Path(scratch) / "out"
        build_out.mkdir()
        command = [sys.executable, str(build_script), "--out", str(build_out)]
        try:
            result = subprocess.run(
                command, cwd=runtime.parent, capture_output=True, text=True,
                timeout=_JAVA_BUILD_TIMEOUT_S, check=False,
            )  # fmt: skip
        except subprocess.TimeoutExpired:
            raise PackageError(
                f"the Java build did not finish in {_JAVA_BUILD_TIMEOUT_S} s: run "
                f"`python runtime/java/build.py --out build/java` to see why"
            ) from None
        if result.returncode != 0:
            detail = "\n".join((result.stderr or result.stdout).strip().splitlines()[-15:])
            raise PackageError(
                f"the Java build failed (exit {result.returncode}); it needs a JDK 17+ "
                f"(javac, jar). Run `python runtime/java/build.py --out build/java` to see the "
                f"whole output. Its last lines:\n{detail}"
            )
        classes = Path(scratch) / "classes"
        classes.mkdir()
        _collect_classes(build_out, classes)
        if not (classes / _JAVA_HANDLER_CLASS).is_file():
            raise PackageError(
                f"the Java build produced no {_JAVA_HANDLER_CLASS} (handler "
                f"{HANDLERS['java']}) in {build_out}; check runtime/java/build.py"
            )
        # The runtime's own classes (its Context interface) must come from the runtime: a copy
        # in the archive could shadow the real one. build.py only compiles against a stub.
        shipped = sorted(p.relative_to(classes).as_posix() for p in classes.rglob("*.class"))
        stray = [name for name in shipped if name.startswith("com/amazonaws/")]
        if stray:
            raise PackageError(
                f"the Java build put the runtime's classes in the function ({stray[0]}); "
                "runtime/java/provided must stay on javac's source path only (see build.py)"
            )
        try:
            os.replace(classes, cache)
        except OSError:
            # Another process built the same sources at the same time; its classes are ours.
            if not (cache / _JAVA_HANDLER_CLASS).is_file():
                shutil.rmtree(cache, ignore_errors=True)
                os.replace(classes, cache)


def _collect_classes(build_out: Path, classes: Path) -> None:
    """Copy the class files the build wrote (loose, or inside a jar) into ``classes``."""
    loose = sorted(build_out.rglob("*.class"))
    if loose:
        base = _class_root(loose)
        for path in loose:
            target = classes / path.relative_to(base)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(path.read_bytes())
        return
    for jar in sorted(build_out.rglob("*.jar")):
        with zipfile.ZipFile(jar) as archive:
            for name in archive.namelist():
                if name.endswith(".class"):
                    target = classes / name
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(archive.read(name))


def _class_root(class_files: list[Path]) -> Path:
    # The directory holding predictor/Handler.class is the class path root.
    for path in class_files:
        if path.as_posix().endswith("/" + _JAVA_HANDLER_CLASS):
            return path.parents[1]
    return class_files[0].parent


def _tree_digest(source: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(source.rglob("*")):
        relative = path.relative_to(source)
        if any(part in _JAVA_NON_SOURCE_DIRS or part.startswith(".") for part in relative.parts):
            continue
        if path.is_file():
            digest.update(relative.as_posix().encode() + b"\0")
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()
