"""The cold-start section: cold starts measured quietly apart from those measured under load,
each split into the platform's Init Duration and what came after it, with the init model in
effect and what it implies for ranking by memory.

- **Quiet** (scenario 1): one request at a time after an idle gap; the study staggers the stacks
  so that no two stacks' cold starts run together. What a cold start costs the stack.
- **Under load** (scenario 2): instances start while users ramp up, several at once, on the
  same host as the load: a new instance shares the machine's CPUs with its siblings' inits and
  the warm traffic, which the platform's fleet would not make it do. Shown apart, never pooled
  with the quiet ones.

Per cold request: Init Duration (REPORT, the instance's init alone), and after init = cold
latency − Init Duration − the network path the emulator added (run.json's
``network_path.added_ms``): the first invocation (its REPORT Duration) plus what the platform
spent before init (creating the instance, its package, its process) and the front door.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise

from ._figures import percentile, start_kind
from ._reading import ScenarioRun
from ._reportline import ReportLine
from ._saturation import host_timeline

__all__ = ["ColdStartRow", "cold_start_rows", "cold_start_section", "init_model"]

#: how the report names a scenario's cold starts
CONDITIONS = {"scenario1": "quiet (scenario 1)", "scenario2": "under load (scenario 2)"}
#: cold-start figures within this much of each other (relative, or absolute ms) are "flat"
SAME_COLD_SHARE = 0.15
SAME_COLD_MS = 10.0


@dataclass(frozen=True, kw_only=True)
class ColdStartRow:
    """One stack's cold starts in one scenario."""

    stack: str
    scenario: str
    language: str
    model_runtime: str
    memory_mb: int | None
    count: int
    latency_p50_ms: float | None
    latency_max_ms: float | None
    init_p50_ms: float | None
    init_max_ms: float | None
    #: cold latency − Init Duration − network path, p50 (requests with a REPORT line)
    after_init_p50_ms: float | None
    #: the cold invocation's own REPORT Duration, p50
    duration_p50_ms: float | None
    #: cold starts in flight during a second the host was saturated by other work; None when
    #: the host was not sampled
    exposed: int | None
    #: cold starts whose request overlapped another stack's cold start (None: the runs do not
    #: say when they started, ``start_epoch_s``)
    beside_other_init: int | None = None
    #: the largest Max Memory Used of its cold starts' REPORT lines (None: no REPORT line)
    peak_memory_mb: int | None = None

    @property
    def memory_bound(self) -> bool:
        """Its cold starts used all of the memory size: the limit bound (file pages reclaimed
        and read again, under the emulator's memory model and in a microVM)."""
        return (
            self.peak_memory_mb is not None
            and self.memory_mb is not None
            and self.peak_memory_mb >= self.memory_mb
        )

    @property
    def condition(self) -> str:
        return CONDITIONS.get(self.scenario, self.scenario)


def _added_ms(run: ScenarioRun) -> float:
    path = run.run.network_path
    added = path.get("added_ms") if path is not None else None
    return float(added) if added is not None else 0.0


def _cold_flights(
    stacks: Mapping[str, Sequence[ScenarioRun]], reports: dict[str, ReportLine]
) -> dict[str, list[tuple[float, float]]]:
    """Every stack's cold requests as (start, end) epoch seconds."""
    flights: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for stack, runs in stacks.items():
        for run in runs:
            start_s = run.run.start_epoch_s
            if start_s is None:
                continue
            for r in run.records:
                if start_kind(r, reports) == "cold":
                    begin = float(start_s) + r.start_s
                    flights[stack].append((begin, begin + r.latency_us / 1e6))
    return flights


def _beside(
    begin: float, end: float, stack: str, flights: Mapping[str, Sequence[tuple[float, float]]]
) -> bool:
    return any(
        b < end and begin < e
        for other, spans in flights.items()
        if other != stack
        for b, e in spans
    )


