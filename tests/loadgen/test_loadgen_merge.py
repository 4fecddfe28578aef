"""merge: runs from several machines become one result folder, losslessly."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import anyio
import pytest
from loadgen_server import TestServer

from loadgen import Plan, ResultsError, RunSettings, Stage, merge_results, target_from_url
from loadgen._hist import LatencyHistogram, read_interval_log
from loadgen._runner import run_async

HEALTH = {"features": ["duration", "src_bytes"]}


def two_runs(tmp_path: Path) -> list[Path]:
    async def main() -> list[Path]:
        async with TestServer(lambda n: "status:503" if n % 40 == 3 else "ok") as server:
            plan = Plan(stages=(Stage(users=2, hold_s=1.2),))
            target = target_from_url(server.url, name="t")
            results = []
            for run_id in ("a", "b"):
                result = await run_async(plan, target=target, health=HEALTH,
                                         settings=RunSettings(results_dir=tmp_path, run_id=run_id))
                results.append(result.folder)
            return results

    return anyio.run(main)


def test_merge_is_lossless(tmp_path: Path) -> None:
    folders = two_runs(tmp_path)
    out = tmp_path / "merged"
    summary = merge_results(folders, out)
    sources = [json.loads((f / "summary.json").read_text()) for f in folders]
    assert summary["requests"] == sum(s["requests"] for s in sources)
    assert summary["ok"] == sum(s["ok"] for s in sources)
    assert summary["errors"]["http_status"] == sum(s["errors"]["http_status"] for s in sources) > 0
    recs = [json.loads(line) for line in (out / "requests.jsonl").read_text().splitlines()]
    assert len(recs) == summary["requests"]
    assert {r["source"] for r in recs} == {0, 1}
    # The merged interval log holds exactly the merged successful latencies.
    from_records = LatencyHistogram()
    for rec in recs:
        if rec["error"] is None:
            from_records.record(rec["latency_us"])
    from_log = LatencyHistogram()
    for interval in read_interval_log(out / "latency.hlog"):
        if interval.tag is None:
            from_log.add_hdr(interval.hdr)
    assert from_log.count == from_records.count
    assert from_log.percentiles_us((50.0, 99.0, 100.0)) == from_records.percentiles_us((50.0, 99.0, 100.0))
    assert summary["latency_ms"]["p99"] == from_records.percentiles_us((99.0,))[99.0] / 1000
    with (out / "timeline.csv").open() as stream:
        rows = list(csv.DictReader(stream))
    assert sum(int(r["hits"]) for r in rows) == summary["requests"]
    run_info = json.loads((out / "run.json").read_text())
    assert len(run_info["merged_from"]) == 2


def test_merge_refuses_what_it_cannot_do(tmp_path: Path) -> None:
    with pytest.raises(ResultsError, match="at least two"):
        merge_results([tmp_path], tmp_path / "out")
    (tmp_path / "x").mkdir()
    (tmp_path / "y").mkdir()
    with pytest.raises(ResultsError, match="run.json is missing"):
        merge_results([tmp_path / "x", tmp_path / "y"], tmp_path / "out")


def test_merge_refuses_different_scenarios(tmp_path: Path) -> None:
    for name, scenario in (("x", "scenario1"), ("y", "scenario2")):
        (tmp_path / name).mkdir()
        info: dict[str, Any] = {"scenario": scenario, "start_epoch_s": 0}
        (tmp_path / name / "run.json").write_text(json.dumps(info))
        (tmp_path / name / "summary.json").write_text("{}")
    with pytest.raises(ResultsError, match="different scenarios"):
        merge_results([tmp_path / "x", tmp_path / "y"], tmp_path / "out")
