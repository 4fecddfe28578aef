"""``report.md`` and its charts, written from result folders (see :mod:`report._figures`)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path

from resultfiles import (
    LOG_SUFFIX,
    LOGS,
    ResultsError,
    write_text_atomic,
)

from . import _cpu_section as _sat
from ._cells import marks, marks_of, ms, num
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
from ._sections import data_section, gaps, hosts, machine, side_by_side

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


def _order(f: StackFigures) -> tuple[str, int, str]:
    return (f.language, f.memory_mb or 0, f.stack)


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
        f"- Machine: {machine(runs)}.",
        *([hosted] if (hosted := hosts(dirs, runs)) else []),
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
        *data_section(figures),
        "## Recommendation",
        "",
    ]
    if chosen is not None:
        per_million = chosen.cost.per_million_predictions_usd if chosen.cost else None
        md += [
            (
                f"**{chosen.stack}** ({chosen.language}, {chosen.memory_mb} MB): "
                f"warm p99 {ms(chosen.warm_p99_ms)} ms, {num(chosen.hits_per_s_mean)} hits/s, "
                f"${num(per_million, '{:.4f}')} per million {unit}."
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
    md += side_by_side(loaded, unit)
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
        *_sat.cpu_section(loaded, marks, functions=functions),
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
    md += cold_start_section(cold_rows, runs, ms=ms, marks=marks_of(figures))
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
            f"- {marks(f)}: {f.restores} restores, client latency p50 "
            f"{ms(f.restore_latency_p50_ms)} ms [C], Restore Duration p50 "
            f"{ms(f.restore_duration_p50_ms)} ms [S]"
            for f in restored
        ]
        md.append("")

    marked = {f.stack: marks(f) for f in figures}
    sections = SectionInput(
        stacks=by_stack,
        reports=reports,
        logs=log_files,
        ms=ms,
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
            md += gaps(run)

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
