"""Build the Java function: ``javac --release 17`` of runtime/java/src into a class directory.

    python runtime/java/build.py --out DIR          # the function's classes, DIR/predictor/*.class
    python runtime/java/build.py --out DIR --tests  # also the test harness, into DIR-tests,
                                                    # and the provided stubs, into DIR-provided
    python runtime/java/build.py --out DIR --provided P  # the provided stubs into P

Importable too (standard library only): ``build(out_dir) -> Path``,
``build_provided(out_dir) -> Path``, ``build_test_harness(classes_dir, out_dir) -> Path`` and
``compile_sources(...)``. The output is deterministic: the same sources and javac give the same
class bytes (sources are sorted; class files carry no timestamps), so the packager's archive is
reproducible. A machine without a JDK 17+ gets :class:`JdkMissing` (exit status 2) with what to
install.

runtime/java/provided holds stubs of the interfaces the managed Java runtime supplies at run
time (today only ``com.amazonaws.services.lambda.runtime.Context``, reduced to what the function
calls). The function is compiled against them, but they never enter ``--out`` (the directory the
packager archives): javac reads them from its source path and, with ``-implicit:none``, writes
no class for them. Running the classes outside Lambda (the test harness, the package tests, the
benchmarks) needs them on the class path, as the runtime has the real ones: :func:`build_provided`
writes them to a directory of their own.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCES = HERE / "src"
TEST_SOURCES = HERE / "test"
# Stubs of what the managed runtime provides (see the module docstring); never packaged.
PROVIDED_SOURCES = HERE / "provided"
RELEASE = 17
# -XDstringConcat=inline: string + compiles to StringBuilder calls instead of invokedynamic,
# whose first use bootstraps method handles and adds tens of milliseconds to a cold start.
JAVAC_FLAGS = (
    "--release",
    str(RELEASE),
    "-encoding",
    "UTF-8",
    "-g:source,lines",
    "-XDstringConcat=inline",
    "-Xlint:all",
    "-Werror",
    "-proc:none",
    "-implicit:none",
)
INSTALL_HINT = (
    "install a JDK 17 or newer (Debian/Ubuntu: `sudo apt-get install "
    "openjdk-17-jdk-headless`; macOS: `brew install openjdk@17`) or point JAVA_HOME at "
    "one"
)
_TIMEOUT_S = 300


class BuildError(Exception):
    """The Java build failed; the message says why and what to do."""


class JdkMissing(BuildError):
    """No javac 17+ on this machine."""


def find_javac() -> str:
    """The path of a javac 17+: JAVA_HOME's, else the one on PATH; JdkMissing otherwise."""
    candidates = []
    java_home = os.environ.get("JAVA_HOME")
    if java_home:
        candidates.append(str(Path(java_home) / "bin" / "javac"))
    on_path = shutil.which("javac")
    if on_path:
        candidates.append(on_path)
    found = []
    for javac in candidates:
        if not os.access(javac, os.X_OK):
            continue
        major = _javac_major(javac)
        found.append(f"{javac} ({'version ' + str(major) if major else 'unknown version'})")
        if major is not None and major >= RELEASE:
            return javac
    seen = f" (found: {', '.join(found)})" if found else " (no javac on PATH or in JAVA_HOME)"
    raise JdkMissing(f"the Java function needs javac {RELEASE}+{seen}: {INSTALL_HINT}")


