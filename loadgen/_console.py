"""What a run prints: the summary table (also after a merge), its outcome, and a writer that
lets the reader go away (``| head``) without a traceback."""

from __future__ import annotations

import os
import sys
from typing import Any, TextIO

from contract import ExitCode


def say(text: str, *, stream: TextIO | None = None, end: str = "\n") -> None:
    """Print and flush; when the reader has gone (a closed pipe), say nothing more.

    The stream is pointed at /dev/null so that later prints, and Python's own flush at
    exit, are quiet too: a reader that stops early is not an error of the run.
    """
    stream = stream or sys.stdout
    try:
        stream.write(text + end)
        stream.flush()
    except BrokenPipeError:
        silence(stream)


def silence(stream: TextIO) -> None:
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, stream.fileno())
    finally:
        os.close(devnull)


def _count(n: int) -> str:
    return f"{n:,}"


def outcome(summary: dict[str, Any]) -> tuple[int, str | None]:
    """The exit status a finished run's summary calls for, and the line that explains it.

    A run that measured nothing (no success) is a failure; one where some attempts failed
    says their share. Signals and write errors are the caller's to check first.
    """
    errors = dict(summary.get("errors") or {})
    # Attempts cut short by a stop (signal, full disk) say nothing of the target.
    cancelled = int(errors.pop("cancelled", 0))
    requests, ok = int(summary.get("requests", 0)) - cancelled, int(summary.get("ok", 0))
    failed = requests - ok
    kinds = ", ".join(f"{kind} {_count(n)}" for kind, n in errors.items() if n)
    nothing = ExitCode.NOTHING_MEASURED
    if ok == 0:
        if requests == 0:
            return nothing, "error: the run measured nothing: no attempt completed"
        return nothing, (
            f"error: the run measured nothing: all {_count(requests)} attempts failed ({kinds})"
        )
    if failed:
        return ExitCode.FAILED, (
            f"warning: {_count(failed)} of {_count(requests)} attempts "
            "failed "
            f"({100 * failed / requests:.1f} %: {kinds})"
        )
    return ExitCode.OK, None


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _latency_line(label: str, lat: dict[str, Any]) -> str:
    return (
        f"  {label:<14s} n={lat.get('count', 0):<8d} mean {_ms(lat.get('mean'))}  p50 "
        f"{_ms(lat.get('p50'))}"
        f"  p90 {_ms(lat.get('p90'))}  p99 {_ms(lat.get('p99'))}  max {_ms(lat.get('max'))} ms"
    )


def summary_table(summary: dict[str, Any]) -> str:
    lines = [
        (
            f"{summary.get('scenario')} on {summary.get('target')} "
            f"(time scale {summary.get('time_scale')}, {summary.get('seconds')} s"
            + (f", INCOMPLETE: {summary.get('interrupted')}" if not summary.get("complete") else "")
            + ")"
        ),
        f"  requests {summary['requests']}  ok {summary['ok']}  errors {summary['error_total']}"
        + "".join(f"  {k} {v}" for k, v in summary["errors"].items() if v),
        (
            f"  hits/s mean {summary['hits_per_s']['mean']}  peak {summary['hits_per_s']['peak']}"
            f"  late {summary.get('late', 0)}  dropped {summary.get('dropped', 0)}"
            f"  instances {summary.get('instances')}  cold starts {summary['cold_starts']['count']}"
        ),
        _latency_line("latency (ok)", summary["latency_ms"]),
        _latency_line("warm", summary["warm_latency_ms"]),
        _latency_line("cold", summary["cold_latency_ms"]),
    ]
    stages = summary.get("stages") or []
    if len(stages) > 1:
        for stage in stages:
            label = ", ".join(
                f"{k}={v}"
                for k, v in stage.items()
                if k in ("users", "ramp_up_s", "hold_s", "rate_rps", "duration_s")
            )
            lat = stage["latency_ms"]
            lines.append(
                f"  stage {stage['index']} ({label}): requests {stage['requests']} "
                f"errors {stage['errors']} p50 {_ms(lat['p50'])} p99 {_ms(lat['p99'])} ms"
            )
    s1 = summary.get("scenario1")
    if s1:
        lines.append("  idle gaps:")
        for gap in s1["gaps"]:
            lines.append(
                f"    {gap['phase']:<7s} idle {gap['idle_s']:>10.3f} s -> "
                f"{gap['outcome']:<8s}"
                f" latency {gap['latency_ms']:.3f} ms  instance {gap['instance_id']}"
            )
        bracket = s1.get("bracket") or {}
        lines.append(
            f"  eviction bracket: kept after {bracket.get('kept_s')} s idle, "
            f"evicted after {bracket.get('evicted_s')} s"
            + ("" if bracket.get("consistent", True) else " (inconsistent probes)")
        )
        if s1.get("bisected"):
            b = s1["bisected"]
            lines.append(
                f"  bisected: kept {b['kept_s']} s, evicted {b['evicted_s']} s "
                f"({b['probes']} probes)"
            )
    gen = summary.get("generator")
    if gen:
        lines.append(
            f"  generator: {gen['cpu_s']} s CPU, {gen['cpu_us_per_request']} µs/request, "
            f"loop lag p99 {gen['loop_lag_ms']['p99']} ms"
        )
    for note in summary.get("notes") or []:
        lines.append(f"  note: {note}")
    if summary.get("generator_saturated"):
        reasons = "; ".join((gen or {}).get("reasons", [])) or "see the summary"
        lines.append(
            f"WARNING: the load generator itself was saturated ({reasons}); its latencies "
            "include its own queueing: use fewer users, a larger machine or several "
            "machines."
        )
    return "\n".join(lines)
