"""``report.md`` and its charts, written from result folders (see :mod:`report._figures`)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from resultfiles import (
    ENDPOINTS,
    LOG_SUFFIX,
    LOGS,
    Bracket,
    ResultsError,
    Scenario1Facts,
    read_endpoints,
    write_text_atomic,
)

from . import _cpu_section as _sat
from ._charts import bar_chart, scenario1_chart, scenario2_chart
from ._coldstarts import cold_start_rows, cold_start_section
from ._cost import Prices
from ._figures import StackFigures, stack_figures
from ._functions import function_section
from ._reading import ScenarioRun, collect, load_report_lines
from ._recommend import RecommendationRule, recommend
from ._reportline import ReportLine
from ._runtime_section import runtime_section
from ._runtimes import SectionInput, is_function_stack

__all__ = ["find_logs", "write_report"]

LEGEND = (
    "**[C]** client, from `requests.jsonl` (every attempt; exact nearest-rank percentiles) · "
    "**[S]** server, from the function's `REPORT` lines joined by request id · "
    "**[D]** derived from those by the rule stated"
)


def find_logs(dirs: Sequence[Path]) -> list[Path]:
    """Server log files kept with the results: ``logs/<stack>.log`` under each folder."""
    found: list[Path] = []
    for top in dirs:
        for path in sorted(top.rglob(f"*{LOG_SUFFIX}")):
            if path.parent.name == LOGS and path not in found:
                found.append(path)
    return found


def _ms(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "–"
    if value >= 100:
        return f"{value:,.0f}"
    return f"{value:.{digits}f}" if value >= 1 else f"{value:.3f}"


def _num(value: float | None, fmt: str = "{:,.1f}") -> str:
    return "–" if value is None else fmt.format(value)


def _order(f: StackFigures) -> tuple[str, int, str]:
    return (f.language, f.memory_mb or 0, f.stack)


def _machine(runs: Sequence[ScenarioRun]) -> str:
    for run in runs:
        m = run.run.machine
        if m is not None:
            usable = next((n for n in (m.cpus_usable, m.cpu_count) if n is not None), "?")
            return (
                f"{m.hostname or '?'}: {m.cpu_model or '?'}, {usable} "
                f"usable CPUs, {m.platform or '?'}"
            )
    return "unknown (run.json lacks `machine`)"


def _hosts(dirs: Sequence[Path], runs: Sequence[ScenarioRun]) -> str | None:
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


def _marks(f: StackFigures, *, saturated: bool = False) -> str:
    """The stack's name as the tables show it: visibly marked when its data is not whole."""
    marks = [" ⚠" if saturated and f.generator_saturated else ""]
    if f.incomplete:
        marks.append(" (incomplete run)")
    if f.data_problems:
        marks.append(" (data missing)")
    return f.stack + "".join(marks)


def _marks_of(figures: Sequence[StackFigures]) -> Callable[[str], str]:
    marked = {f.stack: _marks(f) for f in figures}
    return lambda stack: marked.get(stack, stack)


def _data_section(figures: Sequence[StackFigures]) -> list[str]:
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


def _side_by_side(figures: Sequence[StackFigures], unit: str = "predictions") -> list[str]:
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
            f"| {_marks(f, saturated=True)} | {f.language} | {_num(f.memory_mb, '{}')} | "
            f"{f.architecture} | {f.strategy} "
            f"| {f.mitigation} | {f.requests:,} | {_errors(f)} | {f.throttled} | "
            f"{_ms(f.warm_p50_ms)} "
            f"| {_ms(f.warm_p90_ms)} | {_ms(f.warm_p99_ms)} | {_ms(f.warm_max_ms)} | "
            f"{_ms(f.warm_mean_ms)} "
            f"| {_num(f.hits_per_s_mean)} | {_num(f.hits_per_s_peak, '{}')} {_sat.table_cells(f)}"
            f"| {_num(f.billed_gb_s, '{:.3f}')} | {_num(per_million, '{:.4f}')} |"
        )
    return lines


