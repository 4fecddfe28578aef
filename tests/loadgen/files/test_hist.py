"""The .hlog is read correctly by HdrHistogram's reference Java HistogramLogProcessor."""

from __future__ import annotations

import base64
import csv
import io
import random
import shutil
import struct
import subprocess
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest
from hdrh.histogram import HdrHistogram

from loadgen import merge_results
from loadgen._errors import ResultsError
from loadgen.files._hist import (
    HIGHEST_US,
    IntervalLogWriter,
    LatencyHistogram,
    decode_histogram,
    new_hdr,
    read_interval_log,
)

from ...support.runs import two_runs

JARS = [
    Path("/usr/share/java/hdrhistogram.jar"),
    *sorted(Path("/usr/share/java").glob("hdrhistogram-*.jar")),
]


def java_tool() -> list[str]:
    jar = next((j for j in JARS if j.is_file()), None)
    if jar is None or shutil.which("java") is None:
        pytest.skip(
            "HdrHistogram's Java tools are absent: apt-get install libhdrhistogram-java "
            "(`make test` installs it)"
        )
    return ["java", "-cp", str(jar), "org.HdrHistogram.HistogramLogProcessor"]


def write_log(
    path: Path, start_epoch_s: float, intervals: list[list[int]], errors: list[int]
) -> None:
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
    intervals = [
        [rng.randint(50, 5000) for _ in range(500)],
        [],
        [rng.randint(1, 2_000_000) for _ in range(300)],
        [HIGHEST_US + 5, 900],
    ]
    errors = [30_000_000, 30_000_100]
    log = tmp_path / "latency.hlog"
    write_log(log, start_epoch_s, intervals, errors)

    done = subprocess.run(
        [*tool, "-i", str(log), "-o", str(tmp_path / "out"), "-csv", "-outputValueUnitRatio", "1"],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    text = "".join(
        line for line in (tmp_path / "out").read_text().splitlines(True) if line[:1] != "#"
    )
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

    tagged = subprocess.run(
        [*tool, "-i", str(log), "-tag", "errors", "-outputValueUnitRatio", "1"],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert tagged.returncode == 0, tagged.stderr
    assert "Total count    =            2" in tagged.stdout


def test_our_reader_round_trips_and_follows_base_time(tmp_path: Path) -> None:
    log = tmp_path / "latency.hlog"
    write_log(log, 1_700_000_000.5, [[10, 20], [30]], [7])
    intervals = list(read_interval_log(log))
    assert [(i.tag, i.start_epoch_s, i.hdr.get_total_count()) for i in intervals] == [
        (None, 1_700_000_000.5, 2),
        (None, 1_700_000_001.5, 1),
        ("errors", 1_700_000_001.5, 1),
    ]


def test_out_of_range_values_are_clamped_and_counted() -> None:
    hist = LatencyHistogram()
    hist.record(HIGHEST_US * 3)
    hist.record(0)
    assert hist.count == 2 and hist.clamped == 1
    assert hist.max_us == HIGHEST_US


# --- logs written by other tools, in the older encodings ----------------------------------
# Encoders written here from the layouts in HdrHistogram's Java source (AbstractHistogram):
# a cookie whose bits 4-7 hold the word size (8 for the long-count Histogram every logger
# used), the plain form's header, the counts as big-endian words, and the compressed form
# (cookie, length, zlib stream of the plain form).

WORD_8 = 8 << 4


def counts_of(hist: HdrHistogram) -> list[int]:
    return [hist.get_count_at_index(i) for i in range(hist.counts_len)]


def encode_v1(hist: HdrHistogram) -> str:
    counts = counts_of(hist)
    relevant = (
        hist.get_counts_array_index(hist.get_max_value()) + 1 if hist.get_total_count() else 0
    )
    words = struct.pack(f">{relevant}q", *counts[:relevant])
    plain = (
        struct.pack(
            ">iiiiqqd",
            0x1C849301 | WORD_8,
            len(words),
            0,
            hist.significant_figures,
            hist.lowest_trackable_value,
            hist.highest_trackable_value,
            1.0,
        )
        + words
    )
    packed = zlib.compress(plain)
    return base64.b64encode(struct.pack(">ii", 0x1C849302 | WORD_8, len(packed)) + packed).decode()


def encode_v0(hist: HdrHistogram) -> str:
    counts = counts_of(hist)
    plain = struct.pack(
        ">iiqqq",
        0x1C849308 | WORD_8,
        hist.significant_figures,
        hist.lowest_trackable_value,
        hist.highest_trackable_value,
        hist.get_total_count(),
    ) + struct.pack(f">{len(counts)}q", *counts)
    packed = zlib.compress(plain)
    return base64.b64encode(struct.pack(">ii", 0x1C849309 | WORD_8, len(packed)) + packed).decode()


def encode_v2(hist: HdrHistogram) -> str:
    payload = hist.encode()
    return payload.decode() if isinstance(payload, bytes) else payload


ENCODERS = {"V0": encode_v0, "V1": encode_v1, "V2": encode_v2}
# What each tool wrote at the top of its log (jHiccup 2.0.1 / 2.0.6, YCSB, HdrHistogram 2.1).
HEADERS = {
    "V0": ["#[Logged with jHiccup version 2.0.1]", "#[Histogram log format version 1.01]"],
    "V1": ["#[Logged with jHiccup version 2.0.6]", "#[Histogram log format version 1.1]"],
    "V2": ["#[Histogram log format version 1.2]"],
}


def other_tool_log(path: Path, version: str, intervals: list[HdrHistogram]) -> None:
    lines = [
        *HEADERS[version],
        "#[StartTime: 1441812123.244 (seconds since epoch), Wed Sep 09 15:22:03 UTC 2015]",
        '"StartTimestamp","Interval_Length","Interval_Max","Interval_Compressed_Histogram"',
    ]
    for second, hist in enumerate(intervals):
        max_value = hist.get_max_value() if hist.get_total_count() else 0
        lines.append(f"{second}.127,1.000,{max_value / 1e6:.3f},{ENCODERS[version](hist)}")
    path.write_text("\n".join(lines) + "\n", encoding="ascii")


def intervals_of(seed: int, lowest: int, highest: int, digits: int) -> list[HdrHistogram]:
    rng = random.Random(seed)
    out = []
    for size in (400, 0, 250, 3):
        hist = HdrHistogram(lowest, highest, digits)
        for _ in range(size):
            hist.record_value(rng.randint(lowest, highest // 4))
        out.append(hist)
    return out


@pytest.mark.java
@pytest.mark.parametrize("version", ["V0", "V1", "V2"])
@pytest.mark.parametrize(
    ("lowest", "highest", "digits"), [(1, 3_600_000_000, 2), (1000, 3_600_000_000_000, 3)]
)
def test_older_encodings_are_read_as_the_java_reader_reads_them(
    tmp_path: Path, version: str, lowest: int, highest: int, digits: int
) -> None:
    tool = java_tool()
    log = tmp_path / f"{version}.hlog"
    intervals = intervals_of(11, lowest, highest, digits)
    other_tool_log(log, version, intervals)

    ours = list(read_interval_log(log))
    done = subprocess.run(
        [*tool, "-i", str(log), "-o", str(tmp_path / "out"), "-csv", "-outputValueUnitRatio", "1"],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    text = "".join(
        line for line in (tmp_path / "out").read_text().splitlines(True) if line[:1] != "#"
    )
    rows = list(csv.DictReader(io.StringIO(text)))
    assert (
        [int(r["Int_Count"]) for r in rows]
        == [i.hdr.get_total_count() for i in ours]
        == [400, 0, 250, 3]
    )
    assert [i.start_epoch_s for i in ours] == pytest.approx(
        [1441812123.244 + s + 0.127 for s in range(4)]
    )
    total = HdrHistogram(lowest, highest, digits)
    for interval in ours:
        total.add(interval.hdr)
    assert int(rows[-1]["Total_Count"]) == total.get_total_count()
    assert float(rows[-1]["Total_Max"]) == total.get_max_value()
    # Every bucket as written, in the layout the header gives.
    for interval, written in zip(ours, intervals, strict=True):
        assert counts_of(interval.hdr) == counts_of(written)
    if lowest == 1:
        # Python's and Java's percentile walks agree for unit-resolution layouts (for
        # coarser ones they differ by a few buckets, V2 included: not a decoding matter).
        for level in (50.0, 90.0, 99.0):
            assert float(rows[-1][f"Total_{level:g}%"]) == total.get_value_at_percentile(level)


@pytest.mark.parametrize(
    ("payload", "named"),
    [
        (base64.b64encode(struct.pack(">ii", 0x0C72124F, 0)).decode(), "DoubleHistogram"),
        (
            base64.b64encode(struct.pack(">ii", 0x12345678, 0)).decode(),
            "unknown histogram cookie 0x12345678",
        ),
        (
            base64.b64encode(struct.pack(">ii", 0x1C849302 | WORD_8, 5) + b"xxxxx").decode(),
            "V1 compressed histogram",
        ),
        (
            base64.b64encode(struct.pack(">ii", 0x1C849301 | (3 << 4), 0)).decode(),
            "word size of 3 bytes",
        ),
        ("not base64!", "not base64"),
    ],
)
def test_unreadable_histograms_are_refused_naming_what_was_found(
    tmp_path: Path, payload: str, named: str
) -> None:
    log = tmp_path / "other.hlog"
    log.write_text(
        f"#[Histogram log format version 1.2]\n0.0,1.0,0.0,{payload}\n", encoding="ascii"
    )
    with pytest.raises(ResultsError) as info:
        list(read_interval_log(log))
    message = str(info.value)
    assert named in message and f"{log}:2: " in message
    assert "\n" not in message and not message.rstrip().endswith(":")


def reencode_v1(log: Path, hist_of: Callable[[HdrHistogram], HdrHistogram] = lambda h: h) -> None:
    """Rewrite every interval of ``log`` in the V1 encoding (as YCSB would have written it)."""
    lines = []
    for line in log.read_text(encoding="ascii").splitlines():
        if line[:1].isdigit() or line.startswith("Tag="):
            head, _, payload = line.rpartition(",")
            line = f"{head},{encode_v1(hist_of(decode_histogram(payload)))}"
        lines.append(line)
    log.write_text("\n".join(lines) + "\n", encoding="ascii")


def test_merge_reads_a_v1_log_and_refuses_values_past_its_range_in_one_line(tmp_path: Path) -> None:
    first, second = two_runs(tmp_path)
    counts = [
        sum(i.hdr.get_total_count() for i in read_interval_log(f / "latency.hlog"))
        for f in (first, second)
    ]
    reencode_v1(second / "latency.hlog")
    merge_results([first, second], tmp_path / "merged")
    assert sum(
        i.hdr.get_total_count() for i in read_interval_log(tmp_path / "merged" / "latency.hlog")
    ) == sum(counts)

    def nanoseconds(hist: HdrHistogram) -> HdrHistogram:
        wide = HdrHistogram(1, 3_600_000_000_000, 3)
        wide.record_value(2_000_000_000_000)
        return wide

    reencode_v1(second / "latency.hlog", nanoseconds)
    with pytest.raises(ResultsError) as info:
        merge_results([first, second], tmp_path / "merged-ns")
    message = str(info.value)
    assert "beyond the 600000000 µs a merged log keeps" in message and "\n" not in message
