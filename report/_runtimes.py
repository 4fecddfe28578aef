"""One stack's model-runtime figures from all its runs, its REPORT lines and its log: what the
model-runtime and the function sections are written from.

Per stack: the model runtime (run.json's ``target.settings.model_runtime``), what the stack
deploys (``target.package``, which the emulator states in endpoints.json; an AWS run has none),
the cold start (Init Duration from REPORT lines, the client's latency of the requests that met a
new instance), the warm latency over every run of the stack (so scenario 1 alone is enough),
the largest Max Memory Used, and the failures by kind read from the stack's log
(:mod:`report._failures`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ._failures import FAILURE_KINDS, failure_kinds
from ._figures import percentile, start_kind
from ._reading import ScenarioRun
from ._reportline import ReportLine

__all__ = ["RuntimeFigures", "SectionInput", "is_function_stack", "runtime_figures"]


@dataclass(frozen=True, kw_only=True)
class RuntimeFigures:
    """One stack's row of the model-runtime table (every scenario of the stack)."""

    stack: str
    model_runtime: str
    language: str
    memory_mb: int | None
    #: run.json's ``target.package`` (None: the run did not say, e.g. an AWS stack)
    package: Mapping[str, object] | None
    #: where the run's target came from: ``emulator``, ``pulumi``, ``url``
    source: str
    requests: int
    failed_requests: int
    client_errors: dict[str, int]
    cold_starts: int
    cold_latency_p50_ms: float | None
    cold_latency_max_ms: float | None
    init_duration_p50_ms: float | None
    init_duration_max_ms: float | None
    warm_requests: int
    warm_p50_ms: float | None
    warm_p99_ms: float | None
    max_memory_used_mb: int | None
    #: failures by kind from the stack's log; None when no log of the stack was found
    failures: dict[str, int] | None
    #: the error types of those failures, as the log names them
    error_types: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def runtime_figures(
    stack: str, runs: Sequence[ScenarioRun], reports: dict[str, ReportLine], log: Path | None
) -> RuntimeFigures:
    """The model-runtime figures of one stack from all its runs and its log."""
    settings = next((r.settings for r in runs if r.settings), {})
    targets = [r.run.target for r in runs if r.run.present]
    source = targets[0].source if targets else None
    package = next((t.package for t in targets if t.package is not None), None)
    records = [record for run in runs for record in run.records]
    errors = Counter(r.error for r in records if r.error is not None)
    cold_ms = [
        r.latency_us / 1000.0
        for r in records
        if r.error is None and start_kind(r, reports) == "cold"
    ]
    warm_ms = [
        r.latency_us / 1000.0
        for r in records
        if r.error is None and start_kind(r, reports) == "warm"
    ]
    joined = [reports[r.join_id] for r in records if r.join_id is not None and r.join_id in reports]
    init_ms = [rep.init_duration_ms for rep in joined if rep.init_duration_ms is not None]
    notes: list[str] = []
    failures: dict[str, int] | None = None
    error_types: dict[str, int] = {}
    peak_mb = max((rep.max_memory_used_mb for rep in joined), default=None)
    if log is not None:
        with log.open(encoding="utf-8", errors="replace") as stream:
            found = failure_kinds(stream)
        failures = {kind: found.kinds.get(kind, 0) for kind in FAILURE_KINDS}
        error_types = dict(sorted(found.error_types.items()))
        if found.peak_mb is not None:
            peak_mb = max(peak_mb or 0, found.peak_mb)
        notes += [f"unreadable REPORT line {log}:{problem}" for problem in found.problems]
    else:
        notes.append(f"no log of {stack} (logs/{stack}.log): failures by kind unknown")
    memory_mb = settings.get("memory_mb")
    if isinstance(memory_mb, int) and peak_mb is not None and peak_mb > memory_mb:
        # Lambda's limit holds the function's memory, file pages included; a larger peak means
        # the limit did not bind here: an emulator without memory cgroups (its watchdog samples),
        # or one from before instances' file pages were charged to them (docs/emulator.md).
        notes.append(
            f"Max Memory Used {peak_mb} MB is over its memory size ({memory_mb} MB): the "
            "memory limit did not bind in this run (an emulator without memory cgroups, "
            "or file pages it did not charge to the instance), so it cannot show what "
            "this memory size does on AWS"
        )
    return RuntimeFigures(
        stack=stack,
        model_runtime=str(settings.get("model_runtime", "artifact")),
        language=str(settings.get("language", "?")),
        memory_mb=memory_mb if isinstance(memory_mb, int) else None,
        package=package,
        source=source or "?",
        requests=len(records),
        failed_requests=sum(errors.values()),
        client_errors=dict(sorted(errors.items())),
        cold_starts=len(cold_ms),
        cold_latency_p50_ms=percentile(cold_ms, 50),
        cold_latency_max_ms=max(cold_ms) if cold_ms else None,
        init_duration_p50_ms=percentile(init_ms, 50),
        init_duration_max_ms=max(init_ms) if init_ms else None,
        warm_requests=len(warm_ms),
        warm_p50_ms=percentile(warm_ms, 50),
        warm_p99_ms=percentile(warm_ms, 99),
        max_memory_used_mb=peak_mb,
        failures=failures,
        error_types=error_types,
        notes=notes,
    )


def is_function_stack(runs: Sequence[ScenarioRun]) -> bool:
    """A stack whose runs' target settings say ``kind: function`` (a team's own function)."""
    return any(r.settings.get("kind") == "function" for r in runs)


@dataclass(frozen=True, kw_only=True)
class SectionInput:
    """What the model-runtime and the function sections are written from."""

    #: every run, by stack
    stacks: Mapping[str, Sequence[ScenarioRun]]
    #: the REPORT lines, by request id
    reports: dict[str, ReportLine]
    #: the stacks' log files (``logs/<stack>.log``)
    logs: Sequence[Path]
    #: how the report writes a duration in milliseconds
    ms: Callable[[float | None], str]
    #: a stack's name as the report's tables mark it
    marks: Callable[[str], str] = str

    def chosen(self, *, functions: bool) -> dict[str, Sequence[ScenarioRun]]:
        """The function stacks (``functions``) or the others, each with its runs."""
        return {
            stack: runs
            for stack, runs in self.stacks.items()
            if is_function_stack(runs) == functions
        }

    def figures(self, *, functions: bool) -> list[RuntimeFigures]:
        """Each chosen stack's figures: its runs, REPORT lines and log joined."""
        by_stem = {path.stem: path for path in self.logs}
        return [
            runtime_figures(stack, runs, self.reports, by_stem.get(stack))
            for stack, runs in self.chosen(functions=functions).items()
        ]
