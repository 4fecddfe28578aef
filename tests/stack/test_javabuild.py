"""The Java function's classes (stack/_javabuild.py): built once per source tree by
runtime/java/build.py, taken loose or from a jar, with clear failures.

The build scripts here are stand-ins (``fake_root``): they write what javac would.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from stack import PackageError, StackError
from stack._archive import zip_bytes
from stack._javabuild import java_class_files


def test_classes_are_built_once_per_source_tree(fake_root: Path, tmp_path: Path) -> None:
    runtime = fake_root / "runtime"
    files = java_class_files(runtime, tmp_path)
    assert sorted(files) == ["predictor/Handler.class", "predictor/json/Reader.class"]
    assert java_class_files(runtime, tmp_path) == files
    # Build outputs and hidden files beside the sources are not sources: no rebuild for them.
    (runtime / "java" / "target").mkdir()
    (runtime / "java" / "target" / "Old.class").write_bytes(b"\xca\xfe")
    (runtime / "java" / ".editor").write_text("x")
    java_class_files(runtime, tmp_path)
    assert (fake_root / "java-build-runs.txt").read_text() == "1"
    (runtime / "java" / "src" / "predictor" / "Handler.java").write_text("// changed\n")
    java_class_files(runtime, tmp_path)
    assert (fake_root / "java-build-runs.txt").read_text() == "2"


def test_classes_are_taken_from_a_jar_when_the_build_writes_only_a_jar(
    fake_root: Path, tmp_path: Path
) -> None:
    jar = zip_bytes(
        {"META-INF/MANIFEST.MF": b"Manifest-Version: 1.0\n", "predictor/Handler.class": b"\xca\xfe"}
    )
    (fake_root / "runtime" / "java" / "build.py").write_text(
        "import pathlib, sys\n"
        "out = pathlib.Path(sys.argv[sys.argv.index('--out') + 1])\n"
        f"(out / 'predictor.jar').write_bytes({jar!r})\n"
    )
    assert java_class_files(fake_root / "runtime", tmp_path) == {
        "predictor/Handler.class": b"\xca\xfe"
    }


def test_a_failed_java_build_says_what_to_run(fake_root: Path, tmp_path: Path) -> None:
    (fake_root / "runtime" / "java" / "build.py").write_text(
        "import sys\nprint('error: javac not found; install a JDK 17+', "
        "file=sys.stderr)\nsys.exit(3)\n"
    )
    with pytest.raises(PackageError) as raised:
        java_class_files(fake_root / "runtime", tmp_path)
    message = str(raised.value)
    assert "exit 3" in message and "javac not found" in message
    assert "python runtime/java/build.py --out" in message
    assert isinstance(raised.value, StackError)
    # Nothing half-built is left to be mistaken for a result.
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(("java-classes", ".java-build"))]


def test_a_java_build_without_the_handler_class_is_refused(fake_root: Path, tmp_path: Path) -> None:
    (fake_root / "runtime" / "java" / "build.py").write_text("print('built nothing')\n")
    with pytest.raises(PackageError, match="no predictor/Handler.class"):
        java_class_files(fake_root / "runtime", tmp_path)


def test_the_runtimes_own_classes_are_refused_in_the_function(
    fake_root: Path, tmp_path: Path
) -> None:
    (fake_root / "runtime" / "java" / "build.py").write_text(
        "import pathlib, sys\n"
        "out = pathlib.Path(sys.argv[sys.argv.index('--out') + 1])\n"
        "for name in ('predictor/Handler.class', 'com/amazonaws/services/lambda/runtime/"
        "Context.class'):\n"
        "    (out / name).parent.mkdir(parents=True, exist_ok=True)\n"
        "    (out / name).write_bytes(b'\\xca\\xfe')\n"
    )
    with pytest.raises(PackageError, match="the runtime's classes in the function"):
        java_class_files(fake_root / "runtime", tmp_path)


def test_a_missing_build_script_names_the_runtime_to_restore(tmp_path: Path) -> None:
    with pytest.raises(PackageError, match="restore runtime/java/"):
        java_class_files(tmp_path / "runtime", tmp_path)
