"""The side-by-side table's "strategy" column for a team's function: its package kind, not the
model strategy a function stack does not have."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from report._figures import stack_figures
from report._markdown import write_report
from report._reading import collect


def _run(root: Path, stack: str, settings: dict[str, Any]) -> None:
    folder = root / stack / "scenario2"
    folder.mkdir(parents=True)
    (folder / "run.json").write_text(
        json.dumps(
            {
                "run_id": "fn",
                "scenario": "scenario2",
                "time_scale": 20.0,
                "batch": 1,
                "target": {"name": stack, "source": "emulator", "settings": settings},
            }
        )
    )
    records = [
        {
            "seq": i,
            "user": 0,
            "stage": 0,
            "start_s": float(i),
            "latency_us": 20_000,
            "status": 200,
            "error": None,
        }
        for i in range(2)
    ]
    (folder / "requests.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    (folder / "timeline.csv").write_text(
        "second,hits,ok,errors,throttled,cold_starts,users,mean_ms,max_ms,p50_ms,p99_ms\n"
        "0,2,2,0,0,0,1,,,,\n"
    )
    (folder / "summary.json").write_text(
        json.dumps({"complete": True, "requests": 2, "ok": 2, "error_total": 0, "notes": []})
    )


BASE = {
    "language": "python",
    "memory_mb": 512,
    "architecture": "x86_64",
    "model_strategy": "bundled",
    "cold_start_mitigation": "none",
}
STACKS = {
    "python-512": ({**BASE, "kind": "model"}, "bundled"),
    "python-512-s3": ({**BASE, "kind": "model", "model_strategy": "s3"}, "s3"),
    # A function stack's settings still carry the default model_strategy (bundled).
    "sklearn-at-512": ({**BASE, "kind": "function", "image": ""}, "function, zip"),
    "tf-fn-at-512": ({**BASE, "kind": "function", "image": "fn/Dockerfile"}, "function, image"),
}


@pytest.mark.parametrize("stack", STACKS)
def test_the_strategy_column_says_what_the_stack_deploys(tmp_path: Path, stack: str) -> None:
    settings, expected = STACKS[stack]
    _run(tmp_path, stack, settings)
    assert stack_figures(stack, collect([tmp_path]), {}).strategy == expected


def test_the_report_table_shows_a_function_as_a_function(tmp_path: Path) -> None:
    run = tmp_path / "results" / "fn"
    for stack, (settings, _) in STACKS.items():
        _run(run, stack, settings)
    out = tmp_path / "report"
    write_report([run], out)
    lines = (out / "report.md").read_text().splitlines()
    head = next(
        i
        for i, line in enumerate(lines)
        if line.startswith("| stack | language | memory MB | arch | strategy |")
    )
    table = lines[head + 2 : lines.index("", head)]
    rows = {line.split("|")[1].strip(): line.split("|")[5].strip() for line in table}
    assert rows == {stack: expected for stack, (_, expected) in STACKS.items()}
