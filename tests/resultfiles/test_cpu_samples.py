"""A stack's CPU samples read as typed samples: what the report tells the bounds apart with."""

from __future__ import annotations

import json
from pathlib import Path

from resultfiles import CpuSample, read_cpu_samples

LINE = {
    "t": 1796134926.578,
    "interval_s": 0.9966,
    "instances": 3,
    "periods": 30,
    "throttled_periods": 12,
    "throttled_ms": 800.0,
    "usage_ms": None,
    "instances_cpu_ms": 310.0,
    "requests": 95,
    "emulator_cpu_ms": 40.1,
    "emulator_requests": 95,
}


def test_the_documented_line_reads_field_by_field(tmp_path: Path) -> None:
    path = tmp_path / "python-512.cpu.jsonl"
    path.write_text(json.dumps(LINE) + "\n", encoding="utf-8")
    assert read_cpu_samples(path, after_s=0.0, until_s=2e9) == [
        CpuSample(
            t=1796134926.578,
            interval_s=0.9966,
            instances=3,
            periods=30,
            throttled_periods=12,
            throttled_ms=800.0,
            usage_ms=None,
            instances_cpu_ms=310.0,
            requests=95,
            emulator_cpu_ms=40.1,
            emulator_requests=95,
        )
    ]


def test_only_the_window_is_read_and_damaged_lines_are_skipped(tmp_path: Path) -> None:
    path = tmp_path / "python-512.cpu.jsonl"
    lines = [json.dumps({**LINE, "t": t}) for t in (99.0, 100.0, 100.5, 101.0, 101.5)]
    lines += [
        "[1]",
        json.dumps({**LINE, "t": "soon"}),
        json.dumps({**LINE, "periods": "x"}),
        '{"t": 100.7, "interv',
    ]
    path.write_text("\n".join(lines), encoding="utf-8")
    samples = read_cpu_samples(path, after_s=100.0, until_s=101.0)
    # (after_s, until_s]: a line covers the interval before its time.
    assert [s.t for s in samples] == [100.5, 101.0]
    assert read_cpu_samples(tmp_path / "absent.cpu.jsonl", after_s=0.0, until_s=1.0) == []


def test_a_value_of_the_wrong_type_reads_as_absent(tmp_path: Path) -> None:
    path = tmp_path / "python-512.cpu.jsonl"
    path.write_text(json.dumps({**LINE, "periods": "x", "usage_ms": True}) + "\n", encoding="utf-8")
    (sample,) = read_cpu_samples(path, after_s=0.0, until_s=2e9)
    assert sample.periods is None and sample.usage_ms is None and sample.instances_cpu_ms == 310.0
