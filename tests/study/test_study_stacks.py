"""Which stacks the study hosts and runs each scenario on (the framework stacks too).

The processes are test doubles: the study's spawning is recorded, nothing is started.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import study.__main__ as study_main
from study import Study, StudySettings
from study._schedule import Schedule
from study._settings import FRAMEWORK_STACKS, STUDY_STACKS

from ..support.paths import REPO


def _settings_from(argv: list[str], monkeypatch: pytest.MonkeyPatch) -> StudySettings:
    seen: list[StudySettings] = []

    class Recorder:
        def __init__(self, settings: StudySettings) -> None:
            seen.append(settings)

        def run(self) -> int:
            return 0

    monkeypatch.setattr(study_main, "Study", Recorder)
    assert study_main.main(argv) == 0
    return seen[0]


def test_make_run_adds_every_framework_stack_to_scenario1_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = _settings_from([], monkeypatch)
    assert tuple(settings.stacks) == STUDY_STACKS
    assert settings.hosted == STUDY_STACKS + FRAMEWORK_STACKS
    # every runtime at two memory sizes, TensorFlow at 256 MB too
    assert {
        "python-litert-512",
        "python-litert-1024",
        "python-onnx-512",
        "python-onnx-1024",
        "python-tf-512",
        "python-tf-1024",
        "python-tf-256",
    } <= set(settings.hosted)
    assert settings.scenario2_stacks == STUDY_STACKS


def test_full_length_runs_scenario2_on_the_framework_stacks_too(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = _settings_from(["--time-scale", "1"], monkeypatch)
    assert settings.scenario2_stacks == STUDY_STACKS + FRAMEWORK_STACKS
    quick = _settings_from(["--framework-scenario2"], monkeypatch)
    assert quick.scenario2_stacks == STUDY_STACKS + FRAMEWORK_STACKS
    full = _settings_from(["--time-scale", "1", "--no-framework-scenario2"], monkeypatch)
    assert full.scenario2_stacks == STUDY_STACKS


def test_named_stacks_are_studied_alone_unless_framework_stacks_are_named(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    alone = _settings_from(["--stacks", "python-512"], monkeypatch)
    assert alone.hosted == ("python-512",)
    both = _settings_from(
        ["--stacks", "python-512", "--framework-stacks", "python-tf-256", "python-512"], monkeypatch
    )
    # a stack in both lists is hosted and run once, with both scenarios
    assert both.hosted == ("python-512", "python-tf-256")
    assert both.scenario2_stacks == ("python-512",)
    none = _settings_from(["--framework-stacks"], monkeypatch)
    assert none.hosted == STUDY_STACKS


def test_a_negative_stagger_is_refused(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as raised:
        _settings_from(["--framework-stagger", "-1"], monkeypatch)
    assert raised.value.code == 2
    assert "--framework-stagger must be >= 0" in capsys.readouterr().err


def test_the_worker_stack_is_not_a_stack_to_study(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as raised:
        _settings_from(["--stacks", "python-256", "loadgen-workers"], monkeypatch)
    assert raised.value.code == 2
    err = capsys.readouterr().err
    assert "loadgen-workers is the load generator's worker stack, not a stack to study" in err
    assert "--worker-stack loadgen-workers" in err


class _Child:
    """A finished process as subprocess.Popen shows it."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode = 0

    def poll(self) -> int | None:
        return None if self.pid == 4242 else 0

    def wait(self, timeout: float | None = None) -> int:
        return 0


def _recording_study(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **settings: Any
) -> tuple[Study, list[list[str]]]:
    study = Study(StudySettings(root=REPO, results=tmp_path / "results", run_id="s", **settings))
    spawned: list[list[str]] = []

    def spawn(argv: list[str], *, log: Path | None = None) -> _Child:
        spawned.append(argv)
        if "emulator" in argv:
            study.endpoints.parent.mkdir(parents=True, exist_ok=True)
            study.endpoints.write_text(json.dumps({"pid": 4242, "stacks": {}}))
            return _Child(4242)
        return _Child(1)

    monkeypatch.setattr(study, "_spawn", spawn)
    return study, spawned


def _option(argv: list[str], name: str) -> str | None:
    return argv[argv.index(name) + 1] if name in argv else None