def _javac_major(javac: str) -> int | None:
    try:
        result = subprocess.run(
            [javac, "-version"], capture_output=True, text=True, timeout=60, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = re.search(r"javac (\d+)(?:\.(\d+))?", result.stdout + result.stderr)
    if not match:
        return None
    major = int(match.group(1))
    # javac 1.8 prints "javac 1.8.0_x".
    return int(match.group(2) or 0) if major == 1 else major


def compile_sources(
    sources_dir: Path,
    out_dir: Path,
    classpath: Path | Sequence[Path] | None = None,
    sourcepath: Path | None = None,
) -> Path:
    """Compile every .java under ``sources_dir`` into ``out_dir`` with the function's flags.

    ``classpath``: one directory or several, compiled against but not copied into ``out_dir``.
    ``sourcepath``: sources javac reads for their declarations only; with ``-implicit:none``
    (in the flags) none of them becomes a class file in ``out_dir``.
    Used for the function, its test harness and the benchmarks' hello world and launcher.
    """
    if classpath is None:
        classpath_dirs: list[Path] = []
    elif isinstance(classpath, (str, Path)):
        classpath_dirs = [Path(classpath)]
    else:
        classpath_dirs = [Path(p) for p in classpath]
    javac = find_javac()
    sources = sorted(str(p.relative_to(sources_dir)) for p in sources_dir.rglob("*.java"))
    if not sources:
        raise BuildError(f"no Java sources under {sources_dir}")
    out_dir = Path(out_dir).resolve()
    if out_dir.exists():
        stray = [p for p in out_dir.rglob("*") if p.is_file() and p.suffix != ".class"]
        if stray:
            raise BuildError(
                f"{out_dir} holds files other than classes ({stray[0]}); "
                "give --out an empty or class-only directory"
            )
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    # Compile into a fresh directory, then swap it in: no stale class survives a rebuild.
    scratch = Path(tempfile.mkdtemp(prefix=".javac-", dir=out_dir.parent))
    try:
        command = [javac, *JAVAC_FLAGS, "-d", str(scratch)]
        if classpath_dirs:
            command += ["-cp", os.pathsep.join(str(p.resolve()) for p in classpath_dirs)]
        if sourcepath is not None:
            command += ["-sourcepath", str(Path(sourcepath).resolve())]
        command += sources
        try:
            result = subprocess.run(
                command,
                cwd=sources_dir,
                capture_output=True,
                text=True,
                timeout=_TIMEOUT_S,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise BuildError(f"javac did not finish in {_TIMEOUT_S} s") from None
        if result.returncode != 0:
            raise BuildError(
                f"javac failed (exit {result.returncode}):\n"
                f"{(result.stderr or result.stdout).strip()}"
            )
        os.chmod(scratch, 0o755)  # mkdtemp makes it private; the classes are for everyone
        if out_dir.exists():
            shutil.rmtree(out_dir)
        os.replace(scratch, out_dir)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return out_dir


def build(out_dir: Path) -> Path:
    """Compile the function into ``out_dir`` (``predictor/*.class`` at its root); returns it.

    The provided stubs are on javac's source path only, with ``-implicit:none``: javac reads
    their declarations and writes no class for them, so ``out_dir`` holds the function's classes
    only, which is what the packager archives.
    """
    return compile_sources(SOURCES, Path(out_dir), sourcepath=PROVIDED_SOURCES)


def build_provided(out_dir: Path) -> Path:
    """Compile the stubs of runtime/java/provided into ``out_dir``, to put them on the class path
    when running the function outside Lambda (as the managed runtime has the real interfaces)."""
    return compile_sources(PROVIDED_SOURCES, Path(out_dir))


def build_test_harness(classes_dir: Path, out_dir: Path) -> Path:
    """Compile runtime/java/test (the harness) against ``classes_dir`` into ``out_dir``.

    Running it needs ``classes_dir``, ``out_dir`` and :func:`build_provided`'s directory on the
    class path.
    """
    return compile_sources(
        TEST_SOURCES, Path(out_dir), Path(classes_dir), sourcepath=PROVIDED_SOURCES
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", required=True, type=Path, help="directory for the class files")
    parser.add_argument(
        "--tests",
        action="store_true",
        help="also build the test harness into <out>-tests (and the provided "
        "stubs it runs with into <out>-provided, unless --provided is given)",
    )
    parser.add_argument(
        "--provided",
        type=Path,
        default=None,
        help="also compile the stubs of what the managed runtime provides into "
        "this directory (needed on the class path to run the classes "
        "outside Lambda; never package it)",
    )
    args = parser.parse_args(argv)
    provided_dir = args.provided
    if provided_dir is None and args.tests:
        provided_dir = Path(str(args.out) + "-provided")
    try:
        if provided_dir is not None and provided_dir.resolve().is_relative_to(args.out.resolve()):
            raise BuildError(
                f"--provided {provided_dir} is inside --out {args.out}: the stubs "
                "must stay out of the function's classes; pick another directory"
            )
        out = build(args.out)
        print(f"built {sum(1 for _ in out.rglob('*.class'))} classes into {out}")
        if provided_dir is not None:
            provided = build_provided(provided_dir)
            print(f"built the provided stubs into {provided} (class path only, never package)")
        if args.tests:
            tests = build_test_harness(out, Path(str(args.out) + "-tests"))
            print(f"built the test harness into {tests}")
    except JdkMissing as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except BuildError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
