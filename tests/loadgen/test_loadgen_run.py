"""Whole runs against the test server: counts, percentiles, files, cancellation, scenarios."""

from __future__ import annotations

import csv
import json
import time
from pathlib import Path
from typing import Any

import anyio
import pytest

from loadgen import (
    IdlePlan,
    RatePlan,
    RateStep,
    RunSettings,
    Stage,
    StagedPlan,
    target_from_url,
)
from loadgen.engine._runner import run_async
from loadgen.files._hist import new_hdr, read_interval_log

from ..support.loadgen_server import TestServer

HEALTH = {"features": ["duration", "src_bytes", "dst_bytes"], "model_version": "m1"}


def records(folder: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (folder / "requests.jsonl").read_text().splitlines()]


def hdr_percentile(values: list[int], level: float) -> int:
    """The percentile HdrHistogram reports for these exact values (rank rounded half up)."""
    ordered = sorted(values)
    rank = max(int(level * len(ordered) / 100 + 0.5), 1)
    return int(new_hdr().get_highest_equivalent_value(ordered[rank - 1]))


async def run_plan(server: TestServer, tmp_path: Path, plan: Any, **settings: Any) -> Any:
    return await run_async(
        plan,
        target=target_from_url(server.url, name="t"),
        health=HEALTH,
        settings=RunSettings(results_dir=tmp_path, run_id="r", **settings),
    )


@pytest.mark.slow
def test_staged_run_counts_percentiles_and_files(tmp_path: Path) -> None:
    behaviour = lambda n: "delay:0.002" if n % 7 == 0 else ("status:500" if n % 50 == 1 else "ok")

    async def main() -> tuple[Any, int]:
        async with TestServer(behaviour) as server:
            plan = StagedPlan(
                stages=(Stage(users=3, ramp_up_s=1.5, hold_s=1.0), Stage(users=6, hold_s=1.0))
            )
            result = await run_plan(server, tmp_path, plan)
            return result, server.seen

    result, seen = anyio.run(main)
    summary = result.summary
    folder = result.folder
    recs = records(folder)
    # Every attempt is one record, and the server saw exactly these.
    assert summary["requests"] == len(recs) == seen
    assert sorted(r["seq"] for r in recs) == list(range(len(recs)))
    ok = [r["latency_us"] for r in recs if r["error"] is None]
    assert summary["ok"] == len(ok)
    assert (
        summary["errors"]["http_status"] == sum(1 for r in recs if r["error"] == "http_status") > 0
    )
    # Percentiles are those of the recorded latencies (to HdrHistogram's 3 digits).
    for level, key in ((50.0, "p50"), (90.0, "p90"), (99.0, "p99")):
        expected = hdr_percentile(ok, level)
        assert summary["latency_ms"][key] == expected / 1000
        exact = sorted(ok)[max(int(level * len(ok) / 100 + 0.5), 1) - 1]
        assert abs(expected - exact) <= exact * 0.001 + 1
    assert summary["latency_ms"]["max"] == max(ok) / 1000
    assert summary["latency_ms"]["mean"] == round(sum(ok) / len(ok) / 1000, 3)
    # Stages: requests started in each, users as planned.
    assert [s["requests"] for s in summary["stages"]] == [
        sum(1 for r in recs if r["stage"] == i) for i in (0, 1)
    ]
    assert {r["user"] for r in recs if r["stage"] == 1} == set(range(6))
    assert summary["cold_starts"]["count"] == 1  # the test server's one instance
    assert summary["complete"] is True and summary["interrupted"] is None
    # The timeline: one row per second, hits add up to the records, users as planned.
    with (folder / "timeline.csv").open() as stream:
        rows = list(csv.DictReader(stream))
    assert sum(int(r["hits"]) for r in rows) == len(recs)
    assert [int(r["second"]) for r in rows] == list(range(len(rows)))
    assert max(int(r["users"]) for r in rows) == 6
    assert int(rows[0]["users"]) == 2  # users start at 0, 0.5 and 1.0 s
    assert summary["hits_per_s"]["peak"] == max(int(r["hits"]) for r in rows)
    # The interval log holds every successful latency, one untagged interval per second.
    intervals = [i for i in read_interval_log(folder / "latency.hlog") if i.tag is None]
    assert len(intervals) == len(rows)
    assert sum(i.hdr.get_total_count() for i in intervals) == len(ok)
    errors = [i for i in read_interval_log(folder / "latency.hlog") if i.tag == "errors"]
    assert sum(i.hdr.get_total_count() for i in errors) == summary["error_total"]
    run_info = json.loads((folder / "run.json").read_text())
    assert run_info["scenario"] == "scenario2" and run_info["time_scale"] == 1.0
    assert run_info["features"] == HEALTH["features"]


