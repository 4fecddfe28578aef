"""Scenario 1's driver (loadgen/plans/_idle_probes.py) against a scripted platform, no sockets,
no sleeping: summary.json's ``scenario1`` byte for byte as the driver wrote it before it was
typed (the reference is main's dictionary-building driver run on this platform), and what a run
interrupted between probes states."""

from __future__ import annotations

import json
import math
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, cast

import anyio

from loadgen import eviction_bracket
from loadgen.plans._idle_plan import IdlePlan
from loadgen.plans._idle_probes import run_idle
from resultfiles import EvictionBracket, IdleGap, Record, Scenario1Figures

if TYPE_CHECKING:
    from loadgen.engine._state import RunState

WRITTEN = (
    Path(__file__).resolve().parents[2]
    / "resultfiles"
    / "written"
    / "idle-probes"
    / "scenario1.json"
)
#: the scripted platform evicts an instance idle for longer than this
EVICT_AFTER_S = 0.5


class _Platform:
    """A clock that jumps instead of sleeping and a function whose instance is evicted after
    ``EVICT_AFTER_S`` of idle; the fourth request fails (a timeout), to state an unknown gap."""

    def __init__(self) -> None:
        self.now_ns = 0
        self.last_done_ns: int | None = None
        self.instance = 0
        self.seq = 0
        self.snapshots: list[object] = []

    def at_ns(self, t_s: float) -> int:
        return int(t_s * 1e9)

    def offset_s(self, ns: int) -> float:
        return ns / 1e9

    async def sleep_until_s(self, t_s: float) -> None:
        self.now_ns = max(self.now_ns, int(t_s * 1e9))

    async def attempt(
        self,
        _: object,
        *,
        user: int,
        stage: int,
        phase: str,
        fresh: bool,
        intended_ns: int | None = None,
    ) -> tuple[None, Record, int]:
        start_ns = self.now_ns
        cold = self.last_done_ns is None or (start_ns - self.last_done_ns) / 1e9 > EVICT_AFTER_S
        if cold:
            self.instance += 1
        failed = self.seq == 3
        latency_us = 250_000 if cold else 1_500 + 7 * self.seq
        rec = Record(
            seq=self.seq,
            user=user,
            stage=stage,
            phase=phase,
            start_s=start_ns / 1e9,
            latency_us=latency_us,
            status=None if failed else 200,
            error="timeout" if failed else None,
            cold_start=None if failed else cold,
            instance_id=None if failed else f"i-{self.instance}",
            init_ms=180.25 if cold and not failed else None,
        )
        self.seq += 1
        self.now_ns = start_ns + latency_us * 1000
        self.last_done_ns = self.now_ns
        return None, rec, self.now_ns


def _run(plan: IdlePlan, on_attempt: Any = None) -> tuple[object, list[str], list[object]]:
    platform = _Platform()
    notes: list[str] = []
    state = SimpleNamespace(
        clock=platform, attempts=platform, notes=notes, scenario1=None, users=lambda delta: None
    )
    seen: list[object] = []
    attempt = platform.attempt

    async def watched(*args: Any, **kwargs: Any) -> tuple[None, Record, int]:
        seen.append(state.scenario1)
        return await attempt(*args, **kwargs)

    platform.attempt = watched  # type: ignore[method-assign]
    anyio.run(lambda: run_idle(cast("RunState", state), plan, time_scale=0.5))
    return state.scenario1, notes, seen


PLAN = IdlePlan(offsets_s=(0.0, 0.2, 0.55, 1.55, 1.6, 2.9), bisect_precision_s=0.05)


def _as_written(scenario1: object) -> str:
    data = scenario1.to_json() if isinstance(scenario1, Scenario1Figures) else scenario1
    return json.dumps(data, indent=2, sort_keys=True) + "\n"


def test_the_driver_states_scenario1_byte_for_byte_as_before() -> None:
    scenario1, notes, _ = _run(PLAN)
    assert _as_written(scenario1) == WRITTEN.read_text(encoding="utf-8")
    assert notes == []


def test_a_run_stopped_between_probes_states_what_it_measured() -> None:
    final, _, seen = _run(PLAN)
    assert isinstance(final, Scenario1Figures) and final.bracket is not None
    # before any gap: no gaps, no bracket; the bracket once the plan's probes are done
    assert seen[0] == Scenario1Figures() and seen[1] == Scenario1Figures()
    assert seen[2] == Scenario1Figures(gaps=final.gaps[:1])
    first_bisect = len(PLAN.offsets_s)
    assert seen[first_bisect] == Scenario1Figures(
        gaps=final.gaps[: len(PLAN.offsets_s) - 1], bracket=final.bracket
    )
    assert final.bisected is not None and final.bisected.narrow_enough
    assert final.bisected.kept_s <= EVICT_AFTER_S <= final.bisected.evicted_s


def _idle_gap(idle_s: float, outcome: str) -> IdleGap:
    return IdleGap(
        seq=1,
        phase="probe",
        planned_s=idle_s,
        idle_s=idle_s,
        idle_plan_s=idle_s,
        latency_ms=1.0,
        cold_start=outcome == "evicted",
        instance_id="b",
        previous_instance_id="a",
        init_ms=None,
        error=None,
        outcome=outcome,
    )


def test_eviction_bracket_from_outcomes() -> None:
    gaps = [
        _idle_gap(10, "kept"),
        _idle_gap(20, "kept"),
        _idle_gap(40, "evicted"),
        _idle_gap(30, "unknown"),
    ]
    assert eviction_bracket(gaps) == EvictionBracket(kept_s=20, evicted_s=40, consistent=True)
    gaps.append(_idle_gap(50, "kept"))
    assert eviction_bracket(gaps) == EvictionBracket(kept_s=20, evicted_s=40, consistent=False)
    assert eviction_bracket([_idle_gap(5, "kept")]) == EvictionBracket(
        kept_s=5, evicted_s=None, consistent=True
    )
    assert math.isclose(eviction_bracket([]).kept_s or 0, 0)
