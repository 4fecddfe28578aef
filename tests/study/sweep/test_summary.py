"""The summary lines: the strategy's choice, the SLO's when one was given, the best size per
figure with the sizes indistinguishable from it, the sizes not run."""

from __future__ import annotations

from study.sweep._stats import Choice
from study.sweep._summary import summary_lines

from ...support import sweeps


def test_the_lines_name_the_choice_the_best_sizes_and_those_not_run() -> None:
    stats = [sweeps.stats(512, [30.0, 31.0, 32.0]), sweeps.stats(1024, [10.0, 11.0, 12.0])]
    by_strategy = Choice(memory_mb=512, reason="cost: 512 MB is the cheapest")
    by_slo = Choice(memory_mb=1024, reason="SLO warm-p99=20ms: 1,024 MB is the cheapest meeting it")
    lines = summary_lines(
        slo_given=True,
        sizes=[512, 1024, 4096],
        not_run={4096: "not emulable"},
        by_strategy=by_strategy,
        choice=by_slo,
        elapsed_s=42.4,
        stats=stats,
    )
    assert lines[0].startswith("measured in 42 s; figures are medians with ")
    assert lines[1] == "strategy cost: 512 MB is the cheapest"
    assert lines[2] == by_slo.reason
    assert "warm Duration: fastest 1,024 MB; no other size's interval overlaps it" in lines
    assert lines[-1].startswith("not run: 4,096 MB (their CPU share is more than this host's ")


def test_without_an_slo_or_a_second_size_there_is_no_slo_line_and_no_best() -> None:
    choice = Choice(memory_mb=512, reason="cost: 512 MB is the cheapest")
    lines = summary_lines(
        slo_given=False,
        sizes=[512],
        not_run={},
        by_strategy=choice,
        choice=choice,
        elapsed_s=3.0,
        stats=[sweeps.stats(512, [30.0, 31.0, 32.0])],
    )
    assert len(lines) == 2 and lines[1] == "strategy cost: 512 MB is the cheapest"
