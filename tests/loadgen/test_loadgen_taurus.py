"""Taurus YAML execution blocks become staged plans; what cannot be honoured is said."""

from __future__ import annotations

from pathlib import Path

import pytest

from loadgen import Plan, Stage, TaurusError, load_taurus


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "load.yml"
    path.write_text(text, encoding="utf-8")
    return path


def test_single_execution_with_every_supported_key(tmp_path: Path) -> None:
    plan, notes = load_taurus(write(tmp_path, """
execution:
- concurrency: 9
  ramp-up: 3m
  hold-for: 1m
  steps: 3
  iterations: 100
  throughput: 50
  scenario: predict
scenarios:
  predict:
    think-time: 500ms
    requests: [http://example.invalid/predict]
"""))
    assert plan == Plan(stages=(Stage(users=9, ramp_up_s=180, hold_s=60, steps=3),),
                        think_s=0.5, iterations=100, throughput_rps=50)
    assert any("throughput is a constant cap" in note for note in notes)


def test_two_executions_become_consecutive_stages_with_a_note(tmp_path: Path) -> None:
    plan, notes = load_taurus(write(tmp_path, """
execution:
- {concurrency: 9, ramp-up: 180, hold-for: 60}
- {concurrency: {local: 18, cloud: 100}, hold-for: 1m, executor: jmeter}
"""))
    assert plan.stages == (Stage(users=9, ramp_up_s=180, hold_s=60), Stage(users=18, ramp_up_s=0, hold_s=60))
    assert any("one after the other" in note for note in notes)
    assert any("executor" in note for note in notes)


def test_iterations_only_uses_taurus_default_and_a_bounded_hold(tmp_path: Path) -> None:
    plan, notes = load_taurus(write(tmp_path, "execution:\n  concurrency: 2\n"))
    assert plan.iterations == 1
    assert plan.stages[0].hold_s == 3600
    assert any("1 iteration per user" in note for note in notes)


def test_every_problem_is_listed(tmp_path: Path) -> None:
    with pytest.raises(TaurusError) as info:
        load_taurus(write(tmp_path, """
execution:
- {concurrency: -3, ramp-up: soon, hold-for: 1m, steps: 0, throughput: fast}
"""))
    text = str(info.value)
    for fragment in ("concurrency", "ramp-up", "steps", "throughput"):
        assert fragment in text
    assert len(info.value.problems) == 4


@pytest.mark.parametrize(("text", "fragment"), [
    ("scenarios: {}\n", "no top-level 'execution:'"),
    ("execution: [\n", "not valid YAML"),
    ("execution: []\n", "non-empty list"),
])
def test_unusable_files_are_explained(tmp_path: Path, text: str, fragment: str) -> None:
    with pytest.raises(TaurusError, match=fragment):
        load_taurus(write(tmp_path, text))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(TaurusError, match="cannot read Taurus file"):
        load_taurus(tmp_path / "absent.yml")
