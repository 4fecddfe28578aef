"""The closed and open models: staged users (scenario 2, Taurus) and scheduled arrivals (rate).

Scenario 1 (timed idle gaps) has its own module, ``_idle``.
"""

from __future__ import annotations

import time

import anyio

from ..engine._state import RunState
from ..transport._http import Connection
from ._rate_plan import RatePlan
from ._staged_plan import StagedPlan

__all__ = ["NO_RESPONSE_PAUSE_S", "run_rate", "run_staged"]

#: A user whose attempt got no HTTP response at all (refused, reset, malformed) waits this
#: long before trying again: a target that resets at once would otherwise draw tens of
#: thousands of attempts a second, and their records, from each user.
NO_RESPONSE_PAUSE_S = 0.1


async def run_staged(state: RunState, plan: StagedPlan) -> None:
    """Run the plan's users: its stages, or its Taurus executions side by side or in turn."""
    if plan.layout == "stages":
        # A worker's slice (loadgen.workers._split) records its users by their plan-wide index.
        first = getattr(plan, "first_user", 0)
        await _users_of(state, plan, offset_s=0.0, stage=None, first_user=first)
        return
    parts = plan.executions()
    firsts = [sum(p.max_users for p in parts[:i]) for i in range(len(parts))]
    if plan.layout == "concurrent":
        async with anyio.create_task_group() as tg:
            for index, part in enumerate(parts):
                tg.start_soon(_users_of, state, part, 0.0, index, firsts[index])
        return
    # Sequential: an execution starts when the previous one is over (time up or done).
    for index, part in enumerate(parts):
        await _users_of(state, part, state.clock.now_s() if index else 0.0, index, firsts[index])


async def _users_of(
    state: RunState, plan: StagedPlan, offset_s: float, stage: int | None, first_user: int
) -> None:
    """Run one plan's users from ``offset_s`` on; ``stage`` fixes the recorded stage."""
    slots = [offset_s]  # the next free rate slot, shared by this plan's users
    async with anyio.create_task_group() as tg:
        for index, user_windows in enumerate(plan.user_windows()):
            if user_windows:
                shifted = [(a + offset_s, b + offset_s) for a, b in user_windows]
                tg.start_soon(
                    _user, state, first_user + index, shifted, plan, offset_s, stage, slots
                )


async def _user(
    state: RunState,
    index: int,
    windows: list[tuple[float, float]],
    plan: StagedPlan,
    offset_s: float,
    stage: int | None,
    slots: list[float],
) -> None:
    clock = state.clock
    conn: Connection | None = None
    done = 0
    limit = plan.iterations
    capped = plan.throughput_rps is not None or any(st.throughput_rps for st in plan.stages)
    try:
        for start_s, stop_s in windows:
            await clock.sleep_until_s(start_s)
            state.users(+1)
            try:
                while True:
                    now_s = clock.now_s()
                    if now_s >= stop_s or (limit is not None and done >= limit):
                        break
                    if capped:
                        slot_s = max(slots[0], now_s)
                        if slot_s >= stop_s:
                            # No slot left before this user's end: it stays (as a JMeter
                            # thread waits in its timer) until then, without a request.
                            await clock.sleep_until_s(stop_s)
                            break
                        slots[0] = offset_s + plan.next_slot_s(slot_s - offset_s)
                        await clock.sleep_until_s(slot_s)
                        now_s = clock.now_s()
                    at = plan.stage_at(now_s - offset_s) if stage is None else stage
                    conn, rec, _ = await state.attempts.attempt(conn, user=index, stage=at)
                    done += 1
                    if rec.status is None:
                        # Nothing answered: pause instead of recording failures in a tight loop.
                        await clock.sleep_until_s(min(clock.now_s() + NO_RESPONSE_PAUSE_S, stop_s))
                    if plan.think_s > 0:
                        await clock.sleep_until_s(min(clock.now_s() + plan.think_s, stop_s))
            finally:
                state.users(-1)
            if limit is not None and done >= limit:
                break
    finally:
        if conn is not None:
            conn.close()


async def run_rate(state: RunState, plan: RatePlan) -> None:
    """Start requests at the plan's arrival times, whatever is still in flight (open model)."""
    idle: list[Connection] = []
    async with anyio.create_task_group() as tg:
        for t_s, step in plan.arrival_times():
            intended_ns = state.clock.at_ns(t_s)
            delay_ns = intended_ns - time.perf_counter_ns()
            if delay_ns > 0:
                await anyio.sleep(delay_ns / 1e9)
            if state.active_users >= plan.max_in_flight:
                state.dropped += 1
                continue
            state.users(+1)
            tg.start_soon(_open_request, state, intended_ns, step, idle)
    for conn in idle:
        conn.close()


async def _open_request(
    state: RunState, intended_ns: int, step: int, idle: list[Connection]
) -> None:
    conn = idle.pop() if idle else None
    try:
        conn, _, _ = await state.attempts.attempt(
            conn, user=None, stage=step, intended_ns=intended_ns, from_intended=True
        )
    finally:
        state.users(-1)
    if conn is not None:
        if conn.reusable:
            idle.append(conn)
        else:
            conn.close()
