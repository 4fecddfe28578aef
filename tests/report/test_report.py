"""The report's numbers against figures computed by hand from a small fixed results folder."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from report.__main__ import main as report_main
from report._figures import stack_figures
from report._markdown import write_report
from report._reading import collect, load_report_lines
from report._recommend import recommend

from ..support.paths import REPO

# (start_s, latency_ms, cold, error, request_id, instance_id)
Rec = tuple[float, float, bool, str | None, str, str]

STACKS: dict[str, dict[str, Any]] = {
    "python-512": {
        "settings": {
            "language": "python",
            "memory_mb": 512,
            "architecture": "x86_64",
            "model_strategy": "bundled",
            "cold_start_mitigation": "none",
        },
        "duration_s": 4.0,
        "records": [
            (0.0, 200.0, True, None, "a1", "i-a"),
            (0.3, 10.0, False, None, "a2", "i-a"),
            (0.5, 20.0, False, None, "a3", "i-a"),
            (1.2, 30.0, False, None, "a4", "i-a"),
            (2.1, 40.0, False, None, "a5", "i-a"),
            (3.5, 50.0, False, "http_status", "a6", "i-a"),
        ],
        # request id -> (billed ms, init ms or None)
        "reports": {
            "a1": (150, 120.5),
            "a2": (9, None),
            "a3": (19, None),
            "a4": (29, None),
            "a5": (39, None),
            "a6": (45, None),
        },
    },
    "python-1024": {
        "settings": {
            "language": "python",
            "memory_mb": 1024,
            "architecture": "x86_64",
            "model_strategy": "bundled",
            "cold_start_mitigation": "none",
        },
        "duration_s": 2.0,
        "records": [
            (0.0, 100.0, True, None, "b1", "i-b"),
            (0.2, 5.0, False, None, "b2", "i-b"),
            (0.4, 5.0, False, None, "b3", "i-b"),
            (1.0, 6.0, False, None, "b4", "i-b"),
        ],
        "reports": {
            "b1": (90, 80.0),
            "b2": (5, None),
            "b3": (5, None),
            "b4": (6, None),
            "b-s1": (100, 95.0),
            "b-s2": (4, None),
            "b-s3": (95, 90.0),
        },
    },
    "java-512": {
        "settings": {
            "language": "java",
            "memory_mb": 512,
            "architecture": "arm64",
            "model_strategy": "bundled",
            "cold_start_mitigation": "none",
        },
        "duration_s": 2.0,
        "records": [
            (0.0, 900.0, True, None, "c1", "i-c"),
            (1.0, 6.0, False, None, "c2", "i-c"),
            (1.5, 5.5, False, None, "c3", "i-c"),
        ],
        "reports": {"c1": (700, 650.0), "c2": (6, None), "c3": (6, None)},
    },
}

SCENARIO1: list[Rec] = [  # python-1024, time scale 10: offsets 0, 36 s (6 min), 96 s (16 min)
    (0.0, 120.0, True, None, "b-s1", "i-s1"),
    (36.0, 4.0, False, None, "b-s2", "i-s1"),
    (96.0, 110.0, True, None, "b-s3", "i-s2"),
]


def _record(seq: int, rec: Rec, *, phase: str | None = None) -> dict[str, Any]:
    start_s, latency_ms, cold, error, request_id, instance = rec
    out = {
        "seq": seq,
        "user": 0,
        "stage": 0,
        "start_s": start_s,
        "intended_s": start_s,
        "latency_us": int(latency_ms * 1000),
        "status": 500 if error else 200,
        "error": error,
        "cold_start": cold,
        "instance_id": instance,
        "init_ms": None,
        "model_version": "abc123def456",
        "request_id": request_id,
    }
    if phase:
        out["phase"] = phase
    return out


def _write_run(
    folder: Path,
    stack: str,
    scenario: str,
    records: list[Rec],
    duration_s: float,
    settings: dict[str, Any],
    summary_extra: dict[str, Any] | None = None,
) -> None:
    folder.mkdir(parents=True)
    run = {
        "run_id": "fixture",
        "scenario": scenario,
        "time_scale": 10.0,
        "duration_s": duration_s,
        "batch": 1,
        "target": {"name": stack, "settings": settings, "cpu_limited": True},
        "machine": {
            "hostname": "ci",
            "cpu_model": "test cpu",
            "cpus_usable": 2,
            "platform": "Linux",
        },
    }
    (folder / "run.json").write_text(json.dumps(run))
    with (folder / "requests.jsonl").open("w") as fh:
        for i, rec in enumerate(records):
            fh.write(
                json.dumps(_record(i, rec, phase="probe" if scenario == "scenario1" else None))
                + "\n"
            )
    # The summary and timeline a run of these records writes: counts, and hits by completion second.
    errors = sum(1 for rec in records if rec[3] is not None)
    summary: dict[str, Any] = {
        "complete": True,
        "interrupted": None,
        "requests": len(records),
        "ok": len(records) - errors,
        "error_total": errors,
        "generator_saturated": False,
        "notes": [],
    }
    summary.update(summary_extra or {})
    (folder / "summary.json").write_text(json.dumps(summary))
    seconds = [int(start_s + latency_ms / 1000) for start_s, latency_ms, *_ in records]
    rows = ["second,hits,ok,errors,throttled,cold_starts,users,mean_ms,max_ms,p50_ms,p99_ms"]
    for second in range(max(seconds) + 1):
        done = [rec for rec, at in zip(records, seconds, strict=True) if at == second]
        ok_ms = [rec[1] for rec in done if rec[3] is None]
        failed = len(done) - len(ok_ms)
        latency = (
            [f"{sum(ok_ms) / len(ok_ms):.3f}", f"{max(ok_ms):.3f}", "", ""]
            if ok_ms
            else ["", "", "", ""]
        )
        cold = sum(1 for rec in done if rec[2])
        # users: 2 in the first second, then 3 (the fixture's peak)
        rows.append(
            ",".join(
                [
                    str(second),
                    str(len(done)),
                    str(len(ok_ms)),
                    str(failed),
                    "0",
                    str(cold),
                    "2" if second == 0 else "3",
                    *latency,
                ]
            )
        )
    (folder / "timeline.csv").write_text("\n".join(rows) + "\n")


def _report_line(request_id: str, memory_mb: int, billed: int, init: float | None) -> str:
    init_part = f"Init Duration: {init:.2f} ms\t" if init is not None else ""
    return (
        f"REPORT RequestId: {request_id}\tDuration: {billed - 0.5:.2f} ms\tBilled Duration: "
        f"{billed} ms\t"
        f"Memory Size: {memory_mb} MB\tMax Memory Used: 40 MB\t{init_part}\n"
    )


@pytest.fixture()
def results(tmp_path: Path) -> Path:
    root = tmp_path / "results" / "fixture"
    for stack, spec in STACKS.items():
        _write_run(
            root / stack / "scenario2",
            stack,
            "scenario2",
            spec["records"],
            spec["duration_s"],
            spec["settings"],
        )
        lines = ["START RequestId: x Version: $LATEST\n", "function output\n"]
        lines += [
            _report_line(rid, spec["settings"]["memory_mb"], billed, init)
            for rid, (billed, init) in spec["reports"].items()
        ]
        (root / "logs").mkdir(exist_ok=True)
        (root / "logs" / f"{stack}.log").write_text("".join(lines))
    gaps = {
        "gaps": [
            {
                "seq": 1,
                "phase": "probe",
                "planned_s": 36.0,
                "idle_s": 35.88,
                "idle_plan_s": 358.8,
                "latency_ms": 4.0,
                "cold_start": False,
                "instance_id": "i-s1",
                "outcome": "kept",
            },
            {
                "seq": 2,
                "phase": "probe",
                "planned_s": 60.0,
                "idle_s": 59.99,
                "idle_plan_s": 599.9,
                "latency_ms": 110.0,
                "cold_start": True,
                "instance_id": "i-s2",
                "outcome": "evicted",
            },
        ],
        "bracket": {"kept_s": 35.88, "evicted_s": 59.99, "consistent": True},
        "bisected": None,
    }
    _write_run(
        root / "python-1024" / "scenario1",
        "python-1024",
        "scenario1",
        SCENARIO1,
        96.11,
        STACKS["python-1024"]["settings"],
        {"scenario1": gaps},
    )
    return root


def _figures(results: Path) -> dict[str, Any]:
    runs = collect([results])
    reports, problems = load_report_lines(sorted((results / "logs").glob("*.log")))
    assert problems == []
    by_stack: dict[str, list[Any]] = {}
    for run in runs:
        by_stack.setdefault(run.target, []).append(run)
    return {s: stack_figures(s, rs, reports) for s, rs in by_stack.items()}


def test_client_figures_by_hand(results: Path) -> None:
    f = _figures(results)["python-512"]
    assert (f.requests, f.ok, f.errors, f.throttled) == (6, 5, {"http_status": 1}, 0)
    # warm successes: 10, 20, 30, 40 ms (the cold 200 ms and the failed 50 ms are excluded)
    assert (f.warm_p50_ms, f.warm_p90_ms, f.warm_p99_ms, f.warm_max_ms) == (20, 40, 40, 40)
    assert f.warm_mean_ms == pytest.approx(25.0)
    # hits/s is timeline.csv's hits column (attempts by completion second): 3, 1, 1, 1
    assert f.hits_per_s_mean == pytest.approx(6 / 4)
    assert f.hits_per_s_peak == 3
    assert (f.cold_starts, f.cold_latency_p50_ms, f.cold_latency_max_ms) == (1, 200, 200)


def test_server_figures_and_cost_by_hand(results: Path) -> None:
    f = _figures(results)["python-512"]
    assert f.report_lines_joined == 6
    assert f.init_duration_p50_ms == 120.5
    # 150 + 9 + 19 + 29 + 39 + 45 = 291 billed ms at 512 MB = 0.5 GB x 0.291 s
    assert f.billed_gb_s == pytest.approx(0.1455)
    assert f.cost is not None
    total = 0.1455 * 0.0000166667 + 6 * 0.20e-6 + 6 * 1.00e-6
    assert f.cost.total_usd == pytest.approx(total)
    assert f.cost.per_million_predictions_usd == pytest.approx(total / 5 * 1e6)


def test_cold_starts_span_every_scenario_of_a_stack(results: Path) -> None:
    f = _figures(results)["python-1024"]
    # client: 100 (scenario 2), 120 and 110 (scenario 1); server Init Duration 80, 95, 90
    assert f.cold_starts == 3
    assert (f.cold_latency_p50_ms, f.cold_latency_max_ms) == (110, 120)
    assert (f.init_duration_p50_ms, f.init_duration_max_ms) == (90, 95)
    # but GB-seconds are scenario 2's alone: (90 + 5 + 5 + 6) ms at 1 GB
    assert f.billed_gb_s == pytest.approx(0.106)


def test_arm64_priced_as_arm64(results: Path) -> None:
    f = _figures(results)["java-512"]
    assert f.cost is not None
    assert f.cost.lambda_compute_usd == pytest.approx(0.356 * 0.0000133334)


def test_recommendation_follows_the_stated_rule(results: Path) -> None:
    figures = list(_figures(results).values())
    chosen, tolerance, rule = recommend(figures)
    # python-512 fails 1 of 6 requests; java-512's 1.5 hits/s is not within 10 % of 2.0
    assert chosen is not None and chosen.stack == "python-1024"
    assert tolerance == 0.10
    assert "within 10%" in rule


def test_report_markdown_and_charts(results: Path, tmp_path: Path) -> None:
    out = tmp_path / "report"
    report = write_report([results], out)
    text = report.read_text()
    assert "**python-1024** (python, 1024 MB)" in text
    assert (
        "| python-512 | python | 512 | x86_64 | bundled | none | 6 | http_status 1 | 0 | 20.0 "
        in text
    )
    assert f"{(0.1455 * 0.0000166667 + 7.2e-6) / 5 * 1e6:.4f}" in text
    assert "kept after 6.0 min idle, evicted after 10.0 min (unscaled)" in text
    assert "Time scale: 10" in text and "CPU limited in proportion to memory: True" in text
    for png in [
        "throughput.png",
        "cold-start.png",
        "scenario1.png",
        "scenario2-python-512.png",
        "scenario2-java-512.png",
        "scenario2-python-1024.png",
    ]:
        data = (out / png).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000, png
        assert f"]({png})" in text


def _json_report(request_id: str, memory_mb: int, billed: int, init: float | None) -> str:
    """The invocation of ``_report_line`` as a JSON-format log holds it (platform.report)."""
    metrics: dict[str, Any] = {
        "durationMs": round(billed - 0.5, 2),
        "billedDurationMs": billed,
        "memorySizeMB": memory_mb,
        "maxMemoryUsedMB": 40,
    }
    if init is not None:
        metrics["initDurationMs"] = init
    return (
        json.dumps(
            {
                "time": "2026-11-28T10:00:00.000Z",
                "type": "platform.report",
                "record": {"requestId": request_id, "metrics": metrics, "status": "success"},
            }
        )
        + "\n"
    )


def test_json_format_logs_give_the_same_figures_and_report(results: Path, tmp_path: Path) -> None:
    text_figures = _figures(results)
    # One clock for both reports: the header's minute would differ across a minute's turn.
    now = dt.datetime(2026, 11, 28, 10, 5, tzinfo=dt.UTC)
    text_report = write_report([results], tmp_path / "text", now=now).read_text()
    for stack, spec in STACKS.items():
        lines = [
            json.dumps(
                {
                    "time": "2026-11-28T10:00:00.000Z",
                    "type": "platform.start",
                    "record": {"requestId": "x", "version": "$LATEST"},
                }
            )
            + "\n",
            '{"timestamp":"2026-11-28T10:00:00.001Z","level":"INFO","message":"hi"}\n',
        ]
        lines += [
            _json_report(rid, spec["settings"]["memory_mb"], billed, init)
            for rid, (billed, init) in spec["reports"].items()
        ]
        (results / "logs" / f"{stack}.log").write_text("".join(lines))
    json_figures = _figures(results)
    assert json_figures == text_figures
    assert json_figures["python-512"].billed_gb_s == pytest.approx(0.1455)
    json_report = write_report([results], tmp_path / "json", now=now).read_text()
    assert json_report.replace(str(tmp_path / "json"), "") == text_report.replace(
        str(tmp_path / "text"), ""
    )


def test_a_run_past_the_stacks_limits_is_said_in_the_report(results: Path, tmp_path: Path) -> None:
    run_json = _run_folder(results) / "run.json"
    run = json.loads(run_json.read_text())
    exceeded = (
        "18 users can have 18 requests in flight but the function's reserved "
        "concurrency is 10: raise lambda-model-study:reserved_concurrency to 18 or more"
    )
    # A check that passed says nothing; one run anyway (--exceed-limits) is named with its why.
    run["target"]["limits_check"] = {"run_anyway": False, "exceeded": [], "notes": []}
    run_json.write_text(json.dumps(run))
    assert "--exceed-limits" not in write_report([results], tmp_path / "fits").read_text()
    run["target"]["limits_check"] = {"run_anyway": True, "exceeded": [exceeded], "notes": []}
    run_json.write_text(json.dumps(run))
    text = write_report([results], tmp_path / "past").read_text()
    assert (
        f"- python-512: scenario2 ran past the stack's limits (--exceed-limits): {exceeded}. "
        "Its throttles measure those settings, not the function"
    ) in text


def test_missing_logs_leave_cost_unknown_and_say_so(results: Path, tmp_path: Path) -> None:
    for log in (results / "logs").glob("*.log"):
        log.unlink()
    text = write_report([results], tmp_path / "r").read_text()
    assert "no REPORT lines joined" in text
    assert "No recommendation" in text


def test_an_empty_folder_is_a_clear_error(tmp_path: Path) -> None:
    from report import ResultsError

    with pytest.raises(ResultsError, match="no result folders"):
        write_report([tmp_path], tmp_path / "out")


def _set_host_cpu(results: Path, stack: str, shares: list[float]) -> None:
    """What loadgen's host sampler would have written into the stack's scenario 2 summary."""
    path = results / stack / "scenario2" / "summary.json"
    summary = json.loads(path.read_text())
    summary["host_cpu"] = {"source": "/proc/stat", "cores": 2, "busy_share_per_s": shares}
    summary["generator"] = {"cpu_us_per_request": 850.0}
    path.write_text(json.dumps(summary))


def _set_cgroup_samples(results: Path, stack: str, lines: list[dict[str, Any]]) -> None:
    """The emulator's per-second samples of the stack, timed inside its run's window."""
    run_path = results / stack / "scenario2" / "run.json"
    run = json.loads(run_path.read_text())
    run["start_epoch_s"] = 1_700_000_000.0
    run_path.write_text(json.dumps(run))
    with (results / "logs" / f"{stack}.cpu.jsonl").open("w") as fh:
        for i, line in enumerate(lines, 1):
            fh.write(json.dumps({"t": 1_700_000_000.0 + i, "interval_s": 1.0, **line}) + "\n")


def test_a_host_saturated_run_is_marked_with_the_measured_figures(
    results: Path, tmp_path: Path
) -> None:
    _set_host_cpu(results, "python-512", [0.97, 0.99, 1.0, 0.95])
    _set_host_cpu(results, "python-1024", [0.30, 0.45])
    figures = _figures(results)
    assert figures["python-512"].saturation.host_bound
    assert not figures["python-1024"].saturation.host_bound
    assert any("host-bound (⚙)" in n and "4 of 4 s" in n for n in figures["python-512"].notes)
    text = write_report([results], tmp_path / "r").read_text()
    assert "| 97% / 100% ⚙ |" in text and "| 30% / 45% |" in text
    assert "Caveat: 1 of 3 stacks were host-bound" in text
    assert (
        "- Host-bound (⚙): python-512 — python-512: host CPU busy 97% p50, 100% max of 2 CPUs"
        in text
    )
    # Many users at a large memory size is no longer a reason: the formula is gone.
    assert "vCPU asked" not in text


def test_a_run_throttled_only_by_its_share_is_not_host_bound(results: Path, tmp_path: Path) -> None:
    _set_host_cpu(results, "python-512", [0.40, 0.50, 0.45, 0.55])
    _set_cgroup_samples(
        results,
        "python-512",
        [
            {
                "instances": 3,
                "periods": 30,
                "throttled_periods": 12,
                "throttled_ms": 800.0,
                "usage_ms": None,
                "requests": 3,
                "emulator_cpu_ms": 6.0,
                "emulator_requests": 3,
            },
            {
                "instances": 3,
                "periods": 30,
                "throttled_periods": 18,
                "throttled_ms": 1700.0,
                "usage_ms": None,
                "requests": 3,
                "emulator_cpu_ms": 3.0,
                "emulator_requests": 3,
            },
        ],
    )
    f = _figures(results)["python-512"]
    assert not f.saturation.host_bound
    assert f.saturation.throttled and f.saturation.throttled_share == pytest.approx(0.5)
    assert f.saturation.throttled_ms == pytest.approx(2500.0)
    assert f.saturation.emulator_cpu_us_per_request == pytest.approx(1500.0)
    text = write_report([results], tmp_path / "r").read_text()
    assert "| 45% / 55% | 50.0%, 2.5 s |" in text
    assert "| python-512 | 850 | 1,500 | – |" in text and "the CPU share (legitimate)" in text
    assert "Caveat" not in text and "- Host-bound (⚙): no stack" in text


def test_saturation_while_no_request_was_in_flight_does_not_mark_the_stack(
    results: Path, tmp_path: Path
) -> None:
    # python-512's requests are in flight in seconds 0-3; the host was saturated afterwards
    # (another stack's turn, say): 12 of 16 seconds busy, none of them the stack's.
    _set_host_cpu(results, "python-512", [0.30, 0.35, 0.40, 0.30] + [1.0] * 12)
    f = _figures(results)["python-512"]
    assert not f.saturation.host_bound
    assert (f.saturation.host_seconds, f.saturation.host_busy_seconds) == (4, 0)
    assert f.saturation.host_busy_max == pytest.approx(0.40)
    assert "over its 4 s with requests in flight" in f.saturation.host_words()
    # the same saturation while its requests were in flight marks it
    _set_host_cpu(results, "python-512", [1.0] * 4 + [0.30] * 12)
    assert _figures(results)["python-512"].saturation.host_bound


@pytest.mark.parametrize("key", ["usage_ms", "instances_cpu_ms"])
def test_the_stacks_own_init_burst_is_not_contention(results: Path, key: str) -> None:
    # The host was busy because the stack's own instances were (an init burst at 2 vCPU on a
    # 2-core host): that CPU came from the stack's entitlement, so nothing else was waiting.
    _set_host_cpu(results, "python-512", [1.0, 0.99, 0.97, 0.96])
    own = [
        {
            "instances": 1,
            "periods": 10,
            "throttled_periods": 0,
            "throttled_ms": 0.0,
            "usage_ms": None,
            "instances_cpu_ms": None,
            "requests": 1,
            "emulator_cpu_ms": 5.0,
            "emulator_requests": 1,
            key: ms,
        }
        for ms in (1950.0, 1900.0, 1850.0, 1800.0)
    ]
    _set_cgroup_samples(results, "python-512", own)
    f = _figures(results)["python-512"]
    assert not f.saturation.host_bound and f.saturation.host_busy_seconds == 0
    assert f.saturation.own_source == ("cgroup" if key == "usage_ms" else "/proc")
    assert f"its own instances used 94% ({f.saturation.own_source})" in f.saturation.host_words()
    # Its own instances idle (5% of the host): the same host figures are other work's.
    _set_cgroup_samples(results, "python-512", [{**line, key: 100.0} for line in own])
    bound = _figures(results)["python-512"].saturation
    assert bound.host_bound and bound.host_busy_seconds == 4


def test_a_stack_is_judged_by_the_requests_a_saturated_second_held(results: Path) -> None:
    # One saturated second out of four, holding one of python-512's six requests (17%): under
    # the 20% that marks a stack; the second holding two of them (33%) marks it.
    _set_host_cpu(results, "python-512", [0.40, 0.50, 0.45, 1.0])
    s = _figures(results)["python-512"].saturation
    assert (s.requests_exposed, s.requests, s.host_bound) == (1, 6, False)
    _set_host_cpu(results, "python-512", [1.0, 0.50, 0.45, 0.40])
    s = _figures(results)["python-512"].saturation
    assert (s.requests_exposed, s.host_bound) == (3, True)


def test_the_report_names_what_really_hosted_the_functions(results: Path, tmp_path: Path) -> None:
    assert "Hosted by" not in write_report([results], tmp_path / "a").read_text()
    (results / "endpoints.json").write_text(
        json.dumps({"stacks": {}, "hosted_by": {"python": "3.11.7", "java": "17.0.15"}})
    )
    for run_json in results.rglob("run.json"):
        run = json.loads(run_json.read_text())
        language = run["target"]["settings"]["language"]
        run["target"]["settings"]["runtime"] = "python3.12" if language == "python" else "java21"
        run_json.write_text(json.dumps(run))
    text = write_report([results], tmp_path / "b").read_text()
    assert (
        "- Hosted by the local emulator with Java 17.0.15, Python 3.11.7; the stacks declare "
        "java21, python3.12, which is what AWS would run."
    ) in text


# --- missing, torn and damaged data -----------------------------------------------------------


def _run_folder(results: Path, stack: str = "python-512") -> Path:
    return results / stack / "scenario2"


def _report(results: Path, out: Path) -> tuple[str, list[str]]:
    warnings: list[str] = []
    text = write_report([results], out, warn=warnings.append).read_text()
    return text, warnings


def _row(text: str, stack: str) -> str:
    return next(line for line in text.splitlines() if line.startswith(f"| {stack}"))


@pytest.mark.parametrize("kept", [2, 0])
def test_records_missing_against_the_summary_are_reported(
    results: Path, tmp_path: Path, kept: int
) -> None:
    # The summary counts 6 requests, 1 failed; the records are cut (or emptied) at a line's end.
    requests = _run_folder(results) / "requests.jsonl"
    lines = requests.read_text().splitlines(keepends=True)
    requests.write_text("".join(lines[:kept]))
    text, warnings = _report(results, tmp_path / "r")
    missing = (
        f"{_run_folder(results)}: requests.jsonl holds {kept} records where summary.json "
        f"counts 6 requests (1 failed): {6 - kept} requests (1 of them failed) are missing "
        "from every figure"
    )
    assert missing in text
    assert any(missing in w and w.startswith("python-512: ") for w in warnings)
    assert _row(text, "python-512").startswith("| python-512 (data missing) |")
    assert "Incomplete runs or missing data: python-512" in text
    assert "**python-1024**" in text  # the other stacks are still compared and recommended
    assert not _row(text, "python-1024").startswith("| python-1024 (")


def test_whole_data_says_so(results: Path, tmp_path: Path) -> None:
    text, warnings = _report(results, tmp_path / "r")
    assert warnings == []
    assert "Incomplete runs or missing data: none" in text


def test_a_torn_last_line_is_named_not_dropped_silently(results: Path, tmp_path: Path) -> None:
    requests = _run_folder(results) / "requests.jsonl"
    data = requests.read_bytes()
    requests.write_bytes(data[: len(data) - 40])  # the last record cut mid-write
    f = _figures(results)["python-512"]
    assert f.requests == 5
    text, warnings = _report(results, tmp_path / "r")
    assert f"{requests}:6 is torn (cut while being written) and is left out" in text
    assert "requests.jsonl holds 5 records where summary.json counts 6 requests" in text
    # torn, short of the summary, short of the timeline: each names the file
    assert len(warnings) == 3 and all("requests.jsonl" in w for w in warnings)
    assert all(str(_run_folder(results)) in w for w in warnings)


def test_an_interrupted_run_is_marked(results: Path, tmp_path: Path) -> None:
    summary_path = _run_folder(results, "java-512") / "summary.json"
    summary = json.loads(summary_path.read_text())
    summary.update(complete=False, interrupted="SIGINT")
    summary_path.write_text(json.dumps(summary))
    text, warnings = _report(results, tmp_path / "r")
    assert _row(text, "java-512").startswith("| java-512 (incomplete run) |")
    cold_rows = [line for line in text.splitlines() if line.startswith("| java-512")]
    # side by side, cold starts, CPU per request
    assert len(cold_rows) == 3 and all("(incomplete run)" in line for line in cold_rows)
    assert "  - incomplete run: scenario2 (interrupted: SIGINT)" in text
    assert warnings == [
        (
            "java-512: scenario2 is incomplete (interrupted: SIGINT): "
            f"{_run_folder(results, 'java-512')}"
        )
    ]


def test_a_killed_run_with_a_stale_summary_is_marked(results: Path, tmp_path: Path) -> None:
    folder = _run_folder(results, "java-512")
    (folder / "summary.json").write_text(
        json.dumps({"complete": False, "interrupted": None, "requests": 1, "error_total": 0})
    )
    text, _ = _report(results, tmp_path / "r")
    assert "scenario2 (never finished (killed, or still running))" in text
    assert (
        f"{folder}: summary.json is a checkpoint (1 requests) behind requests.jsonl (3 records)"
    ) in text


def test_missing_summary_and_timeline_are_named(results: Path, tmp_path: Path) -> None:
    folder = _run_folder(results)
    (folder / "summary.json").unlink()
    (folder / "timeline.csv").unlink()
    text, _ = _report(results, tmp_path / "r")
    assert f"{folder / 'summary.json'} is missing" in text
    assert f"{folder / 'timeline.csv'} is missing: hits/s and users over time are unknown" in text
    assert "scenario2 (no summary.json)" in text


@pytest.mark.parametrize(
    ("name", "damage", "line", "says"),
    [
        ("requests.jsonl", b"[1, 2]\n", 7, "a JSON list, not a request record"),
        ("requests.jsonl", b'{"seq":0}\n', 7, "record without 'stage'"),
        ("requests.jsonl", b'{"seq":0,"note":"caf\xe9"}\n', 7, "not UTF-8 text"),
        ("requests.jsonl", b"not json\n", 7, "not a JSON record"),
        ("timeline.csv", b"0,abc\n", 6, "2 columns where the header has 11"),
        ("timeline.csv", b"4,abc,0,0,0,0,1,,,,\n", 6, "hits is 'abc', not a whole number"),
    ],
)
def test_damaged_input_is_one_line_with_file_and_line(
    results: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    name: str,
    damage: bytes,
    line: int,
    says: str,
) -> None:
    path = _run_folder(results) / name
    with path.open("ab") as stream:
        stream.write(damage)  # a whole line (not what a write cut short leaves)
    assert report_main(["write", str(results), "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith(f"error: {path}:{line}: ") and says in err


def test_an_unwritable_out_folder_is_one_line(
    results: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    assert report_main(["write", str(results), "--out", str(blocker / "report")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith(f"error: cannot write the report in {blocker / 'report'}")


def test_the_command_warns_of_missing_data(
    results: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    requests = _run_folder(results) / "requests.jsonl"
    requests.write_text("")
    assert report_main(["write", str(results), "--out", str(tmp_path / "r")]) == 0
    err = capsys.readouterr().err
    assert err.startswith(
        f"warning: python-512: {requests.parent}: requests.jsonl holds 0 records where "
    )


def test_a_folder_without_its_records_is_reported_not_skipped(
    results: Path, tmp_path: Path
) -> None:
    requests = _run_folder(results, "java-512") / "requests.jsonl"
    requests.unlink()
    text, warnings = _report(results, tmp_path / "r")
    assert f"{requests} is missing: this run's requests are in no figure" in text
    assert _row(text, "java-512").startswith(
        "| java-512 (data missing) | java | 512 | arm64 | bundled | none | 0 |"
    )
    assert any(str(requests) in w for w in warnings)


def test_provisioned_first_requests_are_warm_and_restores_are_counted_apart(tmp_path: Path) -> None:
    root = tmp_path / "results" / "lifecycle"
    settings = {
        "language": "python",
        "memory_mb": 512,
        "architecture": "x86_64",
        "model_strategy": "bundled",
    }
    # A provisioned instance's first request, from a function that still called it cold: its
    # REPORT has no Init Duration (init ran ahead of traffic), so it is warm.
    _write_run(
        root / "python-512-provisioned" / "scenario2",
        "python-512-provisioned",
        "scenario2",
        [(0.0, 15.0, True, None, "p1", "i-p"), (0.5, 10.0, False, None, "p2", "i-p")],
        2.0,
        {**settings, "cold_start_mitigation": "provisioned"},
    )
    # SnapStart: s1 joins a REPORT with Restore Duration; s3 has no REPORT but said x-restore.
    folder = root / "python-512-snapstart" / "scenario2"
    records: list[Rec] = [
        (0.0, 400.0, False, None, "s1", "i-1"),
        (0.5, 8.0, False, None, "s2", "i-1"),
        (0.6, 500.0, False, None, "s3", "i-2"),
    ]
    _write_run(
        folder,
        "python-512-snapstart",
        "scenario2",
        records,
        2.0,
        {**settings, "cold_start_mitigation": "snapstart"},
    )
    lines = [
        {**_record(i, rec), "restore": rec[4] in ("s1", "s3")} for i, rec in enumerate(records)
    ]
    (folder / "requests.jsonl").write_text("".join(json.dumps(r) + "\n" for r in lines))
    (root / "logs").mkdir()
    (root / "logs" / "python-512-provisioned.log").write_text(
        _report_line("p1", 512, 15, None) + _report_line("p2", 512, 10, None)
    )
    (root / "logs" / "python-512-snapstart.log").write_text(
        "REPORT RequestId: s1\tDuration: 40.00 ms\tBilled Duration: 52 ms\tMemory Size: 512 MB\t"
        "Max Memory Used: 40 MB\tRestore Duration: 350.00 ms\tBilled Restore Duration: 12 ms\t\n"
        + _report_line("s2", 512, 8, None)
    )
    f = _figures(root)
    provisioned, snap = f["python-512-provisioned"], f["python-512-snapstart"]
    assert provisioned.cold_starts == 0 and provisioned.restores == 0
    assert provisioned.warm_max_ms == 15.0
    assert (snap.cold_starts, snap.restores) == (0, 2)
    assert snap.restore_latency_p50_ms == 400.0 and snap.restore_duration_p50_ms == 350.0
    assert snap.warm_max_ms == 8.0, "restores are not warm requests"
    md = write_report([root], tmp_path / "report").read_text()
    assert (
        "- python-512-snapstart: 2 restores, client latency p50 400 ms [C], Restore Duration "
        "p50 350 ms [S]"
    ) in md
    # neither met a cold start: no row in the cold-start table
    cold = md.split("## Cold starts", 1)[1].split("\n## ", 1)[0]
    assert "| python-512-snapstart |" not in cold and "| python-512-provisioned |" not in cold


@pytest.mark.parametrize("lost", [0, 7])
def test_a_run_stopped_by_a_full_disk_shows_its_write_error(
    results: Path, tmp_path: Path, lost: int
) -> None:
    summary_path = _run_folder(results, "java-512") / "summary.json"
    summary = json.loads(summary_path.read_text())
    error = "cannot write requests.jsonl: No space left on device"
    summary.update(complete=False, interrupted=error, write_error=error, records_lost=lost)
    summary_path.write_text(json.dumps(summary))
    text, warnings = _report(results, tmp_path / "r")
    section = text.split("## Incomplete runs and missing data", 1)[1].split("\n## ", 1)[0]
    said = (
        f"{_run_folder(results, 'java-512')}: the run stopped when its files could not be "
        f"written ({error}): "
    )
    said += "7 requests were lost and are in no figure" if lost else "no record was lost"
    assert said in section
    assert any(said in w for w in warnings)


def test_python_m_report_writes_the_report_and_loadgen_report_still_does(
    results: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import subprocess
    import sys

    assert report_main(["write", str(results), "--out", str(tmp_path / "a")]) == 0
    assert capsys.readouterr().out.splitlines() == [f"report: {tmp_path / 'a' / 'report.md'}"]
    # `python -m loadgen report` runs `python -m report write` with the same arguments.
    done = subprocess.run(
        [sys.executable, "-m", "loadgen", "report", str(results), "--out", str(tmp_path / "b")],
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [f"report: {tmp_path / 'b' / 'report.md'}"]
    first, second = ((tmp_path / d / "report.md").read_text().splitlines() for d in "ab")
    # The same report, but for the line that says when it was written.
    assert len(first) == len(second) > 20
    assert sum(a != b for a, b in zip(first, second, strict=True)) <= 1
    # A damaged results folder is one line and exit 2 from either.
    assert report_main(["write", str(tmp_path / "nowhere")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: ") and "does not exist" in err
    done = subprocess.run(
        [sys.executable, "-m", "loadgen", "report", str(tmp_path / "nowhere")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr


def test_the_report_does_not_need_the_load_generator() -> None:
    import subprocess
    import sys

    code = (
        "import sys, report, report.__main__; "
        "assert not any(m == 'loadgen' or m.startswith('loadgen.') for m in sys.modules), "
        "sorted(m for m in sys.modules if m.startswith('loadgen'))"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO)


def test_loadgen_never_imports_the_report_and_hands_its_two_subcommands_over() -> None:
    import subprocess
    import sys

    code = (
        "import sys; from loadgen.__main__ import build_parser; build_parser(); "
        "assert 'report' not in {m.split('.')[0] for m in sys.modules}"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO)
    for command, report_command in (("report", "write"), ("logs", "logs")):
        done = subprocess.run(
            [sys.executable, "-m", "loadgen", command, "--help"],
            capture_output=True,
            text=True,
            check=True,
        )
        assert done.stdout.startswith(f"usage: python -m report {report_command}"), done.stdout


def test_a_stack_measured_by_scenario_1_alone_stays_out_of_the_load_tables(
    results: Path, tmp_path: Path
) -> None:
    # make run measures the framework stacks by scenario 1 only: their cold starts count, but a
    # handful of idle probes is no throughput, so no load row, chart bar or recommendation.
    settings = {**STACKS["python-1024"]["settings"], "memory_mb": 256}
    _write_run(
        results / "python-tf-256" / "scenario1",
        "python-tf-256",
        "scenario1",
        SCENARIO1,
        96.11,
        settings,
    )
    assert _figures(results)["python-tf-256"].load_scenario == "scenario1"
    text, _ = _report(results, tmp_path / "r")
    load_table = text.split("## Scenario 2 (staged concurrency), side by side", 1)[1]
    load_table = load_table.split("\n## ", 1)[0]
    assert "| python-tf-256" not in load_table and "| python-1024" in load_table
    assert "- Scenario 1 only (cold starts and idle gaps, no load figures): python-tf-256." in text
    recommendation = text.split("## Recommendation", 1)[1].split("\n## ", 1)[0]
    assert "python-tf-256" not in recommendation


def test_a_merged_folder_s_sources_found_beside_it_are_read_once(results: Path) -> None:
    # A workers run keeps each worker's folder (workers/wN) beside the merged one, which
    # names them in run.json's merged_from: `report write results/<run>` reads the merge.
    spec = STACKS["java-512"]
    merged = results / "java-512" / "scenario2"
    sources = []
    for worker, records in enumerate((spec["records"][:1], spec["records"][1:])):
        folder = results / "workers" / f"w{worker}"
        _write_run(folder, "java-512", "scenario2", records, spec["duration_s"], spec["settings"])
        sources.append({"folder": str(folder), "run_id": "fixture", "start_epoch_s": 0.0})
    run = json.loads((merged / "run.json").read_text())
    (merged / "run.json").write_text(json.dumps({**run, "merged_from": sources}))
    runs = collect([results])
    assert [r.folder for r in runs if r.target == "java-512"] == [merged]
    assert not any("workers" in r.folder.parts for r in runs)
    figures = _figures(results)
    assert figures["java-512"].requests == len(spec["records"])
    assert figures["java-512"].cold_starts == 1