def test_in_flight_requests_at_the_end_finish_and_are_recorded(tmp_path: Path) -> None:
    async def main() -> tuple[Any, int]:
        async with TestServer("delay:0.4") as server:
            result = await run_plan(
                server, tmp_path, StagedPlan(stages=(Stage(users=2, hold_s=0.5),))
            )
            return result, server.seen

    result, seen = anyio.run(main)
    recs = records(result.folder)
    assert result.summary["requests"] == len(recs) == seen == 4
    assert all(r["error"] is None for r in recs)
    assert (
        max(r["start_s"] for r in recs)
        < 0.5
        < max(r["start_s"] + r["latency_us"] / 1e6 for r in recs)
    )


def test_cancellation_leaves_every_recorded_request_and_a_valid_summary(tmp_path: Path) -> None:
    async def main() -> int:
        async with TestServer(lambda n: "delay:0.01" if n < 30 else "stall") as server:
            with anyio.move_on_after(1.5):
                await run_plan(
                    server, tmp_path, StagedPlan(stages=(Stage(users=3, hold_s=60),)), timeout_s=30
                )
            return server.seen

    seen = anyio.run(main)
    folder = tmp_path / "r" / "t" / "scenario2"
    summary = json.loads((folder / "summary.json").read_text())
    recs = records(folder)
    assert summary["complete"] is False
    assert "cancelled" in summary["interrupted"]
    assert summary["requests"] == len(recs) == seen == 33
    assert summary["errors"]["cancelled"] == 3  # the three stalled in flight
    assert summary["ok"] == 30
    assert (
        sum(
            i.hdr.get_total_count()
            for i in read_interval_log(folder / "latency.hlog")
            if i.tag is None
        )
        == 30
    )


def test_time_scale_and_think_time(tmp_path: Path) -> None:
    async def main() -> Any:
        async with TestServer("ok") as server:
            plan = StagedPlan(stages=(Stage(users=2, hold_s=10),), think_s=2.5)
            return await run_plan(server, tmp_path, plan, time_scale=10)

    result = anyio.run(main)
    recs = records(result.folder)
    # 1 s of run with 0.25 s think time: 4 requests per user.
    assert sorted(sum(1 for r in recs if r["user"] == u) for u in (0, 1)) == [4, 4]
    assert json.loads((result.folder / "run.json").read_text())["time_scale"] == 10


def test_rate_counts_late_and_dropped_and_measures_from_the_intended_start(tmp_path: Path) -> None:
    async def main() -> tuple[Any, int]:
        async with TestServer("delay:0.3") as server:
            plan = RatePlan(steps=(RateStep(rate_rps=40, duration_s=1.0),), max_in_flight=5)
            result = await run_plan(server, tmp_path, plan)
            return result, server.seen

    result, seen = anyio.run(main)
    summary = result.summary
    recs = records(result.folder)
    assert summary["requests"] == len(recs) == seen
    # 40 arrivals, five at a time for 0.3 s each: most are dropped, none hidden.
    assert summary["requests"] + summary["dropped"] == 40
    assert summary["dropped"] >= 20
    assert all(r["latency_us"] >= 300_000 for r in recs)
    assert all(r["intended_s"] is not None for r in recs)


def test_rate_latency_includes_lateness(tmp_path: Path) -> None:
    async def main() -> Any:
        async with TestServer("ok") as server:
            plan = RatePlan(steps=(RateStep(rate_rps=50, duration_s=0.5),))
            return await run_plan(server, tmp_path, plan)

    result = anyio.run(main)
    recs = records(result.folder)
    assert len(recs) == 25
    for r in recs:
        assert r["latency_us"] >= (r["start_s"] - r["intended_s"]) * 1e6 - 1


