"""``python -m report compare A B`` on two recorded runs of the same stack: the laptop's
(the emulator's REPORT lines) and an AWS-shaped one (AWS's tab-separated REPORT lines, its
warm latency from inside the region), both in tests/report/compare_runs/."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from report.__main__ import main
from report._compare import compare_runs

RUNS = Path(__file__).resolve().parent / "compare_runs"


def test_each_figure_side_by_side_with_ratio_and_whether_inside_the_intervals() -> None:
    c = compare_runs(RUNS / "laptop", RUNS / "aws")
    rows = {row.figure: row for row in c.rows}
    init = rows["Init Duration ms [S]"]
    assert init.a is not None and init.b is not None
    # medians of 3 (nearest rank): 58.10 and 151.20; with 3 samples the interval is [min, max]
    assert (init.a.value, init.a.low, init.a.high) == (58.10, 55.70, 61.30)
    assert init.ratio == pytest.approx(151.20 / 58.10)
    assert init.verdict == "B higher"
    assert rows["warm latency ms [C]"].verdict == "B lower"
    warm = rows["warm Duration ms [S]"]
    assert warm.a is not None and warm.b is not None
    assert (warm.a.value, warm.b.value) == (0.99, 1.01)
    assert warm.verdict == "inside"
    assert {row.target for row in c.rows} == {"python-512"}


def test_the_command_prints_the_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compare", str(RUNS / "laptop"), str(RUNS / "aws")]) == 0
    out = capsys.readouterr().out
    assert "| python-512 | warm Duration ms [S] | 0.99 [0.91–1.10] n=11 |" in out
    assert "| 2.60× | B higher |" in out


def test_runs_of_different_stacks_compare_nothing_and_say_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = tmp_path / "other"
    shutil.copytree(RUNS / "aws", other)
    (other / "python-512").rename(other / "java-512")
    (other / "logs" / "python-512.log").rename(other / "logs" / "java-512.log")
    for path in other.rglob("run.json"):
        path.write_text(path.read_text().replace('"python-512"', '"java-512"'))
    assert main(["compare", str(RUNS / "laptop"), str(other)]) == 3
    out = capsys.readouterr().out
    assert "No target is in both runs" in out
    assert "Only in B (not compared): java-512" in out


def test_a_missing_run_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compare", str(RUNS / "laptop"), str(tmp_path / "nope")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1
