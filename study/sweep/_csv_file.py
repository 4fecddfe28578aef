"""sweep.csv: one row per size, the figures and their intervals as columns."""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from report import Estimate

from ._document import rounded
from ._stats import SizeStats

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
        init_p90_ms=rounded(s.init_p90_ms),
        init_max_ms=rounded(s.init_max_ms),
        warm_duration_p90_ms=rounded(s.warm_duration_p90_ms),
        warm_duration_p99_ms=rounded(s.warm_duration_p99_ms),
        warm_duration_mean_ms=rounded(s.warm_duration_mean_ms),
        warm_latency_p90_ms=rounded(s.warm_latency_p90_ms),
        warm_latency_p99_ms=rounded(s.warm_latency_p99_ms),
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
