"""The "Model runtime" section: the same model served by the evaluator, LiteRT, ONNX Runtime and
TensorFlow, stack by stack (:mod:`report._runtimes` computes the figures)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ._reading import ScenarioRun
from ._runtimes import RuntimeFigures, SectionInput

__all__ = ["package_words", "runtime_section"]

#: The table's order: no framework, then the frameworks from the smallest package up.
_RUNTIME_ORDER = {"artifact": 0, "litert": 1, "onnx": 2, "tensorflow": 3}


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
