"""What a sweep leaves behind: the sweep folder (sweep.json, sweep.csv, invocations.jsonl,
report.md, two charts) and, per size, a result folder in the load generator's format
(``<run>/<variant>/sweep/``: run.json, requests.jsonl, summary.json, timeline.csv) with its
REPORT lines in ``<run>/logs/<variant>.log``, which ``python -m report write <run>`` reads as
it reads any run."""

from __future__ import annotations

import csv
import dataclasses
import json
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from contract import billed_duration_ms
from report import CI_METHOD, Estimate
from resultfiles import (
    LOGS,
    REQUESTS,
    TIMELINE,
    TIMELINE_COLUMNS,
    Record,
    SweepRunFile,
    SweepSummary,
    SweepTarget,
    percentile,
    run_folder,
    write_json_atomic,
    write_run_file,
    write_summary,
    write_text_atomic,
)
from resultfiles import log_path as variant_log_path

from ._samples import Invocation
from ._stats import Choice, SizeStats

CSV_COLUMNS = (
    "memory_mb",
    "emulable",
    "cold_requests",
    "warm_requests",
    "failures",
    "init_p50_ms",
    "init_p50_low_ms",
    "init_p50_high_ms",
    "init_p90_ms",
    "init_max_ms",
    "cold_latency_p50_ms",
    "cold_latency_p50_low_ms",
    "cold_latency_p50_high_ms",
    "warm_duration_p50_ms",
    "warm_duration_p50_low_ms",
    "warm_duration_p50_high_ms",
    "warm_duration_p90_ms",
    "warm_duration_p99_ms",
    "warm_duration_mean_ms",
    "warm_latency_p50_ms",
    "warm_latency_p50_low_ms",
    "warm_latency_p50_high_ms",
    "warm_latency_p90_ms",
    "warm_latency_p99_ms",
    "max_memory_used_mb",
    "billed_gb_s",
    "cost_per_million_usd",
    "cost_per_million_low_usd",
    "cost_per_million_high_usd",
    "warm_cost_per_million_usd",
    "cold_cost_per_million_usd",
    "cold_share",
)


def _r(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)


def _est(e: Estimate | None, scale: float = 1.0, digits: int = 3) -> dict[str, Any] | None:
    if e is None:
        return None
    return {
        "value": round(e.value * scale, digits),
        "low": round(e.low * scale, digits),
        "high": round(e.high * scale, digits),
        "coverage": round(e.coverage, 4),
        "n": e.n,
    }


def stats_json(s: SizeStats) -> dict[str, Any]:
    return {
        "memory_mb": s.memory_mb,
        "cold_requests": s.cold_requests,
        "warm_requests": s.warm_requests,
        "unforced_cold": s.unforced_cold,
        "init_ms": {
            "p50": _r(s.init_p50_ms),
            "p90": _r(s.init_p90_ms),
            "max": _r(s.init_max_ms),
            "median": _est(s.init),
        },
        "cold_latency_ms": {"median": _est(s.cold_latency), "p99": _r(s.cold_latency_p99_ms)},
        "warm_duration_ms": {
            "median": _est(s.warm_duration),
            "p90": _r(s.warm_duration_p90_ms),
            "p99": _r(s.warm_duration_p99_ms),
            "mean": _r(s.warm_duration_mean_ms),
        },
        "warm_latency_ms": {
            "median": _est(s.warm_latency),
            "p90": _r(s.warm_latency_p90_ms),
            "p99": _r(s.warm_latency_p99_ms),
        },
        "max_memory_used_mb": s.max_memory_used_mb,
        "failures": dict(s.failures),
        "billed_gb_s": round(s.billed_gb_s, 6),
        "cost_per_million_usd": _est(s.cost_per_million_usd, digits=4),
        "warm_cost_per_million_usd": _est(s.warm_cost_usd, 1e6, 4),
        "cold_cost_per_million_usd": _est(s.cold_cost_usd, 1e6, 4),
        "cold_share": s.cold_share,
    }


