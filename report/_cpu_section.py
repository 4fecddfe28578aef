"""The report's words on the two bounds: its header lines, the side-by-side table's cells and
the "CPU per request and the two bounds" section, from each stack's measured
:class:`report._saturation.Saturation`."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Protocol, TypeVar

from ._saturation import HOST_BOUND_SHARE, HOST_BUSY_SHARE, THROTTLED_SHARE, Saturation

#: warm latencies within this much of each other (relative, or absolute ms) are "the same"
SAME_WARM_SHARE = 0.10
SAME_WARM_MS = 2.0


def memory_effect(
    rows: Sequence[tuple[str, int | None, float | None]], batch: int, *, functions: bool = False
) -> list[str]:
    """Sentences on warm latency by memory, per language, from (language, memory MB, warm p50 ms).

    Said only where the data show it: a language measured at two memory sizes or more.
    """
    out: list[str] = []
    for language in sorted({r[0] for r in rows}):
        sizes = sorted(
            (m, p50)
            for lang, m, p50 in rows
            if lang == language and m is not None and p50 is not None
        )
        if len({m for m, _ in sizes}) < 2:
            continue
        low, high = min(p for _, p in sizes), max(p for _, p in sizes)
        span = f"{sizes[0][0]}–{sizes[-1][0]} MB"
        if high - low <= max(SAME_WARM_MS, SAME_WARM_SHARE * low):
            out.append(
                f"{language}: warm p50 {low:.1f}–{high:.1f} ms across {span}: memory barely "
                "matters warm here"
                + (
                    " — each warm request of this function costs "
                    "little CPU, so the network path and the host dominate"
                    if functions
                    else " — a warm prediction of one instance costs "
                    "microseconds of CPU, so the network path dominates; `--batch 1000` makes "
                    "each request CPU-bound"
                    if batch == 1
                    else f" even at {batch} instances per request"
                )
            )
        else:
            out.append(
                f"{language}: warm p50 {sizes[0][1]:.1f} ms at {sizes[0][0]} MB to "
                f"{sizes[-1][1]:.1f} ms at {sizes[-1][0]} MB: the CPU share that memory "
                "buys "
                f"shows ({batch} instance{'s' if batch != 1 else ''} per request)"
            )
    return out


LEGEND_MEASURED = (
    "**[M]** measured on the host during the run: its CPU from `/proc/stat` (the "
    "load "
    "generator's samples), the instances' throttling from their cgroups' `cpu.stat` "
    "and the processes' own CPU (the emulator's samples)"
)


class StackFigures(Protocol):
    """What this module reads of a stack's figures (``report._figures.StackFigures``)."""

    @property
    def stack(self) -> str: ...
    @property
    def language(self) -> str: ...
    @property
    def memory_mb(self) -> int | None: ...
    @property
    def warm_p50_ms(self) -> float | None: ...
    @property
    def batch(self) -> int: ...
    @property
    def network_path(self) -> Mapping[str, float] | None: ...
    @property
    def saturation(self) -> Saturation: ...


def host_mark(f: StackFigures) -> str:
    """``" ⚙"`` for a host-bound stack, else ``""``."""
    return " ⚙" if f.saturation.host_bound else ""


def table_cells(f: StackFigures) -> str:
    """The side-by-side table's saturation cells: host CPU p50/max [M], throttled [M]."""
    s = f.saturation
    host = (
        f"{s.host_busy_p50:.0%} / {s.host_busy_max:.0%}{host_mark(f)}"
        if s.host_busy_p50 is not None and s.host_busy_max is not None
        else "–"
    )
    throttled = (
        f"{s.throttled_share:.1%}, {s.throttled_ms / 1000.0:,.1f} s"
        if s.throttled_share is not None and s.throttled_ms is not None
        else "–"
    )
    return f"| {host} | {throttled} "


TABLE_HEADS = "| host CPU p50 / max [M] | throttled periods, time [M] "


