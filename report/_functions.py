"""The "Your function" section: a team's own function (a ``function`` stack), per memory size.

What a team needs to choose a memory size for its function, in its own terms (requests, not
predictions): what it deploys (its zip and the wheels in it, or its image), its cold starts
(Init Duration, the cold requests' client latency), its warm latency, the largest Max Memory
Used against the size, and the failures by kind from its log. The figures are the model-runtime
section's (``_runtimes.runtime_figures``); a function stack has no model runtime, no KDD rows.
"""

from __future__ import annotations

from ._runtime_section import package_words
from ._runtimes import RuntimeFigures, SectionInput

__all__ = ["function_section"]


def _requirements(f: RuntimeFigures) -> str:
    if f.package is None:
        return "–"
    pins = f.package.get("requirements")
    return ", ".join(str(p) for p in (pins if isinstance(pins, list) else [])) or "none"


def _failures(f: RuntimeFigures) -> str:
    if f.failures is None:
        return "unknown (no log)"
    found = [f"{kind} {count}" for kind, count in f.failures.items() if count]
    types = ", ".join(f"{name} {count}" for name, count in f.error_types.items())
    return (", ".join(found) + (f" ({types})" if types else "")) if found else "none"


def _memory(f: RuntimeFigures) -> str:
    if f.max_memory_used_mb is None or f.memory_mb is None:
        return "–"
    share = f.max_memory_used_mb / f.memory_mb
    return f"{f.max_memory_used_mb} of {f.memory_mb} ({share:.0%})"


def function_section(given: SectionInput) -> list[str]:
    """The "Your function" section, or nothing when no function stack was run."""
    chosen = given.chosen(functions=True)
    if not chosen:
        return []
    ms, marks = given.ms, given.marks
    figures = sorted(given.figures(functions=True), key=lambda f: (f.memory_mb or 0, f.stack))
    handlers = {
        stack: str(
            next((r.settings.get("handler") for r in runs if r.settings.get("handler")), "?")
        )
        for stack, runs in chosen.items()
    }
    head = (
        "| stack | handler | memory MB | package | requirements | requests [C] | failed [C] "
        "| cold starts [C] | Init Duration p50 ms [S] | max [S] | cold latency p50 ms [C] "
        "| warm p50 ms [C] | warm p99 ms [C] | Max Memory Used MB [S] | failures by kind [S] |"
    )
    md = [
        "## Your function",
        "",
        (
            "Your function at each memory size, every scenario of each: what it deploys (the zip "
            "with its dependencies' wheels for Lambda's platform, as `pulumi up` uploads it), its "
            "cold starts (Init Duration: importing your code and dependencies; the cold "
            "requests' client latency: what a caller waits), its warm latency, the most memory "
            "it used against its size, and its failures by kind from its log (out of memory, "
            "init timeout: Lambda's 10 s, init failure such as `Runtime.ImportModuleError`, "
            "function timeout, other). A request is correct when it is answered 2xx (with the "
            "stack's `expect_field` in its body, when it names one)."
        ),
        "",
        head,
        "|" + "---|" * (head.count("|") - 1),
    ]
    for f in figures:
        md.append(
            f"| {marks(f.stack)} | `{handlers[f.stack]}` | "
            f"{f.memory_mb if f.memory_mb is not None else '–'} | {package_words(f)} | "
            f"{_requirements(f)} | {f.requests:,} | {f.failed_requests:,} | {f.cold_starts} "
            f"| {ms(f.init_duration_p50_ms)} | {ms(f.init_duration_max_ms)} "
            f"| {ms(f.cold_latency_p50_ms)} | {ms(f.warm_p50_ms)} | {ms(f.warm_p99_ms)} "
            f"| {_memory(f)} | {_failures(f)} |"
        )
    md.append("")
    tight = [
        f
        for f in figures
        if f.max_memory_used_mb is not None
        and f.memory_mb
        and f.max_memory_used_mb >= 0.9 * f.memory_mb
    ]
    md += [
        f"- **{f.stack}** used {_memory(f)} MB: at its size the memory limit binds (pages "
        "are reclaimed and read again, and more would be killed); a larger size is safer."
        for f in tight
    ]
    failing = [f for f in figures if f.failed_requests]
    md += [
        f"- **{f.stack}**: {f.failed_requests:,} of {f.requests:,} requests failed [C] ("
        + ", ".join(f"{k} {v}" for k, v in f.client_errors.items())
        + ")."
        for f in failing
    ]
    notes = [f"- {f.stack}: {note}" for f in figures for note in f.notes]
    return md + ([""] if tight or failing else []) + notes + ([""] if notes else [])
