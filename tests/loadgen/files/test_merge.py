"""merge: runs from several machines become one result folder, losslessly."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from loadgen import ResultsError, merge_results
from loadgen.__main__ import main as cli_main
from loadgen.files._hist import LatencyHistogram, read_interval_log
from report._figures import stack_figures
from report._reading import collect

from ...support.runs import two_runs


def test_merge_is_lossless(tmp_path: Path) -> None:
    folders = two_runs(tmp_path)
    out = tmp_path / "merged"
    summary = merge_results(folders, out)
    sources = [json.loads((f / "summary.json").read_text()) for f in folders]
    assert summary["requests"] == sum(s["requests"] for s in sources)
    assert summary["ok"] == sum(s["ok"] for s in sources)
    assert summary["errors"]["http_status"] == sum(s["errors"]["http_status"] for s in sources) > 0
    recs = [json.loads(line) for line in (out / "requests.jsonl").read_text().splitlines()]
    assert len(recs) == summary["requests"]
    assert {r["source"] for r in recs} == {0, 1}
    # The merged interval log holds exactly the merged successful latencies.
    from_records = LatencyHistogram()
    for rec in recs:
        if rec["error"] is None:
            from_records.record(rec["latency_us"])
    from_log = LatencyHistogram()
    for interval in read_interval_log(out / "latency.hlog"):
        if interval.tag is None:
            from_log.add_hdr(interval.hdr)
    assert from_log.count == from_records.count
    levels = (50.0, 99.0, 100.0)
    assert from_log.percentiles_us(levels) == from_records.percentiles_us(levels)
    assert summary["latency_ms"]["p99"] == from_records.percentiles_us((99.0,))[99.0] / 1000
    with (out / "timeline.csv").open() as stream:
        rows = list(csv.DictReader(stream))
    assert sum(int(r["hits"]) for r in rows) == summary["requests"]
    run_info = json.loads((out / "run.json").read_text())
    assert len(run_info["merged_from"]) == 2


def test_merge_refuses_what_it_cannot_do(tmp_path: Path) -> None:
    with pytest.raises(ResultsError, match="at least two"):
        merge_results([tmp_path], tmp_path / "out")
    (tmp_path / "x").mkdir()
    (tmp_path / "y").mkdir()
    with pytest.raises(ResultsError, match="run.json is missing"):
        merge_results([tmp_path / "x", tmp_path / "y"], tmp_path / "out")


def test_merge_refuses_different_scenarios(tmp_path: Path) -> None:
    for name, scenario in (("x", "scenario1"), ("y", "scenario2")):
        (tmp_path / name).mkdir()
        info: dict[str, Any] = {"scenario": scenario, "start_epoch_s": 0}
        (tmp_path / name / "run.json").write_text(json.dumps(info))
        (tmp_path / name / "summary.json").write_text("{}")
    with pytest.raises(ResultsError, match="different scenarios"):
        merge_results([tmp_path / "x", tmp_path / "y"], tmp_path / "out")


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return two_runs(tmp_path_factory.mktemp("recorded"))


@pytest.fixture()
def sources(recorded: list[Path], tmp_path: Path) -> list[Path]:
    """A fresh copy of the two recorded runs, free to damage."""
    return [
        Path(shutil.copytree(src, tmp_path / "src" / name))
        for src, name in zip(recorded, ("a", "b"), strict=True)
    ]


def test_one_hits_per_s_in_summary_merge_and_report(sources: list[Path], tmp_path: Path) -> None:
    out = tmp_path / "merged"
    merge_results(sources, out)
    for folder in (*sources, out):
        summary = json.loads((folder / "summary.json").read_text())
        runs = collect([folder])
        figures = stack_figures(runs[0].target, runs, {})
        with (folder / "timeline.csv").open() as stream:
            hits = [int(row["hits"]) for row in csv.DictReader(stream)]
        # docs/results.md: the mean and the peak of timeline.csv's hits column
        assert summary["hits_per_s"] == {"mean": round(sum(hits) / len(hits), 3), "peak": max(hits)}
        assert (figures.hits_per_s_mean, figures.hits_per_s_peak) == (
            summary["hits_per_s"]["mean"],
            summary["hits_per_s"]["peak"],
        )
        assert figures.data_problems == [] and figures.incomplete == []


@pytest.mark.parametrize(
    ("name", "damage", "says"),
    [
        ("requests.jsonl", b"[1]\n", "a JSON list, not a request record"),
        ("requests.jsonl", b'{"seq":0}\n', "record without 'stage'"),
        ("requests.jsonl", b"\xff\xfe\n", "not UTF-8 text"),
        ("timeline.csv", b"0,abc\n", "2 columns where the header has 11"),
        ("latency.hlog", b"0.000,1.000,0.000,HISTFAAAAB\n", "histogram"),
    ],
)
def test_merge_stops_at_damage_with_file_and_line(
    sources: list[Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    name: str,
    damage: bytes,
    says: str,
) -> None:
    path = sources[1] / name
    line = len(path.read_bytes().splitlines()) + 1
    with path.open("ab") as stream:
        stream.write(damage)
    out = tmp_path / "merged"
    argv = ["merge", str(sources[0]), str(sources[1]), "--out", str(out)]
    assert cli_main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith(f"error: {path}:{line}: ") and says in err
    # Nothing half-written stays behind: the same --out works once the damage is repaired.
    assert not out.exists()
    path.write_bytes(path.read_bytes()[: -len(damage)])
    assert cli_main(argv) == 0


def test_merge_names_a_torn_source_and_the_report_marks_it(
    sources: list[Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    requests = sources[1] / "requests.jsonl"
    lines = requests.read_bytes().splitlines(keepends=True)
    requests.write_bytes(b"".join(lines[:-1]) + lines[-1][:20])
    out = tmp_path / "merged"
    assert cli_main(["merge", str(sources[0]), str(sources[1]), "--out", str(out)]) == 0
    torn = f"{requests}:{len(lines)} is torn (cut while being written) and is left out"
    short = f"{sources[1]}: requests.jsonl holds {len(lines) - 1:,} records where"
    err = capsys.readouterr().err
    assert f"warning: {torn}" in err and f"warning: {short}" in err
    summary = json.loads((out / "summary.json").read_text())
    assert summary["data_problems"][0] == torn and summary["data_problems"][1].startswith(short)
    runs = collect([out])
    figures = stack_figures(runs[0].target, runs, {})
    assert torn in figures.data_problems


def test_merge_takes_a_torn_last_interval_of_latency_hlog_as_a_torn_last_record(
    sources: list[Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    hlog = sources[1] / "latency.hlog"
    lines = hlog.read_bytes().splitlines(keepends=True)
    assert lines[-1][:1].isdigit() or lines[-1].startswith(b"Tag=")
    # A run killed while writing its last interval: the line stops inside the histogram.
    hlog.write_bytes(b"".join(lines[:-1]) + lines[-1][:-12])
    kept = sum(
        i.hdr.get_total_count()
        for src in sources
        for i in read_interval_log(src / "latency.hlog", on_torn=lambda _n: None)
    )
    out = tmp_path / "merged"
    assert cli_main(["merge", str(sources[0]), str(sources[1]), "--out", str(out)]) == 0
    torn = f"{hlog}:{len(lines)} is torn (cut while being written) and is left out"
    err = capsys.readouterr().err
    assert f"warning: {torn}" in err and "Traceback" not in err
    summary = json.loads((out / "summary.json").read_text())
    assert [p for p in summary["data_problems"] if p.startswith(torn)] != []
    # Every whole interval is in the merged log; the records are all there.
    assert sum(i.hdr.get_total_count() for i in read_interval_log(out / "latency.hlog")) == kept
    assert summary["requests"] == sum(
        json.loads((src / "summary.json").read_text())["requests"] for src in sources
    )
    runs = collect([out])
    assert any(p.startswith(torn) for p in stack_figures(runs[0].target, runs, {}).data_problems)


def test_merge_into_an_unwritable_folder_is_one_error(sources: list[Path], tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with pytest.raises(ResultsError, match="cannot write the merged results in .*a-file/merged"):
        merge_results(sources, blocker / "merged")
    assert blocker.read_text() == ""


def test_a_space_reserve_left_by_a_killed_run_confuses_neither_merge_nor_report(
    sources: list[Path],
    tmp_path: Path,
) -> None:
    # SIGKILL gives a run no chance to remove the 1 MiB it set aside (docs/results.md).
    for src in sources:
        (src / ".space-reserve").write_bytes(bytes(1 << 20))
    out = tmp_path / "merged"
    out.mkdir()
    (out / ".space-reserve").write_bytes(bytes(1 << 20))  # killed before writing anything else
    summary = merge_results(sources, out)
    assert summary["requests"] == sum(
        json.loads((src / "summary.json").read_text())["requests"] for src in sources
    )
    assert not (out / ".space-reserve").exists()
    figures = stack_figures("t", collect([tmp_path / "src"]), {})
    assert figures.data_problems == []
