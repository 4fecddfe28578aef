"""The per-size table: the chosen size marked, a size not run or not measured says why."""

from __future__ import annotations

from study.sweep._table import table

from ...support import sweeps


def test_the_chosen_size_is_marked_and_the_missing_sizes_say_why() -> None:
    stats = {512: sweeps.stats(512, [10.0, 20.0, 30.0]), 1024: sweeps.stats(1024, [5.0, 6.0])}
    lines = table(
        [128, 512, 1024, 4096], stats, {4096: "not emulable on this host"}, chosen_mb=1024
    )
    header, rule, *rows = lines
    assert header.count("|") == rule.count("|") == rows[0].count("|")
    by_size = {row.split("|")[1].strip(): row for row in rows}
    assert list(by_size) == ["128", "512", "1,024 ✔", "4,096"]
    assert "not measured (the sweep was interrupted)" in by_size["128"]
    assert "not emulable on this host" in by_size["4,096"]
    assert "none" in by_size["512"]  # no failures
    assert all(row.count("|") == header.count("|") for row in rows)
