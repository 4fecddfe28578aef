"""The Python instances' runtime folder: built once, and what to install when it cannot be."""

from __future__ import annotations

from pathlib import Path

import pytest

from emulator import EmulatorConfigError


def test_a_runtime_folder_that_cannot_be_built_says_what_to_install(tmp_path: Path) -> None:
    from emulator.instance._pyruntime import _assemble, distributions_in, runtime_dir

    with pytest.raises(
        EmulatorConfigError, match=r"no-such-dist is not installed in .*pip install"
    ):
        _assemble(tmp_path / "x", ("no-such-dist",))
    folder = runtime_dir(tmp_path)
    held = distributions_in(folder)
    assert {"awslambdaric", "boto3", "botocore"} <= set(held) and "aiohttp" not in held
    assert (folder / "awslambdaric" / "__init__.py").is_file()
    assert runtime_dir(tmp_path) == folder  # kept: rebuilt only when a version changes
