"""The cold-start section: quiet cold starts apart from those under load, Init Duration and what
came after it, the init model in effect, and which cold starts met another stack's."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from report._coldstarts import ColdStartRow, by_memory, model_words
from report._markdown import write_report

BURST = {
    "mode": "burst",
    "applied": True,
    "burst_vcpu": 2.0,
    "description": "init runs with up to 2 vCPU, then the memory share",
}
SHARE = {"mode": "share", "applied": True, "description": "init runs at the memory share"}
T0 = 1_800_000_000.0

# (start_s, latency_ms, cold, request id, init ms or None)
Req = tuple[float, float, bool, str, float | None]


def _run(
    root: Path,
    stack: str,
    scenario: str,
    memory_mb: int,
    requests: list[Req],
    *,
    start_epoch_s: float = T0,
    added_ms: float = 90.0,
    init_cpu: dict[str, Any] | None = None,
    host: list[float] | None = None,
) -> None:
    folder = root / stack / scenario
    folder.mkdir(parents=True)
    target: dict[str, Any] = {
        "name": stack,
        "settings": {
            "language": "python",
            "memory_mb": memory_mb,
            "architecture": "x86_64",
            "model_strategy": "bundled",
            "cold_start_mitigation": "none",
        },
    }
    if init_cpu is not None:
        target["init_cpu"] = init_cpu
    run = {
        "run_id": "r",
        "scenario": scenario,
        "time_scale": 20.0,
        "duration_s": 10.0,
        "start_epoch_s": start_epoch_s,
        "batch": 1,
        "target": target,
        "network_path": {
            "client_rtt_ms": added_ms - 10.0,
            "gateway_latency_ms": 10.0,
            "added_ms": added_ms,
        },
    }
    (folder / "run.json").write_text(json.dumps(run))
    with (folder / "requests.jsonl").open("w") as out:
        for seq, (start_s, latency_ms, cold, rid, _init) in enumerate(requests):
            out.write(
                json.dumps(
                    {
                        "seq": seq,
                        "user": 0,
                        "stage": 0,
                        "start_s": start_s,
                        "phase": "probe" if scenario == "scenario1" else None,
                        "latency_us": int(latency_ms * 1000),
                        "status": 200,
                        "error": None,
                        "cold_start": cold,
                        "instance_id": f"i-{rid}",
                        "model_version": "m",
                        "request_id": rid,
                    }
                )
                + "\n"
            )
    summary: dict[str, Any] = {
        "complete": True,
        "requests": len(requests),
        "ok": len(requests),
        "error_total": 0,
        "notes": [],
    }
    if host is not None:
        summary["host_cpu"] = {"source": "/proc/stat", "cores": 2, "busy_share_per_s": host}
    (folder / "summary.json").write_text(json.dumps(summary))
    seconds = [int(s + ms / 1000) for s, ms, *_ in requests]
    rows = ["second,hits,ok,errors,throttled,cold_starts,users,mean_ms,max_ms,p50_ms,p99_ms"]
    rows += [
        f"{sec},{seconds.count(sec)},{seconds.count(sec)},0,0,0,1,,,,"
        for sec in range(max(seconds) + 1)
    ]
    (folder / "timeline.csv").write_text("\n".join(rows) + "\n")
    logs = root / "logs"
    logs.mkdir(exist_ok=True)
    with (logs / f"{stack}.log").open("a") as log:
        for _start, _latency_ms, _cold, rid, init in requests:
            duration = 4.0
            init_part = f"Init Duration: {init:.2f} ms\t" if init is not None else ""
            log.write(
                f"REPORT RequestId: {rid}\tDuration: {duration:.2f} ms\tBilled Duration: "
                f"5 ms\tMemory Size: {memory_mb} MB\tMax Memory Used: 40 MB\t"
                f"{init_part}\n"
            )


def _cold_section(root: Path, out: Path) -> str:
    text = write_report([root], out).read_text()
    return text.split("## Cold starts: quiet and under load", 1)[1].split("\n## ", 1)[0]


def _row(section: str, stack: str, condition: str) -> list[str]:
    line = next(
        line for line in section.splitlines() if line.startswith(f"| {stack} | {condition}")
    )
    return [cell.strip() for cell in line.strip("|").split("|")]


def test_quiet_cold_starts_are_shown_apart_from_those_under_load(tmp_path: Path) -> None:
    root = tmp_path / "r"
    # scenario 1: two quiet cold starts (300 and 280 ms; init 180 and 170 ms) and a warm probe
    _run(
        root,
        "python-512",
        "scenario1",
        512,
        [
            (0.0, 300.0, True, "q1", 180.0),
            (3.0, 95.0, False, "q2", None),
            (6.0, 280.0, True, "q3", 170.0),
        ],
        init_cpu=BURST,
    )
    # scenario 2: a cold start under load, slower (two siblings' inits shared the host)
    _run(
        root,
        "python-512",
        "scenario2",
        512,
        [
            (0.0, 520.0, True, "l1", 400.0),
            (0.6, 95.0, False, "l2", None),
            (0.8, 96.0, False, "l3", None),
        ],
        start_epoch_s=T0 + 100,
        init_cpu=BURST,
    )
    section = _cold_section(root, tmp_path / "out")
    quiet = _row(section, "python-512", "quiet (scenario 1)")
    loaded = _row(section, "python-512", "under load (scenario 2)")
    # count, latency p50 / max, Init p50 / max: nearest rank, never pooled across scenarios
    assert quiet[2:7] == ["2", "280", "300", "170", "180"]
    assert loaded[2:7] == ["1", "520", "520", "400", "400"]
    # after init = latency − Init Duration − the 90 ms path: 280 − 170 − 90 = 20, 300 − 180 − 90
    # = 30 → p50 20; its first invocation's REPORT Duration is 4 ms
    assert quiet[7:9] == ["20.0", "4.0"] and loaded[7] == "30.0"


def test_the_init_model_in_effect_is_stated_with_what_it_means_for_memory(tmp_path: Path) -> None:
    burst = model_words(BURST)
    assert burst.startswith("Init-phase CPU: **burst** — init runs with up to 2 vCPU")
    assert "Init Duration should not rank by memory" in burst
    assert "first invocation after init runs at the memory share" in burst
    assert "ranks by memory (the smaller, the slower)" in model_words(SHARE)
    assert model_words(None).startswith("Init-phase CPU: not stated by the runs")
    assert "Not applied" in model_words({**BURST, "applied": False})
    root = tmp_path / "r"
    _run(root, "python-512", "scenario1", 512, [(0.0, 300.0, True, "q1", 180.0)], init_cpu=SHARE)
    assert "- Init-phase CPU: **share** — init runs at the memory share." in _cold_section(
        root, tmp_path / "out"
    )


def _quiet(
    memory_mb: int, init_ms: float, after_ms: float, *, peak_memory_mb: int | None = 40
) -> ColdStartRow:
    return ColdStartRow(
        stack=f"python-{memory_mb}",
        scenario="scenario1",
        language="python",
        model_runtime="artifact",
        memory_mb=memory_mb,
        count=3,
        latency_p50_ms=init_ms + after_ms + 90,
        latency_max_ms=None,
        init_p50_ms=init_ms,
        init_max_ms=None,
        after_init_p50_ms=after_ms,
        duration_p50_ms=None,
        exposed=0,
        peak_memory_mb=peak_memory_mb,
    )


def test_ranking_by_memory_is_read_against_the_init_model() -> None:
    rows = [_quiet(256, 115.0, 90.0), _quiet(512, 105.0, 40.0), _quiet(1024, 144.0, 20.0)]
    (burst,) = by_memory(rows, lambda v: f"{v:g}", "burst")
    # under burst init gets the same CPU at every size: a spread is not memory's doing
    assert (
        "Init Duration p50 115 / 105 / 144 ms: differs by memory where the model gives "
        "every size the same CPU: noise or contention, not memory" in burst
    )
    assert "after init p50 90 / 40 / 20 ms: falls as memory grows (the CPU share)" in burst
    (share,) = by_memory(rows, lambda v: f"{v:g}", "share")
    assert "Init Duration p50 115 / 105 / 144 ms: no order (noise)" in share
    flat = by_memory(
        [_quiet(256, 100.0, 20.0), _quiet(1024, 104.0, 22.0)], lambda v: f"{v:g}", "burst"
    )
    assert flat == [
        (
            "python (artifact) at 256/1024 MB, 3/3 quiet cold starts: Init Duration "
            "p50 100 / 104 ms: flat, as the model has it; after init p50 20 / 22 ms: "
            "flat"
        )
    ]
    # under load the rows are not ranked, and one memory size alone says nothing
    assert by_memory([_quiet(512, 100.0, 20.0)], lambda v: f"{v:g}", "burst") == []
    loaded = [
        ColdStartRow(**{**_quiet(256, 1.0, 1.0).__dict__, "scenario": "scenario2"}),
        ColdStartRow(**{**_quiet(1024, 9.0, 9.0).__dict__, "scenario": "scenario2"}),
    ]
    assert by_memory(loaded, lambda v: f"{v:g}", "burst") == []


def test_init_that_differs_where_the_memory_limit_bound_is_memorys_doing() -> None:
    # TensorFlow under burst: the same CPU at every size, but at 256 MB the instance used all
    # of its memory, so its library pages were reclaimed and read again during init
    rows = [
        _quiet(256, 6131.0, 699.0, peak_memory_mb=256),
        _quiet(512, 3260.0, 196.0, peak_memory_mb=512),
        _quiet(1024, 3071.0, 250.0, peak_memory_mb=878),
    ]
    (line,) = by_memory(rows, lambda v: f"{v:g}", "burst")
    assert (
        "Init Duration p50 6131 / 3260 / 3071 ms: differs by memory, and the memory limit "
        "bound at 256/512 MB"
    ) in line
    assert "noise or contention" not in line.split("; after init")[0]
    # a limit that bound while the figures stayed flat changes nothing
    flat = by_memory(
        [_quiet(256, 100.0, 20.0, peak_memory_mb=256), _quiet(1024, 104.0, 22.0)],
        lambda v: f"{v:g}",
        "burst",
    )
    assert "Init Duration p50 100 / 104 ms: flat, as the model has it" in flat[0]


@pytest.mark.parametrize("gap_s", [0.2, 5.0])
def test_a_cold_start_that_met_another_stacks_is_counted(tmp_path: Path, gap_s: float) -> None:
    root = tmp_path / "r"
    _run(root, "python-256", "scenario1", 256, [(0.0, 400.0, True, "a1", 250.0)], init_cpu=BURST)
    # python-1024's cold start begins gap_s after python-256's did
    _run(
        root,
        "python-1024",
        "scenario1",
        1024,
        [(gap_s, 300.0, True, "b1", 150.0)],
        start_epoch_s=T0,
        init_cpu=BURST,
    )
    section = _cold_section(root, tmp_path / "out")
    met = "1 of 1" if gap_s < 0.4 else "0 of 1"
    assert _row(section, "python-256", "quiet (scenario 1)")[9] == met
    assert _row(section, "python-1024", "quiet (scenario 1)")[9] == met


def test_a_cold_start_in_a_second_saturated_by_other_work_is_counted(tmp_path: Path) -> None:
    root = tmp_path / "r"
    # two cold starts: the first in a saturated second (other work: no samples of the stack's
    # own instances), the second in a quiet one
    _run(
        root,
        "python-512",
        "scenario1",
        512,
        [(0.1, 300.0, True, "q1", 180.0), (4.1, 280.0, True, "q3", 170.0)],
        host=[0.98, 0.2, 0.2, 0.2, 0.3, 0.2],
        init_cpu=BURST,
    )
    section = _cold_section(root, tmp_path / "out")
    assert _row(section, "python-512", "quiet (scenario 1)")[10] == "1 of 2"
