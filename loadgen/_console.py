"""The summary table printed at the end of a run (and of a merge)."""

from __future__ import annotations

from typing import Any


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _latency_line(label: str, lat: dict[str, Any]) -> str:
    return (f"  {label:<14s} n={lat.get('count', 0):<8d} mean {_ms(lat.get('mean'))}  p50 {_ms(lat.get('p50'))}"
            f"  p90 {_ms(lat.get('p90'))}  p99 {_ms(lat.get('p99'))}  max {_ms(lat.get('max'))} ms")


def summary_table(summary: dict[str, Any]) -> str:
    lines = [
        (f"{summary.get('scenario')} on {summary.get('target')} "
        f"(time scale {summary.get('time_scale')}, {summary.get('seconds')} s"
        f"{', INCOMPLETE: ' + str(summary.get('interrupted')) if not summary.get('complete') else ''})"),
        f"  requests {summary['requests']}  ok {summary['ok']}  errors {summary['error_total']}"
        + "".join(f"  {k} {v}" for k, v in summary["errors"].items() if v),
        (f"  hits/s mean {summary['hits_per_s']['mean']}  peak {summary['hits_per_s']['peak']}"
        f"  late {summary.get('late', 0)}  dropped {summary.get('dropped', 0)}"
        f"  instances {summary.get('instances')}  cold starts {summary['cold_starts']['count']}"),
        _latency_line("latency (ok)", summary["latency_ms"]),
        _latency_line("warm", summary["warm_latency_ms"]),
        _latency_line("cold", summary["cold_latency_ms"]),
    ]
    stages = summary.get("stages") or []
    if len(stages) > 1:
        for stage in stages:
            label = ", ".join(f"{k}={v}" for k, v in stage.items()
                              if k in ("users", "ramp_up_s", "hold_s", "rate_rps", "duration_s"))
            lat = stage["latency_ms"]
            lines.append(f"  stage {stage['index']} ({label}): requests {stage['requests']} "
                         f"errors {stage['errors']} p50 {_ms(lat['p50'])} p99 {_ms(lat['p99'])} ms")
    s1 = summary.get("scenario1")
    if s1:
        lines.append("  idle gaps:")
        for gap in s1["gaps"]:
            lines.append(f"    {gap['phase']:<7s} idle {gap['idle_s']:>10.3f} s -> {gap['outcome']:<8s}"
                         f" latency {gap['latency_ms']:.3f} ms  instance {gap['instance_id']}")
        bracket = s1.get("bracket") or {}
        lines.append(f"  eviction bracket: kept after {bracket.get('kept_s')} s idle, "
                     f"evicted after {bracket.get('evicted_s')} s"
                     + ("" if bracket.get("consistent", True) else " (inconsistent probes)"))
        if s1.get("bisected"):
            b = s1["bisected"]
            lines.append(f"  bisected: kept {b['kept_s']} s, evicted {b['evicted_s']} s ({b['probes']} probes)")
    gen = summary.get("generator")
    if gen:
        lines.append(f"  generator: {gen['cpu_s']} s CPU, {gen['cpu_us_per_request']} µs/request, "
                     f"loop lag p99 {gen['loop_lag_ms']['p99']} ms")
    for note in summary.get("notes") or []:
        lines.append(f"  note: {note}")
    if summary.get("generator_saturated"):
        reasons = "; ".join((gen or {}).get("reasons", [])) or "see the summary"
        lines.append(f"WARNING: the load generator itself was saturated ({reasons}); its latencies "
                     "include its own queueing: use fewer users, a larger machine or several machines.")
    return "\n".join(lines)
