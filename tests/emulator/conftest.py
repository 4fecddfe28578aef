from __future__ import annotations

import shutil
import subprocess
import zipfile
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from emulator import Emulator, EmulatorOptions, FunctionSpec, read_events
from report._reportline import read_report_lines

from ..support.paths import REPO

FUNCTIONS = Path(__file__).parent / "functions"
EMULATOR_JAVA = REPO / "emulator" / "java"


@pytest.fixture(scope="session")
def python_zip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("python-fn") / "code.zip"
    with zipfile.ZipFile(out, "w") as archive:
        archive.write(FUNCTIONS / "python" / "app.py", "app.py")
    return out


@pytest.fixture(scope="session")
def java_zip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    javac = shutil.which("javac")
    if javac is None or shutil.which("java") is None:
        pytest.skip("no JDK (javac/java) on this machine: install openjdk-17-jdk-headless")
    classes = tmp_path_factory.mktemp("java-classes")
    sources = sorted(str(p) for p in (FUNCTIONS / "java" / "testfn").glob("*.java"))
    # testfn.Ranked compiles against the emulator's copy of the runtime's Context interface, read
    # from the source path only (-implicit:none): like on AWS, the archive does not carry it.
    subprocess.run(
        [
            javac,
            "--release",
            "17",
            "-implicit:none",
            "-sourcepath",
            str(EMULATOR_JAVA),
            "-d",
            str(classes),
            *sources,
        ],
        check=True,
    )
    out = tmp_path_factory.mktemp("java-fn") / "code.zip"
    with zipfile.ZipFile(out, "w") as archive:
        for path in sorted(classes.rglob("*.class")):
            archive.write(path, path.relative_to(classes).as_posix())
    return out


@pytest.fixture
def make_spec(python_zip: Path) -> Callable[..., FunctionSpec]:
    def make(**overrides: Any) -> FunctionSpec:
        fields: dict[str, Any] = {
            "name": "fn",
            "language": "python",
            "memory_mb": 512,
            "timeout_s": 5.0,
            "handler": "app.handler",
            "code_zip": python_zip,
            "routes": None,
        }
        fields.update(overrides)
        return FunctionSpec(**fields)

    return make


class Running:
    """A started emulator plus the readers tests use on its logs."""

    def __init__(self, emu: Emulator) -> None:
        self.emu = emu

    def url(self, stack: str = "fn") -> str:
        return self.emu.urls[stack]

    def events(self, stack: str = "fn", kind: str | None = None) -> list[dict[str, Any]]:
        records = read_events(self.emu.options.log_dir / f"{stack}.events.jsonl")
        return [r for r in records if kind is None or r["event"] == kind]

    def log_text(self, stack: str = "fn") -> str:
        return (self.emu.options.log_dir / f"{stack}.log").read_text()

    def reports(self, stack: str = "fn") -> list[Any]:
        return list(read_report_lines(self.log_text(stack).splitlines()))


@pytest.fixture(scope="session")
def python_env_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The instances' Python folders, built once for the session (as build/ keeps them)."""
    return tmp_path_factory.mktemp("python-runtime")


@pytest.fixture
def emulator_at(tmp_path: Path, python_env_dir: Path) -> Callable[..., Any]:
    @asynccontextmanager
    async def start(specs: list[FunctionSpec], **options: Any) -> AsyncIterator[Running]:
        options.setdefault("python_env_dir", python_env_dir)
        opts = EmulatorOptions(work_dir=tmp_path / "work", log_dir=tmp_path / "logs", **options)
        async with Emulator(specs, opts) as emu:
            yield Running(emu)

    return start


__all__ = ["Running", "replace"]
