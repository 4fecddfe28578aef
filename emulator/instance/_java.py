"""The Java side: compiling our Runtime API bootstrap once, and the JVM command an instance runs."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

from .._errors import EmulatorBuildError

_SOURCES = Path(__file__).parents[1] / "java"
MAIN_CLASS = "lambdaemu.Bootstrap"
_JAVAC_FLAGS = ("--release", "17", "-XDstringConcat=inline")


def _source_files() -> list[Path]:
    return sorted(_SOURCES.rglob("*.java"))


def bootstrap_classes(work_dir: Path) -> Path:
    """The compiled bootstrap (``javac --release 17``), cached under ``work_dir`` by source hash.

    String concatenation is compiled inline: its invokedynamic bootstrap would otherwise cost
    tens of milliseconds on the first invocation of every instance.
    """
    sources = _source_files()
    digest = hashlib.sha256(" ".join(_JAVAC_FLAGS).encode())
    for source in sources:
        digest.update(source.relative_to(_SOURCES).as_posix().encode())
        digest.update(source.read_bytes())
    out = work_dir / "java-bootstrap" / digest.hexdigest()[:16]
    marker = out / ".complete"
    if marker.exists():
        return out
    javac = shutil.which("javac")
    if javac is None:
        raise EmulatorBuildError(
            "javac not found: the Java stacks need a JDK 17 or newer "
            "(Debian/Ubuntu: sudo apt-get install openjdk-17-jdk-headless)"
        )
    out.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        [javac, *_JAVAC_FLAGS, "-d", str(out), *map(str, sources)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise EmulatorBuildError(f"compiling the Java bootstrap failed:\n{result.stderr.strip()}")
    marker.write_text("ok\n")
    return out


def java_command(*, java: str, memory_mb: int, bootstrap_dir: Path, task_root: Path) -> list[str]:
    """The JVM command line, sized and tuned like Lambda's managed java17/java21 runtimes.

    ``-XX:MaxRAM`` makes the JVM size itself for the memory setting; the serial GC is the
    runtimes' default GC, and tiered compilation stopping at C1 (level 1) is their default
    since Java 17 ("Customize Java runtime startup behavior", AWS Lambda guide). Class data
    sharing is used where the JDK ships an archive.

    The bootstrap's classes come first on the class path: they include our copy of the
    runtime's ``com.amazonaws.services.lambda.runtime.Context`` interface, which a handler's
    three-argument overload resolves there (as on AWS, where the runtime's class loader supplies
    it), never from the function's archive.
    """
    classpath = ":".join([str(bootstrap_dir), str(task_root), f"{task_root}/lib/*"])
    return [
        java,
        f"-XX:MaxRAM={memory_mb}m",
        "-XX:+UseSerialGC",
        "-Xshare:auto",
        "-XX:+TieredCompilation",
        "-XX:TieredStopAtLevel=1",
        "-cp",
        classpath,
        MAIN_CLASS,
    ]


def find_java() -> str:
    java = shutil.which("java")
    if java is None:
        raise EmulatorBuildError(
            "java not found: the Java stacks need a JDK 17 or newer "
            "(Debian/Ubuntu: sudo apt-get install openjdk-17-jdk-headless)"
        )
    return java
