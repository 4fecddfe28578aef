"""The report's sections written from result folders and figures alone: the header's machine and
interpreters, the incomplete runs and missing data, scenario 2's side-by-side table, and
scenario 1's idle gaps per run."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from resultfiles import ENDPOINTS, Bracket, ResultsError, Scenario1Facts, read_endpoints

from . import _cpu_section as _sat
from ._cells import marks, ms, num
from ._figures import StackFigures
from ._reading import ScenarioRun

__all__ = ["data_section", "gaps", "hosts", "machine", "side_by_side"]


def machine(runs: Sequence[ScenarioRun]) -> str:
    for run in runs:
        m = run.run.machine
        if m is not None:
            usable = next((n for n in (m.cpus_usable, m.cpu_count) if n is not None), "?")
            return (
                f"{m.hostname or '?'}: {m.cpu_model or '?'}, {usable} "
                f"usable CPUs, {m.platform or '?'}"
            )
    return "unknown (run.json lacks `machine`)"


def hosts(dirs: Sequence[Path], runs: Sequence[ScenarioRun]) -> str | None:
    """Which interpreters really ran the functions, when the local emulator kept its endpoints
    file."""
    for top in dirs:
        for path in sorted(top.rglob(ENDPOINTS)):
            try:
                endpoints = read_endpoints(path)
            except ResultsError:
                continue
            hosted = endpoints.hosted_by if endpoints is not None else None
            if hosted is None:
                continue
            declared = sorted(
                {str(r.settings.get("runtime")) for r in runs if r.settings.get("runtime")}
            )
            local = ", ".join(
                f"{'Python' if k == 'python' else 'Java'} {v}"
                for k, v in sorted(hosted.items())
                if v
            )
            return (
                f"- Hosted by the local emulator with {local}; the stacks declare "
                f"{', '.join(declared) or 'no runtime'}, which is what AWS would run."
            )
    return None


def _errors(f: StackFigures) -> str:
    if not f.errors:
        return "0"
    return ", ".join(f"{k} {v}" for k, v in f.errors.items())


def data_section(figures: Sequence[StackFigures]) -> list[str]:
    """Per stack, which runs are incomplete and which files are missing, torn or short."""
    flagged = [f for f in figures if f.incomplete or f.data_problems]
    if not flagged:
        return []
    md = [
        "## Incomplete runs and missing data",
        "",
        (
            "The figures below are computed from what the files hold; the stacks listed here are "
            "marked in every table and are not candidates for the recommendation."
        ),
        "",
    ]
    for f in flagged:
        md += [f"- **{f.stack}**"]
        md += [f"  - incomplete run: {run}" for run in f.incomplete]
        md += [f"  - {problem}" for problem in f.data_problems]
    return [*md, ""]


def side_by_side(figures: Sequence[StackFigures], unit: str = "predictions") -> list[str]:
    head = (
        "| stack | language | memory MB | arch | strategy | mitigation | requests [C] | errors "
        "[C] "
        "| throttles [C] | warm p50 ms [C] | p90 [C] | p99 [C] | max [C] | mean [C] "
        "| hits/s mean [C] | hits/s peak [C] " + _sat.TABLE_HEADS + "| billed GB-s [S] | $ per "
        f"1M {unit} [D] |"
    )
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for f in figures:
        per_million = f.cost.per_million_predictions_usd if f.cost else None
        lines.append(
            f"| {marks(f, saturated=True)} | {f.language} | {num(f.memory_mb, '{}')} | "
            f"{f.architecture} | {f.strategy} "
            f"| {f.mitigation} | {f.requests:,} | {_errors(f)} | {f.throttled} | "
            f"{ms(f.warm_p50_ms)} "
            f"| {ms(f.warm_p90_ms)} | {ms(f.warm_p99_ms)} | {ms(f.warm_max_ms)} | "
            f"{ms(f.warm_mean_ms)} "
            f"| {num(f.hits_per_s_mean)} | {num(f.hits_per_s_peak, '{}')} {_sat.table_cells(f)}"
            f"| {num(f.billed_gb_s, '{:.3f}')} | {num(per_million, '{:.4f}')} |"
        )
    return lines


def gaps(run: ScenarioRun) -> list[str]:
    s1 = run.summary.scenario1 or Scenario1Facts()
    lines = [
        f"**{run.target}**",
        "",
        (
            "| request | planned idle (unscaled) | idle measured (unscaled) | latency ms [C] | "
            "cold? [C] "
            "| instance [C] | outcome [D] |"
        ),
        "|---|---|---|---|---|---|---|",
    ]
    first = next((r for r in run.records if r.phase in (None, "probe")), None)
    if first is not None:
        lines.append(
            f"| #{first.seq} (first) | – | – | {ms(first.latency_us / 1000)} "
            f"| {_cold(first.cold_start)} | `{first.instance_id or '–'}` | – |"
        )
    for g in s1.gaps:
        planned = (g.planned_s or 0.0) * run.time_scale
        lines.append(
            f"| #{'?' if g.seq is None else g.seq} ({g.phase or 'probe'}) | {_dur(planned)} | "
            f"{_dur(g.idle_plan_s)} "
            f"| {ms(g.latency_ms)} | {_cold(g.cold_start)} | "
            f"`{g.instance_id or '–'}` "
            f"| {g.outcome or '?'} |"
        )
    lines.append("")
    lines.append(f"Eviction bracket [D]: {_bracket(s1.bracket, run.time_scale)}")
    bis = s1.bisected
    if bis:
        lines.append(
            f"; bisected [D]: {_bracket(bis, run.time_scale)} after {bis.probes or 0} probes"
        )
    lines.append("")
    return lines


def _cold(value: Any) -> str:
    return "cold" if value is True else ("warm" if value is False else "?")


def _dur(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    return f"{seconds / 60:.1f} min" if seconds >= 60 else f"{seconds:.1f} s"


def _bracket(b: Bracket, scale: float) -> str:
    kept, evicted = b.kept_s, b.evicted_s
    kept_text = f"kept after {_dur(kept * scale)} idle" if kept is not None else "never seen kept"
    evicted_text = (
        f"evicted after {_dur(evicted * scale)}" if evicted is not None else "never seen evicted"
    )
    return f"{kept_text}, {evicted_text} (unscaled)"
