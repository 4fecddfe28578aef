"""The model-runtime section: the same model served by the evaluator, LiteRT, ONNX Runtime and
TensorFlow.

Per stack: the model runtime (run.json's ``target.settings.model_runtime``), what the stack
deploys (``target.package``, which the emulator states in endpoints.json; an AWS run has none),
the cold start (Init Duration from REPORT lines, the client's latency of the requests that met a
new instance), the warm latency over every run of the stack (so scenario 1 alone is enough),
the largest Max Memory Used, and the failures by kind, read from the stack's log
(``logs/<stack>.log``): REPORT lines with a ``Status`` and INIT_REPORT lines.

How a failure is classified (Lambda's REPORT and INIT_REPORT fields; docs/results.md):

- out of memory: ``Error Type: Runtime.OutOfMemory`` (in an invocation or in init);
- init timeout: INIT_REPORT ``Status: timeout`` (the 10 s init limit; Lambda retries the init
  inside the first invocation, ``Phase: invoke``, under the function's timeout);
- init failure: INIT_REPORT ``Status: error`` for any other error type
  (``Runtime.ImportModuleError``, ``Runtime.InitError``, ``Runtime.ExitError``...);
- function timeout: REPORT ``Status: timeout`` (``Task timed out``);
- other: REPORT ``Status: error`` with any other error type, or none.

A REPORT line that closes an invocation whose retried init failed (an INIT_REPORT with
``Phase: invoke`` just before it) is that init's failure, counted once.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._figures import percentile, start_kind
from ._reading import ScenarioRun
from ._reportline import (
    ReportLine,
    ReportLineError,
    is_report_line,
    parse_init_report_line,
    parse_report_line,
)

__all__ = [
    "FAILURE_KINDS",
    "LogFailures",
    "RuntimeFigures",
    "failure_kinds",
    "runtime_figures",
    "runtime_section",
]

#: The failure kinds, in the order the report shows them.
FAILURE_KINDS = ("out of memory", "init timeout", "init failure", "function timeout", "other")
OUT_OF_MEMORY = "Runtime.OutOfMemory"
#: The table's order: no framework, then the frameworks from the smallest package up.
_RUNTIME_ORDER = {"artifact": 0, "litert": 1, "onnx": 2, "tensorflow": 3}


def _report_kind(report: ReportLine) -> str | None:
    status = (report.status or "").lower()
    if report.error_type == OUT_OF_MEMORY:
        return "out of memory"
    if status in ("", "success"):
        return None
    if status == "timeout":
        return "function timeout"
    return "other"


@dataclass(frozen=True, kw_only=True)
class LogFailures:
    """What one stack's log says went wrong."""

    #: failures by kind (``FAILURE_KINDS``)
    kinds: Counter[str]
    #: the error types the failed lines name (``Runtime.OutOfMemory``, ...; a timeout names none)
    error_types: Counter[str]
    #: the largest Max Memory Used of the log's REPORT lines, MB
    peak_mb: int | None
    #: ``line number: why`` of REPORT lines that could not be read
    problems: list[str]


def failure_kinds(lines: Iterable[str]) -> LogFailures:
    """The failures by kind in one stack's log, and its largest Max Memory Used."""
    kinds: Counter[str] = Counter()
    error_types: Counter[str] = Counter()
    peak_mb: int | None = None
    problems: list[str] = []
    retried_init_failed = False
    for number, line in enumerate(lines, start=1):
        init = parse_init_report_line(line)
        if init is not None:
            status = (init.status or "").lower()
            if status in ("", "success"):
                continue
            if init.error_type:
                error_types[init.error_type] += 1
            if init.error_type == OUT_OF_MEMORY:
                kinds["out of memory"] += 1
            elif status == "timeout":
                kinds["init timeout"] += 1
            else:
                kinds["init failure"] += 1
            retried_init_failed = init.phase == "invoke"
            continue
        if not is_report_line(line):
            continue
        try:
            report = parse_report_line(line)
        except ReportLineError as exc:
            problems.append(f"{number}: {exc}")
            continue
        peak_mb = max(peak_mb or 0, report.max_memory_used_mb)
        kind = _report_kind(report)
        if kind is not None and not retried_init_failed:
            kinds[kind] += 1
            if report.error_type:
                error_types[report.error_type] += 1
        retried_init_failed = False
    return LogFailures(kinds=kinds, error_types=error_types, peak_mb=peak_mb, problems=problems)


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