def test_scenario1_hosts_and_staggers_the_framework_stacks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    study, spawned = _recording_study(
        tmp_path,
        monkeypatch,
        stacks=("python-512", "java-512"),
        framework_stacks=("python-litert-512", "python-tf-256"),
        time_scale=20.0,
        framework_stagger_s=15.0,
    )
    study.start_emulator()
    (emulator,) = spawned
    assert emulator[emulator.index("up") + 1 :][:4] == [
        "python-512",
        "java-512",
        "python-litert-512",
        "python-tf-256",
    ]
    spawned.clear()
    study.features = ["duration"]
    study.scenario1()
    runs = {_option(argv, "--stack"): argv for argv in spawned}
    assert list(runs) == ["python-512", "java-512", "python-litert-512", "python-tf-256"]
    assert all("scenario1" in argv for argv in spawned)
    # the first probe 5 s (real) after the generators start, 100 s of plan time at time scale
    # 20; the next study stack 2 s later, each framework stack 15 s after the stack before it,
    # with the plan's gaps unchanged
    assert _option(runs["python-512"], "--offsets") == "100,460,1060,1960,3760"
    assert _option(runs["java-512"], "--offsets") == "140,500,1100,2000,3800"
    assert _option(runs["python-litert-512"], "--offsets") == "440,800,1400,2300,4100"
    assert _option(runs["python-tf-256"], "--offsets") == "740,1100,1700,2600,4400"
    spawned.clear()
    study.scenario2()
    assert [_option(argv, "--stack") for argv in spawned] == ["python-512", "java-512"]
    assert all("scenario2" in argv for argv in spawned)


def test_the_studys_schedule_is_its_settings(tmp_path: Path) -> None:
    # make run: the six study stacks, then the seven framework stacks, at time scale 20
    make_run = Study(
        StudySettings(
            root=REPO,
            results=tmp_path,
            run_id="s",
            framework_stacks=(*FRAMEWORK_STACKS, "python-512"),
            offsets="0,1m",
            scenario2_stages="2:0:30s",
            study_stagger_s=3.0,
            framework_stagger_s=12.0,
        )
    )
    assert make_run.schedule == Schedule(
        study_stacks=STUDY_STACKS,
        framework_stacks=FRAMEWORK_STACKS,
        time_scale=20.0,
        offsets="0,1m",
        scenario2_stages="2:0:30s",
        study_stagger_s=3.0,
        framework_stagger_s=12.0,
    )


def test_the_keep_alive_the_schedule_assumes_is_the_emulators() -> None:
    import inspect

    from emulator import EmulatorOptions

    for method in (Schedule.cold_start_times_s, Schedule.cold_start_clashes):
        assumed = inspect.signature(method).parameters["keep_alive_s"].default
        assert assumed == EmulatorOptions().keep_alive_s, method.__name__


def test_offsets_that_are_not_durations_stop_the_study_before_it_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    study, spawned = _recording_study(
        tmp_path, monkeypatch, stacks=("python-512", "java-512"), offsets="0,soon"
    )
    monkeypatch.setattr("study._run.artifact_features", lambda _artifact: ["duration"])
    assert study.run() == 2
    assert spawned == []
    said = [line for line in capsys.readouterr().out.splitlines() if "error:" in line]
    assert len(said) == 1 and "--offsets 0,soon: not a duration: 'soon'" in said[0]


def test_scenario2_starts_once_every_scenario1_run_has_ended(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No init of scenario 1 (a framework stack's multi-second import) may overlap a stack's
    # scenario 2: the study waits for every scenario 1 run before the first scenario 2.
    study = Study(
        StudySettings(
            root=REPO,
            results=tmp_path / "results",
            run_id="s",
            stacks=("python-512",),
            framework_stacks=("python-tf-256",),
            time_scale=20.0,
        )
    )
    study.features = ["duration"]
    study.run_dir.mkdir(parents=True)
    running: list[_Late] = []

    def spawn(argv: list[str], *, log: Path | None = None) -> _Late:
        if "scenario2" in argv:
            assert all(child.poll() is not None for child in running), "scenario 1 still runs"
        child = _Late(polls_before_done=3 if "python-tf-256" in argv else 1)
        running.append(child)
        return child

    monkeypatch.setattr(study, "_spawn", spawn)
    monkeypatch.setattr("study._run.time.sleep", lambda _s: None)
    study.scenario1()
    study.scenario2()
    assert len(running) == 3


class _Late:
    """A process that finishes after being polled a few times."""

    def __init__(self, *, polls_before_done: int) -> None:
        self.pid = 1
        self.polls = polls_before_done
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.polls > 0:
            self.polls -= 1
            return None
        self.returncode = 0
        return 0
