"""Taurus files of every shape run the plan Taurus would run, or are refused in one line.

The files are written here from Taurus' documented execution keys (concurrency, ramp-up,
steps, hold-for, iterations, throughput, scenario, modules.local.sequential, several YAML
documents). Short plans run against the test server and users over time are read back from
timeline.csv.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import anyio
import pytest

from loadgen import RunSettings, Stage, StagedPlan, TaurusError, load_taurus, target_from_url
from loadgen.engine._runner import run_async

from ...support.loadgen_server import TestServer

HEALTH = {"features": ["duration", "src_bytes", "dst_bytes"], "model_version": "m1"}


def write(tmp_path: Path, text: str, name: str = "load.yml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def run_taurus(
    tmp_path: Path, text: str, *, time_scale: float = 1.0, limit_s: float = 60.0
) -> tuple[list[int], list[dict[str, Any]], int, list[str]]:
    """Users per second (timeline.csv), the records, the requests the server saw, the notes."""
    plan, notes = load_taurus(write(tmp_path, text))

    async def main() -> tuple[Any, int]:
        async with TestServer("ok") as server:
            with anyio.fail_after(limit_s):
                result = await run_async(
                    plan,
                    target=target_from_url(server.url, name="t"),
                    health=HEALTH,
                    settings=RunSettings(results_dir=tmp_path, run_id="r", time_scale=time_scale),
                )
            return result, server.seen

    result, seen = anyio.run(main)
    with (result.folder / "timeline.csv").open(encoding="ascii", newline="") as stream:
        users = [int(row["users"]) for row in csv.DictReader(stream)]
    recs = [
        json.loads(line) for line in (result.folder / "requests.jsonl").read_text().splitlines()
    ]
    return users, recs, seen, notes


# --- load profiles, run -------------------------------------------------------------------


@pytest.mark.parametrize("throughput", ["throughput: 25", ""])
def test_stepping_holds_every_user_to_the_end_with_or_without_a_throughput_cap(
    tmp_path: Path, throughput: str
) -> None:
    # 2m ramp in 5 steps and 1m hold, run 30x faster: steps every 0.8 s, the end at 6 s.
    users, recs, seen, _ = run_taurus(
        tmp_path,
        f"""
execution:
- concurrency: 50
  ramp-up: 2m
  steps: 5
  hold-for: 1m
  {throughput}
  scenario: {{think-time: 200ms}}
""",
        time_scale=30,
    )
    assert users[:6] == [20, 30, 40, 50, 50, 50]
    assert seen == len(recs) > 0
    if throughput:
        # Taurus' shaper steps the rate with the users: 5, 10, 15, 20, 25 requests/s for
        # 0.8 s each, then 25/s for 2 s: 60 + 50 = 110 requests (the cap binds: 50 users).
        assert 95 <= len(recs) <= 115


def test_sequential_executions_run_one_after_another_with_their_own_iterations(
    tmp_path: Path,
) -> None:
    users, recs, seen, notes = run_taurus(
        tmp_path,
        """
execution:
- {concurrency: 1, iterations: 1, scenario: a}
- {concurrency: 2, iterations: 1, scenario: a}
- {concurrency: 1, iterations: 2, scenario: a}
modules:
  local:
    sequential: true
scenarios:
  a: {requests: ['http://example.invalid/']}
""",
        limit_s=30,
    )
    # Taurus sends 1 + 2 + 2 requests, execution after execution, never two at once here.
    assert seen == len(recs) == 5
    assert [r["stage"] for r in sorted(recs, key=lambda r: r["start_s"])] == [0, 1, 1, 2, 2]
    assert max(users) <= 2
    assert not any("same time" in note for note in notes)


def test_executions_run_at_the_same_time_each_with_its_users(tmp_path: Path) -> None:
    users, recs, _, _ = run_taurus(
        tmp_path,
        """
execution:
- {concurrency: 2, hold-for: 3s, scenario: slow}
- {concurrency: 3, hold-for: 800ms, scenario: slow}
scenarios:
  slow: {think-time: 250ms}
""",
    )
    assert users[:3] == [5, 2, 2]
    assert {r["stage"] for r in recs} == {0, 1}
    assert {r["user"] for r in recs if r["stage"] == 1} == {2, 3, 4}


def test_iterations_only_execution_ends_when_its_users_are_done(tmp_path: Path) -> None:
    users, recs, seen, notes = run_taurus(
        tmp_path, "execution:\n  concurrency: 3\n  throughput: 5\n", limit_s=30
    )
    assert seen == len(recs) == 3  # Taurus' default: 1 iteration per user
    assert users[0] == 3
    assert any("throughput is ignored without ramp-up or hold-for" in note for note in notes)


# --- plans, read ---------------------------------------------------------------------------


def test_single_execution_with_every_supported_key(tmp_path: Path) -> None:
    plan, notes = load_taurus(
        write(
            tmp_path,
            """
execution:
- concurrency: 9
  ramp-up: 3m
  hold-for: 1m
  steps: 3
  iterations: 100
  throughput: 30
  scenario: predict