def header_lines(figures: Sequence[StackFigures], *, functions: bool = False) -> list[str]:
    """The report header's lines on the network path, the batch and the host."""
    paths = sorted({json.dumps(f.network_path, sort_keys=True) for f in figures if f.network_path})
    lines: list[str] = []
    if paths:
        described = []
        for text in paths:
            p = json.loads(text)
            described.append(
                f"client round trip {p.get('client_rtt_ms', 0):g} ms + API Gateway "
                f"{p.get('gateway_latency_ms', 0):g} ms = {p.get('added_ms', 0):g} ms "
                "added to "
                "every request"
            )
        lines.append(f"- Network path (emulated): {'; '.join(described)} (docs/emulator.md).")
    else:
        lines.append(
            "- Network path: not emulated, or not stated by the target (an AWS stack "
            "crosses the real one)."
        )
    batches = sorted({f.batch for f in figures})
    if functions:
        lines.append(
            "- Requests: each function's own request file (method, path, headers, body, "
            "weighted), as the stack names it; a correct answer is a 2xx (with the "
            "stack's `expect_field`)."
        )
    elif batches:  # none when every stack ran scenario 1 alone
        lines.append(
            f"- Batch: {', '.join(str(b) for b in batches)} instance(s) per request in "
            "scenario 2"
            + (
                " (the function made CPU-bound: warm latency shows what the CPU share buys)."
                if max(batches) > 1
                else " (the study's request: one prediction)."
            )
        )
    bound = [f for f in figures if f.saturation.host_bound]
    sampled = [f for f in figures if f.saturation.host_seconds]
    if not sampled:
        lines.append("- Host-bound (⚙): not measured (no host CPU samples in the runs).")
    elif bound:
        lines.append(
            f"- Host-bound (⚙): {', '.join(f.stack for f in bound)} — "
            + "; ".join(f"{f.stack}: {f.saturation.host_words()}" for f in bound)
            + ". Their throughput and warm tail latency compare the machine, not the "
            "memory "
            "settings."
        )
    else:
        worst = max(sampled, key=lambda f: f.saturation.host_busy_max or 0.0)
        lines.append(
            f"- Host-bound (⚙): no stack (the busiest: {worst.stack}, "
            f"{worst.saturation.host_words()}; thresholds in docs/results.md)."
        )
    return lines


_F = TypeVar("_F", bound=StackFigures)


def cpu_section(
    figures: Sequence[_F], label: Callable[[_F], str], *, functions: bool = False
) -> list[str]:
    """Where each request's CPU went, and the two bounds told apart; ``label`` names a stack
    in a table row (with the report's marks)."""
    md = [
        "## CPU per request and the two bounds",
        "",
        (
            "| stack | generator CPU µs/request [M] | emulator CPU µs/request [M] | instance CPU "
            "µs/request [M] | host CPU | cgroup throttling | bound [D] |"
        ),
        "|---|---|---|---|---|---|---|",
    ]
    for f in figures:
        s = f.saturation
        bound = (
            "host ⚙" if s.host_bound else "the CPU share (legitimate)" if s.throttled else "neither"
        )
        md.append(
            f"| {label(f)} | {_us(s.generator_cpu_us_per_request)} | "
            f"{_us(s.emulator_cpu_us_per_request)} "
            f"| {_us(s.instance_cpu_us_per_request)} | {s.host_words()} | "
            f"{s.throttle_words()} | {bound} |"
        )
    md += [
        "",
        BOUND_RULE
        + (
            " The emulator's CPU is the whole emulator process's (front doors, "
            "Runtime API) over every stack's requests; the instance CPU (the "
            "cgroups' count, else the instances' processes' from /proc) includes the "
            "runtime client."
        ),
    ]
    rows = [(f.language, f.memory_mb, f.warm_p50_ms) for f in figures]
    effect = memory_effect(rows, max((f.batch for f in figures), default=1), functions=functions)
    if effect:
        md += ["", "Warm latency by memory [D]:", ""] + [f"- {line}." for line in effect]
    return [*md, ""]


#: the two bounds' rule in the report's words (docs/results.md, "Saturation", states the same)
BOUND_RULE = (
    "A stack is host-bound (⚙) when at least "
    f"{HOST_BOUND_SHARE:.0%} of its requests were in flight during a second in which the host's "
    f"CPUs were at least {HOST_BUSY_SHARE:.0%} busy net of the stack's own instances' CPU: "
    "other work then took the CPUs the stack needed, and the machine, not the memory setting, "
    "bounded it. Seconds without a request of the stack in flight are not judged, and the "
    "stack's own CPU (its init burst, its invocations) is its own entitlement, not contention. "
    "It was bounded by its CPU share — what memory buys on Lambda, a legitimate result — when "
    f"its instances were throttled in at least {THROTTLED_SHARE:.0%} of their CPU periods."
)


def _us(value: float | None) -> str:
    return "–" if value is None else f"{value:,.0f}"