def test_scenario1_finds_and_bisects_the_eviction_bracket(tmp_path: Path) -> None:
    async def main() -> Any:
        # Instances are evicted after 0.5 s idle; offsets give idle gaps of ~0.2, ~0.35, ~1.0 s.
        async with TestServer("ok", evict_after_s=0.5) as server:
            plan = IdlePlan(offsets_s=(0.0, 0.2, 0.55, 1.55), bisect_precision_s=0.1)
            return await run_plan(server, tmp_path, plan)

    result = anyio.run(main)
    s1 = result.summary["scenario1"]
    probes = [g for g in s1["gaps"] if g["phase"] == "probe"]
    assert [g["outcome"] for g in probes] == ["kept", "kept", "evicted"]
    assert probes[2]["cold_start"] is True
    assert probes[2]["instance_id"] != probes[2]["previous_instance_id"]
    assert s1["bracket"]["kept_s"] < 0.5 < s1["bracket"]["evicted_s"]
    bisected = s1["bisected"]
    assert bisected["narrow_enough"]
    assert bisected["kept_s"] <= 0.5 + 0.02 and bisected["evicted_s"] >= 0.5
    assert bisected["evicted_s"] - bisected["kept_s"] <= 0.1
    recs = records(result.folder)
    assert result.summary["requests"] == len(recs)
    assert all(r["late_ms"] < 50 for r in recs if r["phase"] == "probe")
    assert sum(1 for r in recs if r["phase"] == "warmup") == bisected["probes"]


class FakeConnection:
    """An injected connection: answers from a script, no sockets (the transport seam)."""

    def __init__(self, script: list[tuple[int, dict[str, str]]]) -> None:
        self.script = script
        self.reusable = True

    async def post(self, body: bytes, *, timeout_s: float) -> Any:
        from loadgen.transport._http import Response

        status, headers = self.script.pop(0)
        now = time.perf_counter_ns()
        payload = b'{"predictions":[{"probability":0.5,"anomaly":false}],"model_version":"m"}'
        return Response(status, headers, payload, now - 2_000_000, now)

    async def send(self, request: Any, *, base_path: str, timeout_s: float) -> Any:
        return await self.post(request.body, timeout_s=timeout_s)

    def close(self) -> None:
        self.reusable = False


def test_injected_transport_cold_and_warm_split(tmp_path: Path) -> None:
    cold = {"x-cold-start": "true", "x-instance-id": "a", "x-init-ms": "250"}
    warm = {"x-cold-start": "false", "x-instance-id": "a"}
    script = [
        (200, cold),
        (200, warm),
        (200, warm),
        (429, {}),
        (200, {"x-cold-start": "TRUE", "x-init-ms": "350"}),
    ]
    fake = FakeConnection(script)

    async def connector(host: str, port: int, path: str, timeout_s: float) -> FakeConnection:
        return fake

    async def main() -> Any:
        plan = StagedPlan(stages=(Stage(users=1, hold_s=10),), iterations=5)
        return await run_async(
            plan,
            target=target_from_url("http://127.0.0.1:9", name="t"),
            health=HEALTH,
            settings=RunSettings(results_dir=tmp_path, run_id="r"),
            connector=connector,
        )

    summary = anyio.run(main).summary
    assert summary["requests"] == 5 and summary["throttled"] == 1
    assert summary["cold_starts"] == {
        "count": 2,
        "init_ms": {"count": 2, "p50": 250.0, "max": 350.0},
    }
    assert summary["cold_latency_ms"]["count"] == 2 and summary["warm_latency_ms"]["count"] == 2
    assert summary["latency_ms"]["p50"] == 2.0  # the scripted 2 ms, exactly representable


def test_with_features_given_nothing_precedes_the_first_probe(tmp_path: Path) -> None:
    """GET /health is an invocation: sent first, it would warm the instance scenario 1 probes."""

    async def main(features: tuple[str, ...] | None, run_id: str) -> tuple[Any, int]:
        async with TestServer("ok") as server:
            result = await run_async(
                IdlePlan(offsets_s=(0.0, 0.1)),
                target=target_from_url(server.url, name="t"),
                settings=RunSettings(results_dir=tmp_path, run_id=run_id, features=features),
            )
            return result, server.health_seen

    quiet, health_calls = anyio.run(main, ("duration", "src_bytes", "dst_bytes"), "quiet")
    assert health_calls == 0
    first = records(quiet.folder)[0]
    assert first["cold_start"] is True and first["seq"] == 0
    assert not any("GET /health" in n for n in quiet.summary["notes"])

    noisy, health_calls = anyio.run(main, None, "noisy")
    assert health_calls == 1
    assert any("GET /health was sent before the first probe" in n for n in noisy.summary["notes"])
