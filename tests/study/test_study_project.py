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


def test_init_cpu_is_passed_to_the_emulator(monkeypatch: pytest.MonkeyPatch) -> None:
    import study.__main__ as study_main

    seen = []

    class Recorder:
        def __init__(self, settings: object) -> None:
            seen.append(settings)

        def run(self) -> int:
            return 0

    monkeypatch.setattr(study_main, "Study", Recorder)
    assert main(["--stacks", "python-512", "--init-cpu", "share"]) == 0
    # after the network path's options, which the study always passes
    assert list(seen[0].emulator_args)[-2:] == ["--init-cpu", "share"]  # type: ignore[attr-defined]
