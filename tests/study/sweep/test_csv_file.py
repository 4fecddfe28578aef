"""sweep.csv: one row per size asked for, in the order asked, a size not run marked so."""

from __future__ import annotations

import csv
from pathlib import Path

from study.sweep._csv_file import CSV_COLUMNS, write_csv

from ...support import sweeps


def test_each_size_is_a_row_in_order_and_one_not_run_says_so(tmp_path: Path) -> None:
    stats = {512: sweeps.stats(512, [10.0, 20.0, 30.0])}
    path = write_csv(
        tmp_path / "sweep.csv", [4096, 512], stats, {4096: "not emulable on this host"}
    )
    with path.open(encoding="utf-8", newline="") as stream:
        reader = csv.DictReader(stream)
        rows = list(reader)
    assert tuple(reader.fieldnames or ()) == CSV_COLUMNS
    assert [r["memory_mb"] for r in rows] == ["4096", "512"]
    skipped, measured = rows
    assert skipped["emulable"] == "no"
    assert skipped["warm_duration_p50_ms"] == "" and skipped["cost_per_million_usd"] == ""
    assert measured["emulable"] == "yes"
    assert (measured["cold_requests"], measured["warm_requests"]) == ("1", "3")
    assert measured["max_memory_used_mb"] == "61"
    warm = stats[512].warm_duration
    assert warm is not None
    assert float(measured["warm_duration_p50_ms"]) == round(warm.value, 4)
    assert float(measured["warm_duration_p50_low_ms"]) <= float(measured["warm_duration_p50_ms"])
    assert float(measured["init_p50_ms"]) == 127.5