def _mb(size_bytes: Any) -> str:
    # MB as Lambda's quotas count them (1 MB = 1,048,576 bytes); the evaluator's zip is KBs.
    if not isinstance(size_bytes, int):
        return "?"
    if size_bytes < 1024 * 1024:
        return f"{size_bytes / 1024:,.1f} KB"
    return f"{size_bytes / (1024 * 1024):,.1f} MB"


def package_words(f: RuntimeFigures) -> str:
    """What the stack deploys, in the table's words."""
    p = f.package
    if p is None:
        if f.source == "emulator":
            return "not stated (the emulator wrote no `package`)"
        return "not stated (not built by this side: an AWS or URL target)"
    if p.get("kind") == "image":
        listed = p.get("requirements")
        pins = ", ".join(str(r) for r in (listed if isinstance(listed, list) else [])) or "?"
        return (
            f"image: function and model {_mb(p.get('unzipped_bytes'))} on AWS's base image "
            f"+ {pins} (image size not measured)"
        )
    words = f"zip {_mb(p.get('code_bytes'))} ({_mb(p.get('unzipped_bytes'))} unzipped"
    if p.get("layer_bytes"):
        words += f", layer {_mb(p.get('layer_bytes'))} zipped"
    return words + ")"


def _failures(f: RuntimeFigures) -> str:
    if f.failures is None:
        return "unknown (no log)"
    found = [f"{kind} {count}" for kind, count in f.failures.items() if count]
    return ", ".join(found) if found else "none"


def _over_limit(f: RuntimeFigures) -> bool:
    return (
        f.max_memory_used_mb is not None
        and f.memory_mb is not None
        and f.max_memory_used_mb > f.memory_mb
    )


def _at_limit(f: RuntimeFigures) -> bool:
    """Max Memory Used reached the memory size: the limit bound (file pages were reclaimed
    within it, so the instance slowed, or anonymous memory was killed)."""
    return (
        f.max_memory_used_mb is not None
        and f.memory_mb is not None
        and f.max_memory_used_mb == f.memory_mb
    )


def _types(f: RuntimeFigures) -> str:
    if not f.error_types:
        return ""
    return " (" + ", ".join(f"{name} {count}" for name, count in f.error_types.items()) + ")"


def _order(f: RuntimeFigures) -> tuple[int, str, int, str]:
    return (_RUNTIME_ORDER.get(f.model_runtime, 9), f.language, f.memory_mb or 0, f.stack)


def _stated_model(runs: Sequence[ScenarioRun], key: str, unstated: str) -> str:
    """The emulator's model ``key`` (``init_cpu``, ``memory_limit``) as the runs' target states
    it: its mode and description; ``unstated`` where no run carries it."""
    for run in runs:
        target = run.run.target
        model = target.init_cpu if key == "init_cpu" else target.memory_limit
        if model is not None:
            return f"{model.get('mode', '?')}: {model.get('description', '')}".rstrip(": ")
    return unstated


def _memory_limit(runs: Sequence[ScenarioRun]) -> str:
    return _stated_model(
        runs,
        "memory_limit",
        (
            "not stated by the runs (an AWS run, where the memory size is the whole execution "
            "environment's, or an emulator that did not state it)"
        ),
    )