def cold_start_rows(
    stacks: Mapping[str, Sequence[ScenarioRun]], reports: dict[str, ReportLine]
) -> list[ColdStartRow]:
    """A row per stack and scenario that met at least one cold start, quiet before loaded."""
    rows: list[ColdStartRow] = []
    flights = _cold_flights(stacks, reports)
    for stack, runs in stacks.items():
        settings = next((r.settings for r in runs if r.settings), {})
        memory_mb = settings.get("memory_mb")
        by_scenario: dict[str, list[ScenarioRun]] = defaultdict(list)
        for run in runs:
            by_scenario[run.scenario].append(run)
        for scenario, scenario_runs in by_scenario.items():
            latency: list[float] = []
            init: list[float] = []
            after: list[float] = []
            duration: list[float] = []
            peaks: list[int] = []
            exposed: int | None = None
            beside: int | None = None
            for run in scenario_runs:
                cold = [
                    r for r in run.records if r.error is None and start_kind(r, reports) == "cold"
                ]
                if not cold:
                    continue
                start_s = run.run.start_epoch_s
                if start_s is not None:
                    beside = (beside or 0) + sum(
                        1
                        for r in cold
                        if _beside(
                            float(start_s) + r.start_s,
                            float(start_s) + r.start_s + r.latency_us / 1e6,
                            stack,
                            flights,
                        )
                    )
                timeline = host_timeline(run.folder, run.run, run.summary, stack, run.records)
                if timeline.busy:
                    exposed = (exposed or 0) + sum(1 for r in cold if timeline.exposed(r))
                for r in cold:
                    latency_ms = r.latency_us / 1000.0
                    latency.append(latency_ms)
                    report = reports.get(r.join_id or "")
                    if report is None or report.init_duration_ms is None:
                        continue
                    init.append(report.init_duration_ms)
                    duration.append(report.duration_ms)
                    peaks.append(report.max_memory_used_mb)
                    after.append(latency_ms - report.init_duration_ms - _added_ms(run))
            if not latency:
                continue
            rows.append(
                ColdStartRow(
                    stack=stack,
                    scenario=scenario,
                    language=str(settings.get("language", "?")),
                    model_runtime=str(settings.get("model_runtime", "artifact")),
                    memory_mb=memory_mb if isinstance(memory_mb, int) else None,
                    count=len(latency),
                    latency_p50_ms=percentile(latency, 50),
                    latency_max_ms=max(latency),
                    init_p50_ms=percentile(init, 50),
                    init_max_ms=max(init) if init else None,
                    after_init_p50_ms=percentile(after, 50),
                    duration_p50_ms=percentile(duration, 50),
                    exposed=exposed,
                    beside_other_init=beside,
                    peak_memory_mb=max(peaks) if peaks else None,
                )
            )
    order = {"scenario1": 0, "scenario2": 1}
    return sorted(
        rows,
        key=lambda r: (
            r.model_runtime != "artifact",
            r.model_runtime,
            r.language,
            r.memory_mb or 0,
            r.stack,
            order.get(r.scenario, 2),
        ),
    )


def init_model(runs: Sequence[ScenarioRun]) -> Mapping[str, object] | None:
    """The emulator's init-phase CPU model as the runs state it (run.json ``target.init_cpu``,
    from endpoints.json); None when no run states one (an AWS run)."""
    for run in runs:
        if run.run.target.init_cpu is not None:
            return run.run.target.init_cpu
    return None


def model_words(model: Mapping[str, object] | None) -> str:
    """The init model in effect and what it implies for ranking cold starts by memory."""
    if model is None:
        return (
            "Init-phase CPU: not stated by the runs (an AWS run, or an emulator that did not "
            "state it). On AWS, Init Duration is flat across memory (lambda-perf's daily "
            "measurements, docs/emulator.md) and the first invocation runs at the memory "
            "share."
        )
    mode = str(model.get("mode", "?"))
    described = str(model.get("description", "")).strip()
    head = f"Init-phase CPU: **{mode}**" + (f" — {described}" if described else "")
    if model.get("applied") is False:
        return (
            head + ". Not applied: instances ran without CPU limits, so neither Init "
            "Duration nor the first invocation can rank by memory in this run."
        )
    if mode == "burst":
        return (
            head + ". What it implies: Init Duration should not rank by memory — the "
            "burst is the same at every size, as AWS's measured Init Durations are flat from "
            "128 to 1,024 MB — so a difference in it between memory sizes here is noise or "
            "contention, not memory. The first invocation after init runs at the memory "
            "share: it ranks by memory where it costs CPU (lazy imports, first-call "
            "warm-up, a heavy first prediction) and not where it costs a few ms."
        )
    if mode == "share":
        return (
            head + ". What it implies: init is held to the memory share, so Init Duration "
            "ranks by memory (the smaller, the slower) wherever init costs CPU — the other "
            "reading of AWS, which its measured Init Durations (flat across memory) do not "
            "support; see docs/emulator.md."
        )
    return head + "."


def _trend(points: Sequence[tuple[int, float]], *, memory_blind: bool) -> str:
    """How a p50 moves with memory; ``memory_blind``: the model gives it the same CPU at
    every memory size, so any order it shows is not memory's doing."""
    values = [v for _, v in points]
    low, high = min(values), max(values)
    if high - low <= max(SAME_COLD_MS, SAME_COLD_SHARE * low):
        return "flat" + (", as the model has it" if memory_blind else "")
    if memory_blind:
        return (
            "differs by memory where the model gives every size the same CPU: noise or "
            "contention, not memory"
        )
    if all(b < a for a, b in pairwise(values)):
        return "falls as memory grows (the CPU share)"
    if all(b > a for a, b in pairwise(values)):
        return "rises with memory (not what a CPU share does: noise or contention)"
    return "no order (noise)"


