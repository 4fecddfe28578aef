"""Installed, the study runs in a Pulumi project, and says so where there is none."""

from __future__ import annotations

from pathlib import Path

import pytest

import stack._paths
from study.__main__ import main


def test_outside_a_project_the_study_says_where_to_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(stack._paths, "CHECKOUT", None)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as raised:
        main(["--stacks", "python-512"])
    assert raised.value.code == 2
    error = capsys.readouterr().err
    assert f"{tmp_path} is not a Pulumi project" in error
    assert "Pulumi.<stack>.yaml" in error and "Traceback" not in error
