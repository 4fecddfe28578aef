"""Where stack finds the stack files and the functions' sources, from a checkout and installed."""

from __future__ import annotations

from pathlib import Path

import pytest

import stack._paths
from stack import SettingsError, load_stack, project_root, runtime_root

from ..support.paths import REPO


def test_a_checkout_uses_its_own_files() -> None:
    assert project_root() == REPO
    assert runtime_root() == REPO / "runtime"


def test_installed_the_project_is_the_nearest_pulumi_yaml(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stack._paths, "CHECKOUT", None)
    (tmp_path / "Pulumi.yaml").write_text("name: lambda-model-study\nruntime: python\n")
    (tmp_path / "Pulumi.python-512.yaml").write_text(
        "config:\n  lambda-model-study:language: python\n  lambda-model-study:memory_mb: 512\n"
    )
    (tmp_path / "deeper").mkdir()
    monkeypatch.chdir(tmp_path / "deeper")
    assert project_root() == tmp_path
    assert load_stack("python-512").memory_mb == 512
    # The functions' sources come with the package, not from the user's project.
    assert runtime_root() == Path(stack._paths.__file__).resolve().parent / "_runtime"
    assert runtime_root(REPO) == REPO / "runtime"


def test_installed_outside_a_project_says_where_to_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stack._paths, "CHECKOUT", None)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SettingsError, match="is not a Pulumi project") as raised:
        load_stack("python-512")
    assert "run from the directory of your Pulumi.yaml" in str(raised.value)


def test_a_checkout_serves_another_project_with_its_own_runtime(tmp_path: Path) -> None:
    # `python -m emulator up --root DIR` from a checkout or an editable install, DIR holding
    # only Pulumi.yaml and stack files: the functions' sources are the checkout's (an
    # editable install has no stack/_runtime to fall back on).
    (tmp_path / "Pulumi.yaml").write_text("name: lambda-model-study\nruntime: python\n")
    found = runtime_root(tmp_path)
    assert found == REPO / "runtime"
    assert (found / "python" / "app.py").is_file()
