"""The sweep folder (``<run>/sweep/``): sweep.json, sweep.csv, invocations.jsonl, report.md and
its two charts."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from report import CI_METHOD
from resultfiles import write_json_atomic, write_text_atomic

from ._charts import cold_start_chart, duration_cost_chart
from ._csv_file import write_csv
from ._samples import Invocation
from ._stats import Choice, SizeStats
from ._table import table


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