def _csv_row(s: SizeStats | None, memory_mb: int, reason: str | None) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(CSV_COLUMNS, "")
    row["memory_mb"] = memory_mb
    row["emulable"] = "no" if reason else "yes"
    if s is None:
        return row

    def put(prefix: str, e: Estimate | None, scale: float = 1.0, unit: str = "_ms") -> None:
        if e is not None:
            row[f"{prefix}{unit}"] = round(e.value * scale, 4)
            row[f"{prefix}_low{unit}"] = round(e.low * scale, 4)
            row[f"{prefix}_high{unit}"] = round(e.high * scale, 4)

    row.update(
        cold_requests=s.cold_requests,
        warm_requests=s.warm_requests,
        failures=";".join(f"{k}={v}" for k, v in s.failures.items()),
        init_p90_ms=_r(s.init_p90_ms),
        init_max_ms=_r(s.init_max_ms),
        warm_duration_p90_ms=_r(s.warm_duration_p90_ms),
        warm_duration_p99_ms=_r(s.warm_duration_p99_ms),
        warm_duration_mean_ms=_r(s.warm_duration_mean_ms),
        warm_latency_p90_ms=_r(s.warm_latency_p90_ms),
        warm_latency_p99_ms=_r(s.warm_latency_p99_ms),
        max_memory_used_mb=s.max_memory_used_mb,
        billed_gb_s=round(s.billed_gb_s, 6),
        cold_share=s.cold_share,
    )
    put("init_p50", s.init)
    put("cold_latency_p50", s.cold_latency)
    put("warm_duration_p50", s.warm_duration)
    put("warm_latency_p50", s.warm_latency)
    put("cost_per_million", s.cost_per_million_usd, unit="_usd")
    if s.warm_cost_usd is not None:
        row["warm_cost_per_million_usd"] = round(s.warm_cost_usd.value * 1e6, 4)
    if s.cold_cost_usd is not None:
        row["cold_cost_per_million_usd"] = round(s.cold_cost_usd.value * 1e6, 4)
    return row


def write_csv(
    path: Path, sizes: Sequence[int], stats: Mapping[int, SizeStats], not_run: Mapping[int, str]
) -> Path:
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        for mb in sizes:
            writer.writerow(_csv_row(stats.get(mb), mb, not_run.get(mb)))
    return path


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _errbars(
    points: Sequence[tuple[int, Estimate]], scale: float = 1.0
) -> tuple[list[int], list[float], list[list[float]]]:
    xs = [m for m, _ in points]
    ys = [e.value * scale for _, e in points]
    errs = [
        [(e.value - e.low) * scale for _, e in points],
        [(e.high - e.value) * scale for _, e in points],
    ]
    return xs, ys, errs