def _gaps(run: ScenarioRun) -> list[str]:
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
            f"| #{first.seq} (first) | – | – | {_ms(first.latency_us / 1000)} "
            f"| {_cold(first.cold_start)} | `{first.instance_id or '–'}` | – |"
        )
    for g in s1.gaps:
        planned = (g.planned_s or 0.0) * run.time_scale
        lines.append(
            f"| #{'?' if g.seq is None else g.seq} ({g.phase or 'probe'}) | {_dur(planned)} | "
            f"{_dur(g.idle_plan_s)} "
            f"| {_ms(g.latency_ms)} | {_cold(g.cold_start)} | "
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


def write_report(
    dirs: Sequence[Path],
    out: Path,
    *,
    logs: Sequence[Path] = (),
    prices: Prices | None = None,
    rule: RecommendationRule | None = None,
    now: dt.datetime | None = None,
    warn: Callable[[str], None] | None = None,
) -> Path:
    """Write ``out/report.md`` and its PNG charts; returns the report's path.

    ``warn`` is called once per incomplete run and per missing or damaged file, with a line
    naming the stack and the file (the report lists the same).
    """
    prices = prices or Prices()
    runs = collect(dirs)
    log_files = list(logs) or find_logs(dirs)
    reports, problems = load_report_lines(log_files)
    if warn is not None:
        for run in runs:
            if not run.complete:
                warn(
                    f"{run.target}: {run.scenario} is incomplete ({run.interrupted}): {run.folder}"
                )
            for problem in run.problems:
                warn(f"{run.target}: {problem}")
    try:
        return _write(
            dirs,
            out,
            runs=runs,
            log_files=log_files,
            reports=reports,
            problems=problems,
            prices=prices,
            rule=rule,
            now=now,
        )
    except OSError as exc:
        where = exc.filename or out
        raise ResultsError(
            f"cannot write the report in {out} ({where}: {exc.strerror or exc}); "
            "choose a writable --out folder"
        ) from exc


def _write(
    dirs: Sequence[Path],
    out: Path,
    *,
    runs: list[ScenarioRun],
    log_files: list[Path],
    reports: dict[str, ReportLine],
    problems: list[str],
    prices: Prices,
    rule: RecommendationRule | None,
    now: dt.datetime | None,
) -> Path:
    out.mkdir(parents=True, exist_ok=True)

    by_stack: dict[str, list[ScenarioRun]] = defaultdict(list)
    for run in runs:
        by_stack[run.target].append(run)
    figures = sorted(
        (stack_figures(s, rs, reports, prices=prices) for s, rs in by_stack.items()), key=_order
    )
    # Stacks measured by scenario 1 alone (the framework stacks in `make run`) have cold starts,
    # not load figures: they stay out of the load tables, the charts and the recommendation.
    loaded = [f for f in figures if f.load_scenario != "scenario1"]
    idle_only = [f.stack for f in figures if f.load_scenario == "scenario1"]
    chosen, _tolerance, rule_text = recommend(loaded, rule)
    # A team's own functions answer requests, not predictions: the report says so throughout.
    functions = bool(by_stack) and all(is_function_stack(rs) for rs in by_stack.values())
    unit = "requests" if functions else "predictions"
    if functions:
        rule_text = rule_text.replace("predictions", "requests")

    scales = sorted({r.time_scale for r in runs})
    limited = sorted({str(f.cpu_limited) for f in figures})
    saturated = [f.stack for f in figures if f.generator_saturated]
    when = (now or dt.datetime.now(dt.UTC)).strftime("%Y-%m-%d %H:%M UTC")
    run_ids = sorted({r.run.run_id or "?" for r in runs})

    md: list[str] = [
        (
            "# Your function: memory sizes side by side"
            if functions
            else "# Lambda model study: stacks side by side"
        ),
        "",
        (
            f"Written {when} from run {', '.join(run_ids)} ({len(runs)} result folders, "
            f"{len(log_files)} server log files, {len(reports):,} REPORT lines)."
        ),
        "",
        (
            f"- Time scale: {', '.join(f'{s:g}' for s in scales)} (durations divided by it; "
            "latencies and rates are real)."
        ),
        f"- Machine: {_machine(runs)}.",
        *([hosts] if (hosts := _hosts(dirs, runs)) else []),
        (
            f"- CPU limited in proportion to memory: {', '.join(limited)} "
            "(`None`: the target did not say, e.g. an AWS stack)."
        ),
        f"- Generator saturated: {', '.join(saturated) if saturated else 'no run'}"
        + (
            " — figures of those stacks (marked ⚠) may understate the function."
            if saturated
            else "."
        ),
        *_sat.header_lines(loaded, functions=functions),
        *(
            [
                (
                    f"- Scenario 1 only (cold starts and idle gaps, no load figures): "
                    f"{', '.join(idle_only)}."
                )
            ]
            if idle_only
            else []
        ),
        f"- Sources: {LEGEND} · {_sat.LEGEND_MEASURED}.",
        (
            f"- Incomplete runs or missing data: {', '.join(flagged)} (marked in the tables; see "
            "below)."
            if (flagged := [f.stack for f in figures if f.incomplete or f.data_problems])
            else (
                "- Incomplete runs or missing data: none (every run complete, its records "
                "matching its summary)."
            )
        ),
        "",
        *_data_section(figures),
        "## Recommendation",
        "",
    ]
    if chosen is not None:
        per_million = chosen.cost.per_million_predictions_usd if chosen.cost else None
        md += [
            (
                f"**{chosen.stack}** ({chosen.language}, {chosen.memory_mb} MB): "
                f"warm p99 {_ms(chosen.warm_p99_ms)} ms, {_num(chosen.hits_per_s_mean)} hits/s, "
                f"${_num(per_million, '{:.4f}')} per million {unit}."
            ),
            "",
            f"Rule [D]: {rule_text}.",
        ]
    else:
        md += [f"No recommendation: {rule_text}."]
    bound = [f.stack for f in loaded if f.saturation.host_bound]
    if chosen is not None and bound:
        md += [
            "",
            (
                f"Caveat: {len(bound)} of {len(loaded)} stacks were host-bound (⚙ below, "
                "measured): "
                "the host's CPUs were saturated, so their throughput and warm tail latency compare "
                "the machine's sharing, not the memory settings. Cold starts still compare."
            ),
        ]
    md += ["", "## Scenario 2 (staged concurrency), side by side", ""]
    md += _side_by_side(loaded, unit)
    md += [
        "",
        (
            "Host CPU is the busy share of all the host's CPUs per second, over the seconds the "
            "stack had a request in flight; ⚙ marks a host-bound stack (judged net of the stack's "
            "own instances' CPU, below); throttled is the share of its instances' CPU periods "
            "in which their cgroup quota (memory / 1,769 MB of a vCPU) ran out, and the time "
            "they waited. Thresholds: docs/results.md."
        ),
        "",
        *_sat.cpu_section(loaded, _marks, functions=functions),
        (
            "Warm latency excludes cold-start and SnapStart-restore requests; billed GB-seconds "
            "sum the `Billed Duration` "
            "of the REPORT lines of the run's requests (which includes the INIT phase on AWS since "
            "2025-08-01); cost adds Lambda's request price and API Gateway HTTP API's."
        ),
        "",
    ]

    throughput_png = bar_chart(
        loaded,
        out / "throughput.png",
        series={
            "hits/s mean [C]": [f.hits_per_s_mean for f in loaded],
            "hits/s peak [C]": [
                float(f.hits_per_s_peak) if f.hits_per_s_peak is not None else None for f in loaded
            ],
        },
        ylabel="attempts completed per second (hits)",
        title="Throughput in scenario 2, by language × memory",
    )
    cold_rows = cold_start_rows(by_stack, reports)
    quiet = {r.stack: r for r in cold_rows if r.scenario == "scenario1"}
    cold_png = bar_chart(
        figures,
        out / "cold-start.png",
        series={
            "quiet cold latency p50 [C]": [
                quiet[f.stack].latency_p50_ms if f.stack in quiet else None for f in figures
            ],
            "quiet Init Duration p50 [S]": [
                quiet[f.stack].init_p50_ms if f.stack in quiet else None for f in figures
            ],
        },
        ylabel="milliseconds",
        title="Quiet cold starts (scenario 1) by language × memory",
    )
    md += [f"![throughput]({throughput_png.name})", ""]
    md += cold_start_section(cold_rows, runs, ms=_ms, marks=_marks_of(figures))
    md += [
        f"![cold starts]({cold_png.name})",
        "",
        (
            "A request is cold when its "
            "REPORT line has Init Duration (else when the function answered `x-cold-start: true`): "
            "a provisioned instance's first request is warm (its init ran ahead of traffic), and a "
            "SnapStart restore (Restore Duration, `x-restore: true`) is counted as a restore, "
            "not a cold start."
        ),
        "",
    ]
    restored = [f for f in figures if f.restores]
    if restored:
        md += ["SnapStart restores (every scenario):", ""]
        md += [
            f"- {_marks(f)}: {f.restores} restores, client latency p50 "
            f"{_ms(f.restore_latency_p50_ms)} ms [C], Restore Duration p50 "
            f"{_ms(f.restore_duration_p50_ms)} ms [S]"
            for f in restored
        ]
        md.append("")

    marked = {f.stack: _marks(f) for f in figures}
    sections = SectionInput(
        stacks=by_stack,
        reports=reports,
        logs=log_files,
        ms=_ms,
        marks=lambda stack: marked.get(stack, stack),
    )
    md += runtime_section(sections)
    md += function_section(sections)

    md += ["## Scenario 2 over time", ""]
    for f in figures:
        load = next(
            (r for r in by_stack[f.stack] if r.scenario == "scenario2" and r.timeline), None
        )
        if load is None:
            continue
        png = scenario2_chart(load, out / f"scenario2-{f.stack}.png")
        md += [f"### {f.stack}", "", f"![{f.stack} scenario 2]({png.name})", ""]

    idle_runs = [r for r in runs if r.scenario == "scenario1"]
    if idle_runs:
        png = scenario1_chart(idle_runs, out / "scenario1.png")
        md += ["## Scenario 1 (timed idle)", "", f"![scenario 1]({png.name})", ""]
        for run in idle_runs:
            md += _gaps(run)

    md += [
        "## Prices",
        "",
        (
            f"As of {prices.as_of}: {prices.source}. Override with "
            "`--price-gb-s-x86`, `--price-gb-s-arm`, `--price-request`, `--price-api-request`."
        ),
        "",
    ]
    notes = [(f.stack, n) for f in figures for n in f.notes]
    notes += [(r.target, f"{r.scenario}: {n}") for r in runs for n in r.summary.notes]
    if notes or problems:
        md += ["## Notes", ""]
        md += [f"- {stack}: {note}" for stack, note in notes]
        md += [f"- unreadable REPORT line: {p}" for p in problems]
        md.append("")

    report = out / "report.md"
    write_text_atomic(report, "\n".join(md))
    return report
