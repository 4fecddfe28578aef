"""One run from its first request to its final files: drivers, ticks, checkpoints, the end.

Concurrency is anyio's (task groups, cancel scopes) on the asyncio backend, which the
request path (an asyncio Protocol) needs. A cancelled or stopped run still finishes its
files: every attempt in flight is recorded, the last second closed, the summary written.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from pathlib import Path

import anyio

from resultfiles import RunFile, SummaryExtra

from ..files._claim import FolderClaim
from ..files._results import ResultWriter
from ..plans._drivers import run_rate, run_staged
from ..plans._idle_plan import IdlePlan
from ..plans._idle_probes import run_idle
from ..plans._staged_plan import StagedPlan
from ..transport._http import Connector
from ..transport._requests import RequestSet
from ..transport._target import Target
from ._attempt import Attempts
from ._clock import RunClock
from ._hostcpu import HostCpu
from ._selfcheck import SelfCheck
from ._settings import RunResult, RunSettings, Scenario
from ._state import RunState
from ._stop import Stop

__all__ = ["SUMMARY_EVERY_S", "execute"]

SUMMARY_EVERY_S = 5


async def execute(
    *,
    plan: Scenario,
    target: Target,
    settings: RunSettings,
    connector: Connector,
    request_set: RequestSet,
    run_info: RunFile,
    stages: list[dict[str, object]],
    folder: Path,
    out: Callable[[str], None],
    stop: Stop,
    claim: FolderClaim | None = None,
) -> RunResult:
    """Run ``plan`` (already scaled) and write its result folder; ``run_info`` is run.json."""
    if settings.start_at_epoch_s is not None:
        # Everything is prepared (payload, bodies, run.json's facts): only the start is left.
        await anyio.sleep(max(0.0, settings.start_at_epoch_s - time.time()))
    clock = RunClock(t0_ns=time.perf_counter_ns())
    start_epoch_s = time.time()
    check = SelfCheck()
    host_cpu = HostCpu()
    run_info = dataclasses.replace(
        run_info,
        start_epoch_s=round(start_epoch_s, 6),
        started_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(start_epoch_s)),
    )
    writer = ResultWriter(
        folder,
        run_info=run_info,
        start_epoch_s=start_epoch_s,
        t0_ns=clock.t0_ns,
        stages=stages,
        on_failure=stop,
        claim=claim,
    )
    attempts = Attempts(
        target=target,
        connector=connector,
        request_set=request_set,
        timeout_s=float(settings.timeout_s),
        clock=clock,
        writer=writer,
        stop=stop,
        stop_at_first_failure=settings.stop_at_first_failure,
    )
    state = RunState(clock=clock, attempts=attempts, writer=writer, notes=list(settings.notes))

    def extra() -> SummaryExtra:
        generator = check.figures(writer.stats.requests)
        return SummaryExtra(
            generator=generator,
            generator_saturated=generator.saturated,
            host_cpu=host_cpu.describe(),
            dropped=state.dropped,
            notes=tuple(state.notes),
            plan_duration_s=run_info.plan_duration_s,
            folder=str(folder),
            scenario1=state.scenario1,
        )

    async def ticker() -> None:
        tick = 1
        while True:
            # A little after the boundary, so the closing second is complete.
            await clock.sleep_until_s(tick + 0.005)
            writer.advance(int(clock.now_s()))
            check.second_done()
            host_cpu.sample()
            writer.flush()
            if tick % SUMMARY_EVERY_S == 0:
                writer.write_summary(complete=False, interrupted=None, extra=extra())
            if settings.progress:
                out(_progress_line(tick, state, run_info.plan_duration_s))
            tick += 1

    complete = False
    interrupted: str | None = None
    try:
        with stop.scope():
            async with anyio.create_task_group() as tg:
                tg.start_soon(ticker)
                tg.start_soon(check.sample_lag)
                if isinstance(plan, IdlePlan):
                    await run_idle(state, plan, time_scale=settings.time_scale)
                elif isinstance(plan, StagedPlan):
                    await run_staged(state, plan)
                else:
                    await run_rate(state, plan)
                tg.cancel_scope.cancel()
        stop.close()
        complete = stop.reason is None
        interrupted = stop.reason
    except anyio.get_cancelled_exc_class():
        interrupted = "cancelled (Ctrl-C or the caller)"
        raise
    except BaseException as exc:
        interrupted = f"{type(exc).__name__}: {exc}"
        raise
    finally:
        now_ns = time.perf_counter_ns()
        summary = writer.finish(
            now_ns=now_ns,
            complete=complete,
            interrupted=interrupted,
            extra=extra(),
            ended_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            duration_s=round((now_ns - clock.t0_ns) / 1e9, 3),
            notes=tuple(state.notes),
        )
    return RunResult(
        folder,
        summary.to_json(),
        signal=stop.signal,
        write_error=writer.failure,
        first_failure=attempts.first_failure,
    )


def _progress_line(tick: int, state: RunState, planned_s: float) -> str:
    row = state.writer.last_row or {}
    stats = state.writer.stats
    return (
        f"[{tick:>5d}/{planned_s:.0f} s] users {state.active_users:>3d} | "
        f"{row.get('hits', '0'):>6s} hits/s | p50 {row.get('p50_ms') or '-':>7s} ms "
        f"p99 {row.get('p99_ms') or '-':>7s} ms | requests {stats.requests} "
        f"errors {sum(stats.errors.values())} | cold starts {stats.cold_starts}"
    )
