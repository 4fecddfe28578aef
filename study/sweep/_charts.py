"""The sweep's two charts: warm Duration and cost, and cold starts, against memory."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from report import Estimate

from ._stats import SizeStats


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
