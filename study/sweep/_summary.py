"""The summary lines of a sweep, printed after its table and written into report.md: the
strategy's and the SLO's choice, the best size per figure with the sizes indistinguishable from
it, the sizes not run."""

from __future__ import annotations

from collections.abc import Sequence

from report import CI_METHOD

from ._local import host_cpus
from ._stats import Choice, SizeStats, best_and_ties


def summary_lines(
    *,
    slo_given: bool,
    sizes: Sequence[int],
    not_run: dict[int, str],
    by_strategy: Choice,
    choice: Choice,
    elapsed_s: float,
    stats: Sequence[SizeStats],
) -> list[str]:
    lines = [
        f"measured in {elapsed_s:.0f} s; figures are medians with {CI_METHOD}",
        f"strategy {by_strategy.reason}",
    ]
    if slo_given:
        lines.append(choice.reason)
    for figure, label, best_word in (
        ("warm_duration", "warm Duration", "fastest"),
        ("cost_per_million_usd", "cost per million", "cheapest"),
        ("init", "Init Duration", "shortest"),
    ):
        found = best_and_ties(stats, figure)
        if found is not None and sum(s.usable for s in stats) > 1:
            best_mb, ties = found
            lines.append(
                f"{label}: {best_word} {best_mb:,} MB"
                + (
                    f"; indistinguishable from it: {', '.join(f'{m:,}' for m in ties)} MB"
                    if ties
                    else "; no other size's interval overlaps it"
                )
            )
    skipped = [m for m in sizes if m in not_run]
    if skipped:
        lines.append(
            f"not run: {', '.join(f'{m:,} MB' for m in skipped)} (their CPU share is "
            f"more than this host's {host_cpus()} CPUs)"
        )
    return lines
