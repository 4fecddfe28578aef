"""A stack's FunctionSpec and the EmulatorOptions: every problem found and named at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from contract import DEFAULT_RUNTIMES
from emulator import EmulatorConfigError, EmulatorOptions, FunctionSpec


def test_spec_lists_every_problem(tmp_path: Path) -> None:
    with pytest.raises(EmulatorConfigError) as info:
        FunctionSpec(
            name="a b",
            language="go",
            memory_mb=64,
            timeout_s=0,
            handler="x",
            code_zip=tmp_path / "missing.zip",
            routes=("predict",),
        )
    message = str(info.value)
    for fragment in ("name", "language", "memory_mb", "timeout_s", "code archive", "route"):
        assert fragment in message


def test_default_runtimes_are_the_stacks_defaults(tmp_path: Path) -> None:
    code = tmp_path / "code.zip"
    code.write_bytes(b"")
    for language, handler in (("java", "a.B::c"), ("python", "app.handler")):
        spec = FunctionSpec(
            name="f", language=language, memory_mb=512, timeout_s=5, handler=handler, code_zip=code
        )
        assert spec.runtime == DEFAULT_RUNTIMES[language]


def test_options_are_validated() -> None:
    with pytest.raises(EmulatorConfigError, match="time scale"):
        EmulatorOptions(time_scale=0)
    with pytest.raises(EmulatorConfigError, match="idle policy"):
        EmulatorOptions(idle_policy="lru")


def test_init_cpu_and_model_runtime_are_checked(python_zip: Path) -> None:
    with pytest.raises(EmulatorConfigError, match="init CPU 'fast' must be one of burst, share"):
        EmulatorOptions(init_cpu="fast")
    with pytest.raises(EmulatorConfigError, match="model_runtime 'pytorch' must be one of"):
        FunctionSpec(
            name="f",
            language="python",
            memory_mb=512,
            timeout_s=3,
            handler="app.handler",
            code_zip=python_zip,
            model_runtime="pytorch",
        )
