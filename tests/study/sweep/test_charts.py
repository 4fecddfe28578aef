"""The two charts are PNG files, drawn also when a size has no figure (it failed)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from study.sweep._charts import cold_start_chart, duration_cost_chart
from study.sweep._stats import size_stats

from ...support import sweeps


def test_both_charts_are_pngs_with_a_failed_size_among_the_measured(tmp_path: Path) -> None:
    failed = [
        dataclasses.replace(inv, failure="out_of_memory", duration_ms=None)
        for inv in sweeps.invocations(128, [1.0])
    ]
    stats = [size_stats(128, failed), sweeps.stats(512, [30.0, 31.0, 32.0])]
    assert not stats[0].usable
    charts = [
        duration_cost_chart(stats, tmp_path / "d.png", title="python-512", chosen_mb=512),
        cold_start_chart(stats, tmp_path / "c.png", title="python-512: cold starts"),
    ]
    for chart in charts:
        assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert chart.stat().st_size > 5_000
