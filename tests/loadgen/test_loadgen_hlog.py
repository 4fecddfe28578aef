"""The .hlog is read correctly by HdrHistogram's reference Java HistogramLogProcessor."""

from __future__ import annotations

import csv
import io
import random
import shutil
import subprocess
from pathlib import Path

import pytest

from loadgen._hist import (
    HIGHEST_US,
    IntervalLogWriter,
    LatencyHistogram,
    new_hdr,
    read_interval_log,
)

JARS = [Path("/usr/share/java/hdrhistogram.jar"), *sorted(Path("/usr/share/java").glob("hdrhistogram-*.jar"))]


def java_tool() -> list[str]:
    jar = next((j for j in JARS if j.is_file()), None)
    if jar is None or shutil.which("java") is None:
        pytest.skip("HdrHistogram's Java tools are absent: apt-get install libhdrhistogram-java "
                    "(`make test` installs it)")
    return ["java", "-cp", str(jar), "org.HdrHistogram.HistogramLogProcessor"]


def write_log(path: Path, start_epoch_s: float, intervals: list[list[int]],
              errors: list[int]) -> None:
    with path.open("w", encoding="ascii") as stream:
        writer = IntervalLogWriter(stream, start_epoch_s=start_epoch_s, comment="[test]")
        for second, values in enumerate(intervals):
            hist = LatencyHistogram()
            for value in values:
                hist.record(value)
            writer.write_interval(hist.hdr, start_s=float(second), length_s=1.0)
            if second == 1:
                failed = LatencyHistogram()
                for value in errors:
                    failed.record(value)
                writer.write_interval(failed.hdr, start_s=1.0, length_s=1.0, tag="errors")


@pytest.mark.java
@pytest.mark.parametrize("start_epoch_s", [1_700_000_000.25, 0.0])
def test_java_histogram_log_processor_reads_our_log(tmp_path: Path, start_epoch_s: float) -> None:
    tool = java_tool()
    rng = random.Random(7)
    intervals = [[rng.randint(50, 5000) for _ in range(500)], [], [rng.randint(1, 2_000_000) for _ in range(300)],
                 [HIGHEST_US + 5, 900]]
    errors = [30_000_000, 30_000_100]
    log = tmp_path / "latency.hlog"
    write_log(log, start_epoch_s, intervals, errors)

    done = subprocess.run([*tool, "-i", str(log), "-o", str(tmp_path / "out"), "-csv",
                           "-outputValueUnitRatio", "1"], check=False, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    text = "".join(line for line in (tmp_path / "out").read_text().splitlines(True) if line[:1] != "#")
    rows = list(csv.DictReader(io.StringIO(text)))
    # One row per interval, each with our count, in order, at our timestamps.
    assert [int(r["Int_Count"]) for r in rows] == [len(v) for v in intervals]
    assert [float(r["Timestamp"]) for r in rows] == [1.0, 2.0, 3.0, 4.0]
    everything = LatencyHistogram()
    for values in intervals:
        for value in values:
            everything.record(value)
    assert int(rows[-1]["Total_Count"]) == everything.count
    # Percentiles and max agree with the Python histogram (same HDR buckets).
    pct = everything.percentiles_us((50.0, 90.0, 99.0))
    assert float(rows[-1]["Total_50%"]) == pct[50.0]
    assert float(rows[-1]["Total_90%"]) == pct[90.0]
    assert float(rows[-1]["Total_99%"]) == pct[99.0]
    assert float(rows[-1]["Total_Max"]) == new_hdr().get_highest_equivalent_value(HIGHEST_US)

    tagged = subprocess.run([*tool, "-i", str(log), "-tag", "errors", "-outputValueUnitRatio", "1"],
                            check=False, capture_output=True, text=True, timeout=120)
    assert tagged.returncode == 0, tagged.stderr
    assert "Total count    =            2" in tagged.stdout


def test_our_reader_round_trips_and_follows_base_time(tmp_path: Path) -> None:
    log = tmp_path / "latency.hlog"
    write_log(log, 1_700_000_000.5, [[10, 20], [30]], [7])
    intervals = list(read_interval_log(log))
    assert [(i.tag, i.start_epoch_s, i.hdr.get_total_count()) for i in intervals] == [
        (None, 1_700_000_000.5, 2), (None, 1_700_000_001.5, 1), ("errors", 1_700_000_001.5, 1)]


def test_out_of_range_values_are_clamped_and_counted() -> None:
    hist = LatencyHistogram()
    hist.record(HIGHEST_US * 3)
    hist.record(0)
    assert hist.count == 2 and hist.clamped == 1
    assert hist.max_us == HIGHEST_US
