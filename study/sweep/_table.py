"""The per-size table of a sweep, in Markdown: printed, and written into report.md."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from report import Estimate

from ._stats import SizeStats


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
