"""The report's charts (matplotlib, no display needed): PNG files a reader sees on GitHub."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._figures import StackFigures
    from ._reading import ScenarioRun

__all__ = ["bar_chart", "scenario1_chart", "scenario2_chart"]


def _pyplot() -> Any:  # matplotlib.pyplot, imported only when a chart is drawn
    import matplotlib

    matplotlib.use("Agg")  # files only: a report must render on a machine with no screen
    import matplotlib.pyplot as plt

    return plt


def _float(text: str | None) -> float | None:
    if text is None or text == "":
        return None
    return float(text)


def scenario2_chart(run: ScenarioRun, out: Path) -> Path:
    """The study's chart: hits/s (left), mean and max latency (right), users (outer right)."""
    plt = _pyplot()
    rows = run.timeline
    seconds = [int(r["second"]) for r in rows]
    hits = [int(r["hits"]) for r in rows]
    users = [int(r["users"]) for r in rows]
    mean = [_float(r.get("mean_ms")) for r in rows]
    peak = [_float(r.get("max_ms")) for r in rows]
    fig, left = plt.subplots(figsize=(9, 4.2), dpi=110)
    left.bar(seconds, hits, width=0.9, color="#9ecae1", label="hits/s")
    left.set_xlabel(f"second of the run (time scale {run.time_scale:g})")
    left.set_ylabel("hits per second")
    # Users get an axis of their own: locally hits/s run to thousands while users stay under 20,
    # and on one shared axis the users' line would lie flat on the floor.
    crowd = left.twinx()
    crowd.spines["right"].set_position(("axes", 1.13))
    crowd.step(seconds, users, where="post", color="#08519c", linewidth=2, label="users")
    crowd.set_ylabel("users", color="#08519c")
    crowd.set_ylim(0, max(users, default=1) * 1.15 + 1)
    right = left.twinx()
    right.plot(
        seconds,
        [m if m is not None else float("nan") for m in mean],
        color="#31a354",
        label="mean latency (ms)",
    )
    right.plot(
        seconds,
        [m if m is not None else float("nan") for m in peak],
        color="#e6550d",
        label="max latency (ms)",
        linewidth=1,
    )
    right.set_ylabel("latency (ms, log)")
    right.set_yscale("log")
    axes = (left, crowd, right)
    handles = [h for ax in axes for h in ax.get_legend_handles_labels()[0]]
    labels = [label for ax in axes for label in ax.get_legend_handles_labels()[1]]
    left.legend(handles, labels, loc="upper left", fontsize=8)
    left.set_title(f"{run.target}: scenario 2 (staged concurrency), client side")
    fig.tight_layout()
    fig.savefig(out)
    plt.close(fig)
    return out


def scenario1_chart(runs: Sequence[ScenarioRun], out: Path) -> Path:
    """Latency of each timed-idle request per stack; cold starts marked."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(9, 4.2), dpi=110)
    for run in runs:
        probes = [r for r in run.records if r.phase in (None, "probe")]
        x = [
            float(r.intended_s if r.intended_s is not None else r.start_s) * run.time_scale / 60.0
            for r in probes
        ]
        y = [r.latency_us / 1000.0 for r in probes]
        line = ax.plot(x, y, marker="o", markersize=3, linewidth=1, label=run.target)[0]
        cold = [(a, b) for a, b, r in zip(x, y, probes, strict=True) if r.cold_start is True]
        if cold:
            ax.scatter(
                [a for a, _ in cold],
                [b for _, b in cold],
                s=70,
                facecolors="none",
                edgecolors=line.get_color(),
                linewidths=1.5,
            )
    ax.set_yscale("log")
    ax.set_xlabel("planned minute (unscaled)")
    ax.set_ylabel("latency (ms, log)")
    ax.set_title("Scenario 1 (timed idle): latency per request; circled = cold start")
    ax.legend(fontsize=7, ncol=3)
    fig.tight_layout()
    fig.savefig(out)
    plt.close(fig)
    return out


def bar_chart(
    figures: Sequence[StackFigures],
    out: Path,
    *,
    series: dict[str, list[float | None]],
    ylabel: str,
    title: str,
    log: bool = False,
) -> Path:
    """Grouped bars, one group per stack (ordered language, then memory)."""
    plt = _pyplot()
    names = [f.stack for f in figures]
    fig, ax = plt.subplots(figsize=(max(6.0, 1.1 * len(names) + 2), 4.2), dpi=110)
    width = 0.8 / max(1, len(series))
    for i, (label, values) in enumerate(series.items()):
        xs = [k + (i - (len(series) - 1) / 2) * width for k in range(len(names))]
        ax.bar(xs, [v if v is not None else 0.0 for v in values], width=width, label=label)
        for x, v in zip(xs, values, strict=True):
            if v is None:
                ax.text(x, 0, "n/a", ha="center", va="bottom", fontsize=7)
    ax.set_xticks(range(len(names)))
    ax.set_xticklabels(names, rotation=30, ha="right", fontsize=8)
    ax.set_ylabel(ylabel)
    if log:
        ax.set_yscale("log")
    ax.set_title(title)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out)
    plt.close(fig)
    return out