def duration_cost_chart(
    stats: Sequence[SizeStats], out: Path, *, title: str, chosen_mb: int | None
) -> Path:
    """Power Tuning's picture: warm Duration (left) and cost per million requests (right)
    against memory, each median with its interval."""
    plt = _pyplot()
    fig, left = plt.subplots(figsize=(8, 4.2), dpi=110)
    dur = [(s.memory_mb, s.warm_duration) for s in stats if s.warm_duration is not None]
    cost = [
        (s.memory_mb, s.cost_per_million_usd) for s in stats if s.cost_per_million_usd is not None
    ]
    if dur:
        xs, ys, errs = _errbars([(m, e) for m, e in dur if e is not None])
        left.errorbar(
            xs,
            ys,
            yerr=errs,
            color="#d62728",
            marker="o",
            capsize=4,
            label="warm Duration p50 (ms)",
        )
    left.set_xscale("log", base=2)
    left.set_xlabel("memory (MB)")
    left.set_ylabel("warm Duration p50, ms", color="#d62728")
    right = left.twinx()
    if cost:
        xs, ys, errs = _errbars([(m, e) for m, e in cost if e is not None])
        right.errorbar(
            xs,
            ys,
            yerr=errs,
            color="#1f77b4",
            marker="s",
            capsize=4,
            label="cost per 1M requests (USD)",
        )
    right.set_ylabel("USD per million requests", color="#1f77b4")
    sizes = [s.memory_mb for s in stats]
    if sizes:
        left.set_xticks(sizes)
        left.set_xticklabels([str(m) for m in sizes])
    failed = [s.memory_mb for s in stats if not s.usable]
    for mb in failed:
        left.axvline(mb, color="#999999", linestyle=":", linewidth=1)
    if chosen_mb is not None:
        left.axvline(chosen_mb, color="#2ca02c", linestyle="--", linewidth=1.2)
    left.set_title(title + (f" (chosen {chosen_mb} MB)" if chosen_mb else ""), fontsize=10)
    fig.text(
        0.01,
        0.01,
        "bars: distribution-free intervals of the median (95 %; with 5 samples "
        "[min, max], 93.75 %)",
        fontsize=7,
    )
    fig.tight_layout()
    fig.savefig(out)
    plt.close(fig)
    return out


