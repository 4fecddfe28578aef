"""Two runs of the same stacks (or of the same sweep) side by side, figure by figure.

A run is a folder of result folders (``<run>/<target>/<scenario>/``) with the functions' logs
(``<run>/logs/<target>.log``), the local emulator's or AWS's: a memory sweep writes its sizes
the same way (``<run>/<stack>-at-<MB>/sweep/``). For every target present in both, each figure
is a median with its distribution-free interval (:mod:`report._intervals`), from the client's
records ([C]) or the REPORT lines joined to them by request id ([S]); the table gives both
medians, their ratio B / A, and whether the intervals overlap: ``inside`` when they do (the two
runs cannot be told apart on that figure), else ``B higher`` or ``B lower``. That table says how
far one run's answer (the laptop's, say) stands for the other's (AWS's).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from resultfiles import Record

from ._intervals import CI_METHOD, Estimate, median_estimate
from ._markdown import find_logs
from ._reading import ScenarioRun, collect, load_report_lines
from ._reportline import ReportLine

__all__ = ["Comparison", "FigureRow", "compare_runs", "render_comparison"]


@dataclass(frozen=True, kw_only=True)
class FigureRow:
    target: str
    figure: str
    a: Estimate | None
    b: Estimate | None

    @property
    def ratio(self) -> float | None:
        if self.a is None or self.b is None or self.a.value == 0:
            return None
        return self.b.value / self.a.value

    @property
    def verdict(self) -> str:
        if self.a is None or self.b is None:
            return "no value in " + ("A" if self.a is None else "B")
        if self.a.overlaps(self.b):
            return "inside"
        return "B higher" if self.b.value > self.a.value else "B lower"


@dataclass(frozen=True, kw_only=True)
class Comparison:
    a: Path
    b: Path
    rows: tuple[FigureRow, ...]
    #: targets found in one run only
    only_a: tuple[str, ...]
    only_b: tuple[str, ...]


_Picker = Callable[[Record, ReportLine | None], float | None]


def _warm(r: Record) -> bool:
    return r.ok and r.cold_start is not True and not r.restore


def _cold(r: Record) -> bool:
    return r.ok and r.cold_start is True


_FIGURES: tuple[tuple[str, Callable[[Record], bool], _Picker], ...] = (
    ("cold request latency ms [C]", _cold, lambda r, _rep: r.latency_us / 1000.0),
    (
        "Init Duration ms [S]",
        _cold,
        lambda _r, rep: rep.init_duration_ms if rep is not None else None,
    ),
    ("warm latency ms [C]", _warm, lambda r, _rep: r.latency_us / 1000.0),
    ("warm Duration ms [S]", _warm, lambda _r, rep: rep.duration_ms if rep is not None else None),
    (
        "warm Billed Duration ms [S]",
        _warm,
        lambda _r, rep: rep.billed_duration_ms if rep is not None else None,
    ),
    (
        "Max Memory Used MB [S]",
        lambda r: r.ok,
        lambda _r, rep: float(rep.max_memory_used_mb) if rep is not None else None,
    ),
)


def _by_target(runs: Sequence[ScenarioRun]) -> dict[str, list[Record]]:
    out: dict[str, list[Record]] = {}
    for run in runs:
        out.setdefault(run.target, []).extend(run.records)
    return out


def _estimates(
    records: Sequence[Record], reports: dict[str, ReportLine]
) -> dict[str, Estimate | None]:
    out: dict[str, Estimate | None] = {}
    for name, keep, pick in _FIGURES:
        values = []
        for r in records:
            if not keep(r):
                continue
            value = pick(r, reports.get(r.request_id) if r.request_id else None)
            if value is not None:
                values.append(value)
        out[name] = median_estimate(values)
    return out


def _load(run: Path) -> tuple[dict[str, list[Record]], dict[str, ReportLine]]:
    runs = collect([run])
    reports, _problems = load_report_lines(find_logs([run]))
    return _by_target(runs), reports


def compare_runs(a: Path, b: Path) -> Comparison:
    """Every figure of every target both runs measured (ResultsError when a run has none)."""
    targets_a, reports_a = _load(a)
    targets_b, reports_b = _load(b)
    rows: list[FigureRow] = []
    for target in sorted(set(targets_a) & set(targets_b)):
        ea = _estimates(targets_a[target], reports_a)
        eb = _estimates(targets_b[target], reports_b)
        rows.extend(
            FigureRow(target=target, figure=name, a=ea[name], b=eb[name])
            for name, _keep, _pick in _FIGURES
            if ea[name] is not None or eb[name] is not None
        )
    return Comparison(
        a=a,
        b=b,
        rows=tuple(rows),
        only_a=tuple(sorted(set(targets_a) - set(targets_b))),
        only_b=tuple(sorted(set(targets_b) - set(targets_a))),
    )


def _cell(e: Estimate | None) -> str:
    if e is None:
        return "–"
    return f"{e.value:,.2f} [{e.low:,.2f}–{e.high:,.2f}] n={e.n}"


def render_comparison(c: Comparison) -> str:
    """The side-by-side table (Markdown), with what it rests on."""
    lines = [
        f"A: {c.a}",
        f"B: {c.b}",
        "",
        "| target | figure | A median [CI] | B median [CI] | B / A | difference |",
        "| --- | --- | --- | --- | ---: | --- |",
    ]
    for row in c.rows:
        ratio = "–" if row.ratio is None else f"{row.ratio:.2f}×"
        lines.append(
            f"| {row.target} | {row.figure} | {_cell(row.a)} | {_cell(row.b)} | "
            f"{ratio} | {row.verdict} |"
        )
    lines += [
        "",
        (
            f'Medians with the {CI_METHOD}; "inside": the two intervals overlap, so the '
            "runs cannot be told apart on that figure. [C] client records, [S] REPORT lines "
            "joined to them by request id."
        ),
    ]
    if c.only_a:
        lines.append(f"Only in A (not compared): {', '.join(c.only_a)}")
    if c.only_b:
        lines.append(f"Only in B (not compared): {', '.join(c.only_b)}")
    if not c.rows:
        lines.append("No target is in both runs: compare runs of the same stacks or sweep.")
    return "\n".join(lines)