def _init_cpu(runs: Sequence[ScenarioRun]) -> str:
    return _stated_model(
        runs,
        "init_cpu",
        (
            "not stated by the runs (an AWS run, or an emulator that did not state its model): "
            "read Init Durations with that in mind"
        ),
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


def runtime_section(given: SectionInput) -> list[str]:
    """The "Model runtime" section, or nothing when no stack serves with a framework."""
    # A team's own function has no model runtime: it has its own section (``_functions``).
    stacks = given.chosen(functions=False)
    if not any(
        r.settings.get("model_runtime") not in (None, "artifact")
        for runs in stacks.values()
        for r in runs
    ):
        return []
    ms, marks = given.ms, given.marks
    figures = sorted(given.figures(functions=False), key=_order)
    head = (
        "| stack | model runtime | memory MB | package | requests [C] | failed [C] "
        "| cold starts [C] | Init Duration p50 ms [S] | Init Duration max ms [S] "
        "| cold latency p50 ms [C] | cold latency max ms [C] | warm n [C] | warm p50 ms [C] "
        "| warm p99 ms [C] | Max Memory Used MB [S] | failures by kind [S] |"
    )
    md = [
        "## Model runtime",
        "",
        (
            "The same model served without a framework (`artifact`, the evaluator), with LiteRT "
            "(`litert`), with ONNX Runtime (`onnx`) and with TensorFlow (`tensorflow`), every "
            "scenario of each stack: scenario 1 alone gives its cold starts and a few warm "
            "requests. Failures by kind come from the "
            "stack's log: out of memory (`Error Type: Runtime.OutOfMemory`), init timeout "
            "(INIT_REPORT `Status: timeout`: the 10 s init limit, after which Lambda retries the "
            "init inside the first invocation under the function's timeout), init failure "
            "(INIT_REPORT `Status: error`), function timeout (REPORT `Status: timeout`) and other "
            "(REPORT `Status: error`)."
        ),
        "",
        f"- Init-phase CPU: {_init_cpu([r for runs in stacks.values() for r in runs])}.",
        f"- Memory limit: {_memory_limit([r for runs in stacks.values() for r in runs])}.",
        "",
        head,
        "|" + "---|" * (head.count("|") - 1),
    ]
    for f in figures:
        md.append(
            f"| {marks(f.stack)} | {f.model_runtime} | "
            f"{f.memory_mb if f.memory_mb is not None else '–'} "
            f"| {package_words(f)} | {f.requests:,} | {f.failed_requests:,} | {f.cold_starts} "
            f"| {ms(f.init_duration_p50_ms)} | {ms(f.init_duration_max_ms)} "
            f"| {ms(f.cold_latency_p50_ms)} | {ms(f.cold_latency_max_ms)} | {f.warm_requests} "
            f"| {ms(f.warm_p50_ms)} | {ms(f.warm_p99_ms)} "
            f"| {f.max_memory_used_mb if f.max_memory_used_mb is not None else '–'} | "
            f"{_failures(f)} |"
        )
    md.append("")
    findings = [
        f
        for f in figures
        if f.failed_requests
        or (f.failures is not None and any(f.failures.values()))
        or _over_limit(f)
        or _at_limit(f)
    ]
    if findings:
        md += [
            (
                "Failures, and memory used to its size (a finding, not noise: a stack that cannot "
                "serve at its memory is the answer for that memory):"
            ),
            "",
        ]
        for f in findings:
            client = ", ".join(f"{k} {v}" for k, v in f.client_errors.items()) or "none"
            memory = (
                f"; Max Memory Used {f.max_memory_used_mb} of {f.memory_mb} MB"
                if f.max_memory_used_mb is not None and f.memory_mb is not None
                else ""
            )
            if _over_limit(f):
                memory += " (over its memory size: the limit did not bind in this run)"
            elif _at_limit(f):
                memory += (
                    " (all of it: the limit bound; file pages such as the framework's "
                    "libraries are reclaimed and read again, which slows init and "
                    "requests, and anonymous memory past it is killed)"
                )
            md.append(
                f"- **{f.stack}** ({f.model_runtime}, {f.memory_mb} MB): "
                f"{f.failed_requests:,} of {f.requests:,} requests failed [C] ({client}); "
                f"{_failures(f)} [S]{_types(f)}{memory}."
            )
        md.append("")
    else:
        md += [
            (
                "No stack failed a request, ran out of memory or overran its init, and none used "
                "all of its memory size."
            ),
            "",
        ]
    notes = [f"- {f.stack}: {note}" for f in figures for note in f.notes]
    if any(f.package is None for f in figures):
        notes.append(
            "- Package sizes are stated by the local emulator (endpoints.json); for an "
            "AWS run they are absent: see `pulumi up`'s output or the function's "
            "configuration (CodeSize)."
        )
    return md + notes + ([""] if notes else [])