def cold_start_chart(stats: Sequence[SizeStats], out: Path, *, title: str) -> Path:
    """Init Duration and the cold request's client latency against memory (medians, intervals)."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 4.0), dpi=110)
    init = [(s.memory_mb, s.init) for s in stats if s.init is not None]
    lat = [(s.memory_mb, s.cold_latency) for s in stats if s.cold_latency is not None]
    if init:
        xs, ys, errs = _errbars([(m, e) for m, e in init if e is not None])
        ax.errorbar(xs, ys, yerr=errs, marker="o", capsize=4, label="Init Duration p50")
    if lat:
        xs, ys, errs = _errbars([(m, e) for m, e in lat if e is not None])
        ax.errorbar(xs, ys, yerr=errs, marker="s", capsize=4, label="cold request latency p50")
    ax.set_xscale("log", base=2)
    sizes = [s.memory_mb for s in stats]
    if sizes:
        ax.set_xticks(sizes)
        ax.set_xticklabels([str(m) for m in sizes])
    ax.set_xlabel("memory (MB)")
    ax.set_ylabel("ms")
    ax.set_title(title, fontsize=10)
    fig.text(
        0.01,
        0.01,
        "bars: distribution-free intervals of the median (95 %; with 5 samples "
        "[min, max], 93.75 %)",
        fontsize=7,
    )
    if init or lat:
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out)
    plt.close(fig)
    return out


def _fmt(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value:,.{digits}f}"


def _fmt_est(e: Estimate | None, digits: int = 1, scale: float = 1.0) -> str:
    if e is None:
        return "–"
    return (
        f"{e.value * scale:,.{digits}f} [{e.low * scale:,.{digits}f}–{e.high * scale:,.{digits}f}]"
    )


def table(
    sizes: Sequence[int],
    stats: Mapping[int, SizeStats],
    not_run: Mapping[int, str],
    chosen_mb: int | None,
) -> list[str]:
    """The per-size table, Markdown (also printed)."""
    lines = [
        (
            "| memory | init p50 [CI] / p90 / max ms | cold latency p50 [CI] ms | "
            "warm Duration p50 [CI] / p90 / p99 ms | warm latency p50 [CI] / p99 ms | "
            "max memory MB | failures | USD per 1M requests [CI] |"
        ),
        "| ---: | --- | --- | --- | --- | ---: | --- | --- |",
    ]
    for mb in sizes:
        mark = " ✔" if mb == chosen_mb else ""
        if mb in not_run or mb not in stats:
            why = not_run.get(mb, "not measured (the sweep was interrupted)")
            lines.append(f"| {mb:,}{mark} | {why} | | | | | | |")
            continue
        s = stats[mb]
        failures = ", ".join(f"{k} ×{v}" for k, v in s.failures.items()) or "none"
        lines.append(
            f"| {mb:,}{mark} | {_fmt_est(s.init)} / {_fmt(s.init_p90_ms)} / "
            f"{_fmt(s.init_max_ms)} | {_fmt_est(s.cold_latency)} | "
            f"{_fmt_est(s.warm_duration, 2)} / {_fmt(s.warm_duration_p90_ms, 2)} / "
            f"{_fmt(s.warm_duration_p99_ms, 2)} | {_fmt_est(s.warm_latency)} / "
            f"{_fmt(s.warm_latency_p99_ms)} | {s.max_memory_used_mb or '–'} | {failures} | "
            f"{_fmt_est(s.cost_per_million_usd, 3)} |"
        )
    return lines


def _records(invocations: Sequence[Invocation], starts_s: Sequence[float] | None) -> list[Record]:
    out: list[Record] = []
    clock = 0.0
    for seq, inv in enumerate(invocations):
        latency_ms = (
            inv.client_ms
            if inv.client_ms is not None
            else ((inv.duration_ms or 0.0) + (inv.init_ms or 0.0))
        )
        start = starts_s[seq] if starts_s is not None else clock
        clock = start + latency_ms / 1000.0
        error = None
        if inv.failure is not None:
            error = {"throttled": "throttled", "timeout": "timeout", "connection": "refused"}.get(
                inv.failure, "http_status"
            )
        out.append(
            Record(
                seq=seq,
                user=0,
                stage=0 if inv.forced_cold else 1,
                phase="cold" if inv.forced_cold else "warm",
                start_s=round(start, 6),
                latency_us=max(0, round(latency_ms * 1000)),
                status=200 if inv.failure is None else None,
                error=error,
                detail=inv.failure,
                cold_start=inv.cold,
                request_id=inv.request_id,
                init_ms=inv.init_ms,
            )
        )
    return out


def _timeline(records: Sequence[Record]) -> str:
    by_second: dict[int, list[Record]] = {}
    for r in records:
        by_second.setdefault(int(r.start_s + r.latency_us / 1e6), []).append(r)
    lines = [",".join(TIMELINE_COLUMNS)]
    last = max(by_second) if by_second else -1
    for second in range(last + 1):
        rs = by_second.get(second, [])
        lat = [r.latency_us / 1000.0 for r in rs]
        row = [
            second,
            len(rs),
            sum(r.ok for r in rs),
            sum(not r.ok for r in rs),
            sum(r.error == "throttled" for r in rs),
            sum(bool(r.cold_start) for r in rs),
            1,
        ]
        p50, p99 = percentile(lat, 50), percentile(lat, 99)
        if p50 is not None and p99 is not None:
            stats = [f"{sum(lat) / len(lat):.3f}", f"{max(lat):.3f}", f"{p50:.3f}", f"{p99:.3f}"]
        else:
            stats = ["", "", "", ""]
        lines.append(",".join([*(str(v) for v in row), *stats]))
    return "\n".join(lines) + "\n"


def write_variant_folder(
    run_dir: Path,
    *,
    variant: str,
    run_id: str,
    memory_mb: int,
    invocations: Sequence[Invocation],
    starts_s: Sequence[float] | None,
    start_epoch_s: float,
    settings: Mapping[str, Any],
    network_path: Mapping[str, float] | None,
    batch: int,
    log_path: Path | None,
    report_lines: Sequence[str] | None = None,
) -> Path:
    """One size's result folder in the load generator's format, and its log beside them."""
    folder = run_folder(run_dir.parent, run_dir.name, variant, "sweep")
    folder.mkdir(parents=True, exist_ok=True)
    records = _records(invocations, starts_s)
    write_text_atomic(
        folder / REQUESTS,
        "".join(json.dumps(r.to_json(), separators=(",", ":")) + "\n" for r in records),
    )
    write_text_atomic(folder / TIMELINE, _timeline(records))
    write_run_file(
        folder,
        SweepRunFile(
            run_id=run_id,
            start_epoch_s=start_epoch_s,
            batch=batch,
            target=SweepTarget(name=variant, settings=settings, memory_mb=memory_mb),
            cold=sum(i.forced_cold for i in invocations),
            warm=sum(not i.forced_cold for i in invocations),
            network_path=network_path,
        ),
    )
    write_summary(
        folder,
        SweepSummary(
            requests=len(records),
            error_total=sum(not r.ok for r in records),
            notes=("memory sweep: forced cold starts (stage 0) then warm requests (stage 1)",),
        ),
    )
    logs = run_dir / LOGS
    if log_path is not None and log_path.exists():
        logs.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(log_path, variant_log_path(logs, variant))
    elif report_lines:
        logs.mkdir(parents=True, exist_ok=True)
        write_text_atomic(
            variant_log_path(logs, variant), "".join(f"{line}\n" for line in report_lines)
        )
    return folder


def report_lines(invocations: Sequence[Invocation]) -> list[str]:
    """The REPORT lines a backend without a log file read (AWS's ``LogType: Tail``), written
    back in AWS's shape so that the report and ``report compare`` read them as any log."""
    lines = []
    for inv in invocations:
        if inv.request_id is None or inv.duration_ms is None:
            continue
        billed = (
            inv.billed_ms
            if inv.billed_ms is not None
            else billed_duration_ms(inv.duration_ms, inv.init_ms)
        )
        fields = [
            f"REPORT RequestId: {inv.request_id}",
            f"Duration: {inv.duration_ms:.2f} ms",
            f"Billed Duration: {billed} ms",
            f"Memory Size: {inv.memory_mb} MB",
            f"Max Memory Used: {inv.max_memory_mb or 0} MB",
        ]
        if inv.init_ms is not None:
            fields.append(f"Init Duration: {inv.init_ms:.2f} ms")
        lines.append("\t".join(fields) + "\t")
    return lines


def write_sweep_folder(
    folder: Path,
    *,
    document: Mapping[str, Any],
    invocations: Mapping[int, Sequence[Invocation]],
    sizes: Sequence[int],
    stats: Mapping[int, SizeStats],
    not_run: Mapping[int, str],
    choice: Choice,
    title: str,
    summary_lines: Sequence[str],
) -> dict[str, Path]:
    """sweep.json, sweep.csv, invocations.jsonl, the two charts and report.md."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {
        "json": folder / "sweep.json",
        "csv": folder / "sweep.csv",
        "invocations": folder / "invocations.jsonl",
        "chart": folder / "duration-cost.png",
        "cold_chart": folder / "cold-start.png",
        "report": folder / "report.md",
    }
    write_json_atomic(paths["json"], dict(document))
    write_csv(paths["csv"], sizes, stats, not_run)
    write_text_atomic(
        paths["invocations"],
        "".join(
            json.dumps(dataclasses.asdict(i), separators=(",", ":")) + "\n"
            for mb in sizes
            for i in invocations.get(mb, ())
        ),
    )
    ordered = [stats[mb] for mb in sizes if mb in stats]
    duration_cost_chart(ordered, paths["chart"], title=title, chosen_mb=choice.memory_mb)
    cold_start_chart(ordered, paths["cold_chart"], title=f"{title}: cold starts")
    report = [
        f"# Memory sweep: {title}",
        "",
        *summary_lines,
        "",
        *table(sizes, stats, not_run, choice.memory_mb),
        "",
        (
            f"Intervals: {CI_METHOD}. Sizes whose intervals overlap are indistinguishable "
            "on that figure."
        ),
        "",
        "![duration and cost against memory](duration-cost.png)",
        "",
        "![cold starts against memory](cold-start.png)",
        "",
    ]
    write_text_atomic(paths["report"], "\n".join(report))
    return paths