scenarios:
  predict:
    think-time: 500ms
    requests: [http://example.invalid/predict]
""",
        )
    )
    assert plan == StagedPlan(
        stages=(Stage(users=9, ramp_up_s=180, hold_s=60, steps=3, throughput_rps=30),),
        think_s=0.5,
        iterations=100,
    )
    # The rate steps with the users (10, 20, 30 per second), then is held.
    assert [plan.throughput_at(t) for t in (0, 59, 60, 130, 180, 239)] == [10, 10, 20, 30, 30, 30]
    assert [plan.users_at(t) for t in (0, 60, 120, 239, 240)] == [3, 6, 9, 9, 0]
    assert notes == [
        ("the scenarios' requests are not sent: every request is POST /predict with the payload")
    ]


def test_throughput_ramps_linearly_with_ramp_up_as_taurus_shapes_it(tmp_path: Path) -> None:
    plan, _ = load_taurus(
        write(
            tmp_path,
            "execution: {concurrency: 4, ramp-up: 100s, hold-for: 100s, throughput: 101}\n",
        )
    )
    # From min(max(101 / 200 s, 0.001), 1) = 0.505/s up to 101/s over the ramp, then held.
    assert plan.throughput_at(0) == pytest.approx(0.505)
    assert plan.throughput_at(50) == pytest.approx(0.505 + (101 - 0.505) / 2)
    assert plan.throughput_at(150) == 101


def test_several_yaml_documents_merge_as_taurus_merges_them(tmp_path: Path) -> None:
    plan, _ = load_taurus(
        write(
            tmp_path,
            """
execution:
- {concurrency: 2, hold-for: 10s, scenario: s}
scenarios:
  s: {think-time: 1s}
---
execution:
- {concurrency: 3, ramp-up: 3s, hold-for: 2s, scenario: s}
scenarios:
  s: {think-time: 2s}
---
""",
        )
    )
    # Lists append, mappings merge (the later think-time wins), executions run together.
    assert plan.layout == "concurrent"
    assert [plan.users_at(t) for t in (0, 1, 2, 4.9, 5, 9.9, 10)] == [3, 4, 5, 5, 2, 2, 0]
    assert [p.think_s for p in plan.executions()] == [2.0, 2.0]


def test_a_tilde_key_replaces_and_included_configs_are_merged_after(tmp_path: Path) -> None:
    write(tmp_path, "modules: {local: {sequential: true}}\n", name="seq.yml")
    plan, _ = load_taurus(
        write(
            tmp_path,
            """
execution:
- {concurrency: 9, hold-for: 1m}
---
~execution:
- {concurrency: 2, hold-for: 2s}
- {concurrency: 4, hold-for: 3s}
included-configs: [seq.yml]
""",
        )
    )
    assert plan.layout == "sequential"
    assert [s.users for s in plan.stages] == [2, 4]
    assert [plan.users_at(t) for t in (0, 1.9, 2, 4.9, 5)] == [2, 2, 4, 4, 0]


def test_a_script_with_the_load_given_runs_that_load_and_says_the_script_is_not_run(
    tmp_path: Path,
) -> None:
    plan, notes = load_taurus(
        write(
            tmp_path,
            """
execution:
- {concurrency: 4, hold-for: 30s, scenario: jmx}
scenarios:
  jmx: {script: plan.jmx, properties: {threads: 99}}
""",
        )
    )
    assert plan.stages == (Stage(users=4, hold_s=30),)
    assert any("the script plan.jmx is not run" in note for note in notes)


# --- refusals: one line each ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        (
            "execution:\n- scenario: {script: plan.jmx, properties: {threads: 10}}\n",
            "the load would come from the script plan.jmx",
        ),
        ("execution:\n- {scenario: plan.jmx, hold-for: 1m}\n", "give concurrency in the execution"),
        (
            "execution:\n- {concurrency: 2, hold-for: 1m, scenario: elsewhere}\n",
            "'elsewhere' is not under 'scenarios:'",
        ),
        ("execution: [\n", "is not valid YAML: "),
        ("execution:\n- {concurrency: 1}\n---\n- just a list\n", "YAML document 2 is a list"),
        ("scenarios: {}\n", "no top-level 'execution:'"),
        ("execution: []\n", "non-empty list"),
        (
            "included-configs: [missing.yml]\nexecution: {concurrency: 1}\n",
            "cannot read Taurus file",
        ),
    ],
)
def test_what_cannot_be_honoured_is_refused_in_one_line(
    tmp_path: Path, text: str, fragment: str
) -> None:
    with pytest.raises(TaurusError) as info:
        load_taurus(write(tmp_path, text))
    message = str(info.value)
    assert fragment in message
    assert "\n" not in message and not message.endswith(": ")


def test_every_problem_is_listed(tmp_path: Path) -> None:
    with pytest.raises(TaurusError) as info:
        load_taurus(
            write(
                tmp_path,
                """
execution:
- {concurrency: -3, ramp-up: soon, hold-for: 1m, steps: 0, throughput: fast}
""",
            )
        )
    text = str(info.value)
    for fragment in ("concurrency", "ramp-up", "steps", "throughput"):
        assert fragment in text
    assert len(info.value.problems) == 4


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(TaurusError, match="cannot read Taurus file"):
        load_taurus(tmp_path / "absent.yml")