def by_memory(
    rows: Sequence[ColdStartRow], ms: Callable[[float | None], str], mode: str | None = None
) -> list[str]:
    """Per language and model runtime measured quietly at two memory sizes or more: Init
    Duration and the part after it by memory, and their trend (``mode``: the init model,
    under which ``burst`` gives init the same CPU at every size)."""
    groups: dict[tuple[str, str], list[ColdStartRow]] = defaultdict(list)
    for row in rows:
        if row.scenario == "scenario1" and row.memory_mb is not None:
            groups[(row.language, row.model_runtime)].append(row)
    out: list[str] = []
    for (language, runtime), group in sorted(groups.items()):
        group = sorted(group, key=lambda r: r.memory_mb or 0)
        if len({r.memory_mb for r in group}) < 2:
            continue
        sizes = "/".join(str(r.memory_mb) for r in group)
        parts: list[str] = []
        for label, values, blind in (
            ("Init Duration", [r.init_p50_ms for r in group], mode == "burst"),
            ("after init", [r.after_init_p50_ms for r in group], False),
        ):
            if any(v is None for v in values):
                continue
            points = [
                (r.memory_mb or 0, float(v))
                for r, v in zip(group, values, strict=True)
                if v is not None
            ]
            trend = _trend(points, memory_blind=blind)
            bound = [r.memory_mb for r in group if r.memory_bound]
            if bound and not trend.startswith("flat"):
                # The CPU is the same at every size, but memory is not: where the limit bound,
                # the framework's file pages were reclaimed and read again (docs/emulator.md).
                sizes_bound = "/".join(str(m) for m in bound)
                trend = (
                    f"differs by memory, and the memory limit bound at {sizes_bound} MB "
                    "(Max Memory Used = the memory size: pages reclaimed and read again): "
                    "memory's doing, not the CPU's"
                )
            parts.append(f"{label} p50 {' / '.join(ms(v) for _, v in points)} ms: {trend}")
        counts = "/".join(str(r.count) for r in group)
        if parts:
            out.append(
                f"{language} ({runtime}) at {sizes} MB, {counts} quiet cold starts: "
                + "; ".join(parts)
            )
    return out


def cold_start_section(
    rows: Sequence[ColdStartRow],
    runs: Sequence[ScenarioRun],
    *,
    ms: Callable[[float | None], str],
    marks: Callable[[str], str] = lambda stack: stack,
) -> list[str]:
    """The "Cold starts" section: the init model, the table, the trend by memory."""
    model = init_model(runs)
    md = [
        "## Cold starts: quiet and under load",
        "",
        f"- {model_words(model)}",
        "",
        (
            "| stack | measured | cold starts [C] | cold latency p50 ms [C] | max [C] "
            "| Init Duration p50 ms [S] | max [S] | after init p50 ms [D] "
            "| of which first invocation p50 ms [S] | beside another stack's cold start [C] "
            "| in a saturated second [M] |"
        ),
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        exposed = "–" if r.exposed is None else f"{r.exposed} of {r.count}"
        beside = "–" if r.beside_other_init is None else f"{r.beside_other_init} of {r.count}"
        md.append(
            f"| {marks(r.stack)} | {r.condition} | {r.count} | {ms(r.latency_p50_ms)} "
            f"| {ms(r.latency_max_ms)} | {ms(r.init_p50_ms)} | {ms(r.init_max_ms)} "
            f"| {ms(r.after_init_p50_ms)} | {ms(r.duration_p50_ms)} | {beside} "
            f"| {exposed} |"
        )
    md += [
        "",
        (
            "Quiet cold starts (scenario 1: one request after an idle gap; the study staggers "
            "the stacks' probes so that no two stacks' cold starts run together, and the column "
            "beside another stack's cold start says where they still met) are what a cold "
            "start costs the stack; "
            "cold starts under load (scenario 2: several instances starting together while the "
            "users ramp up, on the host that serves the load) share the machine's CPUs with "
            "their siblings' inits and the warm traffic, which Lambda's fleet would not make "
            "them do: they are shown apart, not ranked. After init [D] is the cold latency "
            "less Init Duration and the network path: the first invocation (its REPORT "
            "Duration) and what the platform spent around init (creating the instance, "
            "unpacking its package at a stack's first cold start of a run, starting its "
            "process). In a saturated second [M]: cold "
            "starts in flight while the host's CPUs were ≥ 90% busy with work other than the "
            'stack\'s own instances (docs/results.md, "Saturation").'
        ),
        "",
    ]
    applied = model is not None and model.get("applied") is not False
    trend = by_memory(rows, ms, str(model.get("mode")) if model and applied else None)
    if trend:
        md += ["By memory, quiet cold starts [D]:", ""] + [f"- {line}." for line in trend] + [""]
    return md
