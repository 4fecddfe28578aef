"""sweep.json: how the sweep ran, the measured sizes' figures, the choice, an interruption."""

from __future__ import annotations

import json

from study.sweep._document import stats_json, sweep_document
from study.sweep._stats import Choice, Strategy

from ...support import sweeps


def _document(function: str | None, interrupted: int | None) -> dict[str, object]:
    stats = {512: sweeps.stats(512, [30.0, 31.0, 32.0])}
    choice = Choice(memory_mb=512, ties=(256,), reason="cost: 512 MB is the cheapest")
    return sweep_document(
        stack="python-512",
        function=function,
        run_id="sweep-1",
        sizes=[256, 512],
        cold=1,
        warm=3,
        parallelism=1,
        batch=1,
        strategy=Strategy(name="cost"),
        slo=None,
        elapsed_s=12.345,
        architecture="arm64",
        by_strategy=choice,
        choice=choice,
        not_run={256: "not emulable"},
        stats=stats,
        interrupted=interrupted,
    )


def test_a_local_sweep_document_holds_the_measured_sizes_and_the_choice() -> None:
    document = json.loads(json.dumps(_document(None, None)))
    assert (document["backend"], document["function"]) == ("emulator", None)
    assert document["memory_mb"] == [256, 512] and document["elapsed_s"] == 12.3
    assert (document["chosen_mb"], document["ties_mb"]) == (512, [256])
    assert document["not_run"] == {"256": "not emulable"}
    assert [s["memory_mb"] for s in document["sizes"]] == [512]
    assert document["sizes"][0] == stats_json(sweeps.stats(512, [30.0, 31.0, 32.0]))
    assert document["interrupted"] is None


def test_an_aws_sweep_stopped_by_a_signal_says_so() -> None:
    document = _document("my-function", 15)
    assert (document["backend"], document["function"]) == ("aws", "my-function")
    assert document["interrupted"] == "stopped by signal 15"


def test_each_size_carries_its_medians_with_their_intervals() -> None:
    size = stats_json(sweeps.stats(512, [30.0, 31.0, 32.0]))
    warm = size["warm_duration_ms"]["median"]
    assert warm["n"] == 3 and warm["low"] <= warm["value"] <= warm["high"]
    assert size["init_ms"]["p50"] == 127.5
    assert (size["cold_requests"], size["warm_requests"]) == (1, 3)
