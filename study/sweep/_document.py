"""sweep.json: the document of a sweep (``sweep_document``) and each size's figures in it
(``stats_json``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from contract import MB_PER_VCPU
from report import CI_METHOD, Estimate

from ._local import host_cpus
from ._stats import Choice, SizeStats, Strategy


def rounded(value: float | None, digits: int = 3) -> float | None:
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
            "p50": rounded(s.init_p50_ms),
            "p90": rounded(s.init_p90_ms),
            "max": rounded(s.init_max_ms),
            "median": _est(s.init),
        },
        "cold_latency_ms": {"median": _est(s.cold_latency), "p99": rounded(s.cold_latency_p99_ms)},
        "warm_duration_ms": {
            "median": _est(s.warm_duration),
            "p90": rounded(s.warm_duration_p90_ms),
            "p99": rounded(s.warm_duration_p99_ms),
            "mean": rounded(s.warm_duration_mean_ms),
        },
        "warm_latency_ms": {
            "median": _est(s.warm_latency),
            "p90": rounded(s.warm_latency_p90_ms),
            "p99": rounded(s.warm_latency_p99_ms),
        },
        "max_memory_used_mb": s.max_memory_used_mb,
        "failures": dict(s.failures),
        "billed_gb_s": round(s.billed_gb_s, 6),
        "cost_per_million_usd": _est(s.cost_per_million_usd, digits=4),
        "warm_cost_per_million_usd": _est(s.warm_cost_usd, 1e6, 4),
        "cold_cost_per_million_usd": _est(s.cold_cost_usd, 1e6, 4),
        "cold_share": s.cold_share,
    }


def sweep_document(
    *,
    stack: str,
    function: str | None,
    run_id: str,
    sizes: Sequence[int],
    cold: int,
    warm: int,
    parallelism: int,
    batch: int,
    strategy: Strategy,
    slo: Mapping[str, float] | None,
    elapsed_s: float,
    architecture: str,
    by_strategy: Choice,
    choice: Choice,
    not_run: Mapping[int, str],
    stats: Mapping[int, SizeStats],
    interrupted: int | None,
) -> dict[str, Any]:
    """sweep.json: how the sweep ran (``function`` is the AWS function, None on the emulator),
    each size's figures, the choice, and the signal that stopped it, if one did."""
    return {
        "schema_version": 1,
        "stack": stack,
        "backend": "aws" if function else "emulator",
        "function": function,
        "run_id": run_id,
        "memory_mb": sizes,
        "cold": cold,
        "warm": warm,
        "parallelism": parallelism,
        "batch": batch,
        "strategy": str(strategy),
        "slo": slo,
        "elapsed_s": round(elapsed_s, 1),
        "host_cpus": host_cpus(),
        "mb_per_vcpu": MB_PER_VCPU,
        "ci_method": CI_METHOD,
        "architecture": architecture,
        "chosen_mb": choice.memory_mb,
        "closest_mb": choice.closest_mb,
        "reason": choice.reason,
        "ties_mb": list(choice.ties),
        "by_strategy_mb": by_strategy.memory_mb,
        "not_run": {str(k): v for k, v in not_run.items()},
        "sizes": [stats_json(stats[mb]) for mb in sizes if mb in stats],
        "interrupted": None if interrupted is None else f"stopped by signal {interrupted}",
    }
