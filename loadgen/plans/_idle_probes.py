"""Scenario 1: probes after timed idle gaps, the eviction bracket, and its bisection.

Each probe opens a fresh connection, so an instance is kept or evicted by the platform,
never by the client's keep-alive. A gap is the idle time from the end of one response to
the start of the next request.
"""

from __future__ import annotations

from collections.abc import Sequence

from resultfiles import BisectedBracket, EvictionBracket, IdleGap, Record, Scenario1Figures

from ..engine._state import RunState
from ._idle_plan import IdlePlan

__all__ = ["eviction_bracket", "run_idle"]


def eviction_bracket(gaps: Sequence[IdleGap]) -> EvictionBracket:
    """The idle bracket from probe outcomes: longest idle kept, shortest idle evicted.

    ``consistent`` is False when some instance was kept after a longer idle than one that
    was evicted (a platform's eviction is not a sharp threshold).
    """
    kept = [g.idle_s for g in gaps if g.outcome == "kept"]
    evicted = [g.idle_s for g in gaps if g.outcome == "evicted"]
    kept_s = max(kept) if kept else None
    evicted_s = min(evicted) if evicted else None
    consistent = kept_s is None or evicted_s is None or kept_s < evicted_s
    if kept_s is not None and evicted_s is not None and not consistent:
        # Report the tightest bracket the consistent probes allow, keep the flag.
        below = [k for k in kept if k < evicted_s]
        kept_s = max(below) if below else None
    return EvictionBracket(kept_s=kept_s, evicted_s=evicted_s, consistent=consistent)


async def run_idle(state: RunState, plan: IdlePlan, *, time_scale: float) -> None:
    """Probe at the plan's offsets, then (with a precision) bisect the bracket."""
    clock, attempt = state.clock, state.attempts.attempt
    gaps: list[IdleGap] = []
    # What summary.json states if the run ends here: republished as each gap is measured.
    state.scenario1 = Scenario1Figures()
    state.users(+1)
    previous: tuple[Record, int] | None = None
    for index, offset_s in enumerate(plan.offsets_s):
        intended_ns = clock.at_ns(offset_s)
        await clock.sleep_until_s(offset_s)
        _, rec, done_ns = await attempt(
            None, user=0, stage=0, phase="probe", fresh=True, intended_ns=intended_ns
        )
        if previous is not None:
            gaps.append(
                _gap(
                    state,
                    previous,
                    rec,
                    time_scale=time_scale,
                    planned_s=offset_s - plan.offsets_s[index - 1],
                )
            )
            state.scenario1 = Scenario1Figures(gaps=tuple(gaps))
        previous = (rec, done_ns)
    bracket = eviction_bracket(gaps)
    state.scenario1 = Scenario1Figures(gaps=tuple(gaps), bracket=bracket)
    precision = plan.bisect_precision_s
    if precision is None:
        return
    lo, hi = bracket.kept_s, bracket.evicted_s
    if lo is None or hi is None:
        state.notes.append("bisect skipped: the bracket needs a kept gap and an evicted gap")
        return
    probes = 0
    limit = plan.bisect_probes_max(lo, hi) + 2
    while hi - lo > precision and probes < limit:
        probes += 1
        mid_s = (lo + hi) / 2
        _, warm, warm_done_ns = await attempt(None, user=0, stage=0, phase="warmup", fresh=True)
        if warm.error is not None:
            state.notes.append(f"bisect stopped: the warm-up request failed ({warm.error})")
            break
        intended_ns = warm_done_ns + int(mid_s * 1e9)
        await clock.sleep_until_s(clock.offset_s(intended_ns))
        _, rec, done_ns = await attempt(
            None, user=0, stage=0, phase="bisect", fresh=True, intended_ns=intended_ns
        )
        gap = _gap(state, (warm, warm_done_ns), rec, time_scale=time_scale, planned_s=mid_s)
        gaps.append(gap)
        state.scenario1 = Scenario1Figures(gaps=tuple(gaps), bracket=bracket)
        if gap.outcome == "kept":
            lo = gap.idle_s
        elif gap.outcome == "evicted":
            hi = gap.idle_s
        else:
            state.notes.append(f"bisect stopped: probe {rec.seq} failed ({rec.error})")
            break
    state.scenario1 = Scenario1Figures(
        gaps=tuple(gaps),
        bracket=bracket,
        bisected=BisectedBracket(
            kept_s=lo,
            evicted_s=hi,
            probes=probes,
            precision_s=precision,
            narrow_enough=hi - lo <= precision,
        ),
    )


def _gap(
    state: RunState,
    previous: tuple[Record, int],
    rec: Record,
    *,
    time_scale: float,
    planned_s: float,
) -> IdleGap:
    before, before_done_ns = previous
    idle_s = round(rec.start_s - state.clock.offset_s(before_done_ns), 6)
    if before.error is not None or rec.error is not None:
        outcome = "unknown"
    else:
        new_instance = (
            rec.instance_id is not None
            and before.instance_id is not None
            and rec.instance_id != before.instance_id
        )
        outcome = "evicted" if (rec.cold_start is True or new_instance) else "kept"
    return IdleGap(
        seq=rec.seq,
        phase=rec.phase,
        planned_s=round(planned_s, 6),
        idle_s=idle_s,
        idle_plan_s=round(idle_s * time_scale, 3),
        latency_ms=rec.latency_us / 1000,
        cold_start=rec.cold_start,
        instance_id=rec.instance_id,
        previous_instance_id=before.instance_id,
        init_ms=rec.init_ms,
        error=rec.error,
        outcome=outcome,
    )
