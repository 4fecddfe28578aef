"""Running a scenario: users, the request path, the generator's self-check, the results.

Concurrency is anyio's (task groups, cancel scopes) on the asyncio backend, which the
request path (an asyncio Protocol) needs. Every attempt becomes one record, whatever
happened to it; a cancelled run still finishes its files. A run stops early, the same way,
on a stop signal (``stop_signals``: the command line passes SIGINT and SIGTERM) and when
its result files cannot be written (a full disk).
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import json
import math
import os
import platform
import signal
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, TypeVar

import anyio

from ._errors import PlanError, TargetError
from ._hist import LatencyHistogram
from ._hostcpu import HostCpu
from ._http import Connection, Connector, RequestFailed, connect, connect_h11
from ._payload import DEFAULT_PAYLOAD, build_bodies, load_rows
from ._plan import IdlePlan, Plan, RatePlan
from ._results import SCHEMA_VERSION, ResultWriter
from ._target import Target, fetch_health

__all__ = [
    "RunInterrupted",
    "RunResult",
    "RunSettings",
    "Scenario",
    "eviction_bracket",
    "run",
    "run_async",
    "scenario_name",
]

Scenario = Plan | IdlePlan | RatePlan
_T = TypeVar("_T")

#: A second in which the generator used this much of one core counts as busy.
BUSY_CPU_FRACTION = 0.9
#: Saturated when busy in at least this share of the seconds...
BUSY_SHARE = 0.10
#: ...or when the event loop's lag reaches this at the 99th percentile.
LAG_P99_LIMIT_MS = 10.0
LAG_PERIOD_S = 0.05
SUMMARY_EVERY_S = 5
#: A user whose attempt got no HTTP response at all (refused, reset, malformed) waits this
#: long before trying again: a target that resets at once would otherwise draw tens of
#: thousands of attempts a second, and their records, from each user.
NO_RESPONSE_PAUSE_S = 0.1


def scenario_name(plan: Scenario) -> str:
    if isinstance(plan, IdlePlan):
        return "scenario1"
    if isinstance(plan, Plan):
        return "scenario2"
    return "rate"


@dataclass(frozen=True, kw_only=True)
class RunSettings:
    """How to run a scenario (the plan says when; these say how and where to write)."""

    results_dir: Path = Path("results")
    #: Folder name of the run under ``results_dir`` (default: UTC start time).
    run_id: str | None = None
    #: Every duration of the plan is divided by this.
    time_scale: float = 1.0
    #: Per-request limit (API Gateway's is 30 s).
    timeout_s: float = 30.0
    #: Instances per request.
    batch: int = 1
    payload: Path = DEFAULT_PAYLOAD
    #: Features to send (default: the target's GET /health ``features``).
    features: tuple[str, ...] | None = None
    #: Print a live progress line to stderr.
    progress: bool = False
    #: Notes recorded in run.json and the summary (e.g. what a Taurus file could not do).
    notes: tuple[str, ...] = ()

    def validate(self) -> list[str]:
        problems = []
        if not (isinstance(self.time_scale, int | float) and math.isfinite(self.time_scale)
                and self.time_scale > 0):
            problems.append(f"time scale must be a number > 0, got {self.time_scale!r}")
        if not (isinstance(self.timeout_s, int | float) and math.isfinite(self.timeout_s)
                and self.timeout_s > 0):
            problems.append(f"timeout must be a number of seconds > 0, got {self.timeout_s!r}")
        if isinstance(self.batch, bool) or not isinstance(self.batch, int) or not 1 <= self.batch <= 10_000:
            problems.append(f"batch must be an integer 1..10000, got {self.batch!r}")
        if self.run_id is not None and (not self.run_id or "/" in self.run_id or self.run_id.startswith(".")):
            problems.append(f"run id must be a plain folder name, got {self.run_id!r}")
        return problems


@dataclass(frozen=True)
class RunResult:
    folder: Path
    summary: dict[str, Any]
    #: The stop signal that ended the run early (see ``run_async``), else None.
    signal: int | None = None
    #: Why the result files could not all be written (the run stopped there), else None.
    write_error: str | None = None


class RunInterrupted(Exception):
    """A stop signal arrived before the first request: nothing was sent or written."""

    def __init__(self, signum: int) -> None:
        super().__init__(f"interrupted by {signal.Signals(signum).name} before the run started")
        self.signal = signum


class _Stop:
    """Why a run stops early, and the cancel scope that stopping cancels.

    Only the newest scope is cancelled: while the run goes, that is the run's own, which
    absorbs the cancellation so that the run can finish its files and return.
    """

    def __init__(self) -> None:
        self.reason: str | None = None
        self.signal: int | None = None
        self._scope: anyio.CancelScope | None = None
        self._closed = False

    def scope(self) -> anyio.CancelScope:
        self._scope = anyio.CancelScope()
        if self.reason is not None:
            self._scope.cancel()
        return self._scope

    def close(self) -> None:
        """The run is over: a late signal or failure changes nothing of it any more."""
        self._scope = None
        self._closed = True

    def __call__(self, reason: str, *, signum: int | None = None) -> None:
        if self._closed:
            return
        if self.reason is None:
            self.reason, self.signal = reason, signum
        if self._scope is not None:
            self._scope.cancel()

    async def watch(self, signals: AsyncIterator[signal.Signals]) -> None:
        async for signum in signals:
            self(f"stopped by {signal.Signals(signum).name}", signum=signum)


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for dist in ("anyio", "h11", "hdrhistogram", "httptools", "httpx"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = "absent"
    from . import __version__

    out["loadgen"] = __version__
    return out


def _machine() -> dict[str, Any]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count() or 0
    return {"hostname": platform.node(), "platform": platform.platform(), "cpu_model": model,
            "cpu_count": os.cpu_count(), "cpus_usable": usable}


def eviction_bracket(gaps: list[dict[str, Any]]) -> dict[str, Any]:
    """The idle bracket from probe outcomes: longest idle kept, shortest idle evicted.

    ``consistent`` is False when some instance was kept after a longer idle than one that
    was evicted (a platform's eviction is not a sharp threshold).
    """
    kept = [g["idle_s"] for g in gaps if g["outcome"] == "kept"]
    evicted = [g["idle_s"] for g in gaps if g["outcome"] == "evicted"]
    kept_s = max(kept) if kept else None
    evicted_s = min(evicted) if evicted else None
    consistent = kept_s is None or evicted_s is None or kept_s < evicted_s
    if kept_s is not None and evicted_s is not None and not consistent:
        # Report the tightest bracket the consistent probes allow, keep the flag.
        below = [k for k in kept if k < evicted_s]
        kept_s = max(below) if below else None
    return {"kept_s": kept_s, "evicted_s": evicted_s, "consistent": consistent}


class _Runner:
    def __init__(self, *, plan: Scenario, target: Target, settings: RunSettings,
                 connector: Connector, bodies: list[bytes], run_info: dict[str, Any],
                 stages: list[dict[str, Any]], folder: Path,
                 out: Callable[[str], None], stop: _Stop) -> None:
        self.plan = plan
        self.target = target
        self.settings = settings
        self.connector = connector
        self.bodies = bodies
        self.run_info = run_info
        self.stages = stages
        self.folder = folder
        self.out = out
        self.stop = stop
        self.batch = settings.batch
        self.timeout_s = float(settings.timeout_s)
        self._body_index = 0
        self._seq = 0
        self.active_users = 0
        self.dropped = 0
        self.lag = LatencyHistogram()
        self.cpu_fractions: list[float] = []
        self.host_cpu = HostCpu()
        self.scenario1: dict[str, Any] | None = None
        self.notes = list(settings.notes)
        self.t0_ns = 0
        self.writer: ResultWriter | None = None
        self._cpu0 = 0.0

    # --- clock --------------------------------------------------------------------------

    def _now_s(self) -> float:
        return (time.perf_counter_ns() - self.t0_ns) / 1e9

    async def _sleep_until_s(self, t_s: float) -> None:
        delay = t_s - self._now_s()
        if delay > 0:
            await anyio.sleep(delay)

    def _users(self, delta: int) -> None:
        self.active_users += delta
        assert self.writer is not None
        self.writer.set_users(self.active_users, time.perf_counter_ns())

    # --- one attempt ----------------------------------------------------------------------

    async def _attempt(self, conn: Connection | None, *, user: int | None, stage: int,
                       phase: str | None = None, fresh: bool = False,
                       intended_ns: int | None = None, from_intended: bool = False,
                       ) -> tuple[Connection | None, dict[str, Any], int]:
        writer = self.writer
        assert writer is not None
        body = self.bodies[self._body_index]
        self._body_index = (self._body_index + 1) % len(self.bodies)
        seq = self._seq
        self._seq += 1
        start_ns = time.perf_counter_ns()
        sent_ns = start_ns
        connect_ms = None
        status = None
        error = None
        detail = None
        headers: dict[str, str] = {}
        received = 0
        predictions = None
        done_ns = start_ns
        try:
            if conn is None or fresh or not conn.reusable:
                if conn is not None:
                    conn.close()
                conn = None
                conn = await self.connector(self.target.host, self.target.port,
                                            self.target.predict_path, self.timeout_s)
                connect_ms = round((time.perf_counter_ns() - start_ns) / 1e6, 3)
            response = await conn.post(body, timeout_s=self.timeout_s)
            sent_ns, done_ns = response.sent_ns, response.done_ns
            status = response.status
            headers = response.headers
            received = len(response.body)
            if status == 200:
                predictions, detail = self._check_body(response.body)
                if detail is not None:
                    error = "bad_response"
            else:
                error = "throttled" if status == 429 else "http_status"
                detail = response.body[:200].decode("utf-8", "replace")
        except RequestFailed as exc:
            done_ns = time.perf_counter_ns()
            error, detail = exc.kind, exc.detail
            if conn is not None:
                conn.close()
            conn = None
        except anyio.get_cancelled_exc_class():
            done_ns = time.perf_counter_ns()
            if conn is not None:
                conn.close()
            why = self.stop.reason or "the run was cancelled"
            rec = self._record(seq, user, stage, phase, start_ns, start_ns, done_ns, intended_ns,
                               True, "cancelled", f"in flight when {why}", None,
                               headers, 0, len(body), None)
            writer.record(rec, done_ns)
            raise
        if error is not None and error not in ("http_status", "throttled", "bad_response"):
            sent_ns = start_ns
        rec = self._record(seq, user, stage, phase, start_ns, sent_ns, done_ns, intended_ns,
                           from_intended, error, detail, status, headers, received, len(body),
                           predictions)
        rec["connect_ms"] = connect_ms
        writer.record(rec, done_ns)
        return conn, rec, done_ns

    def _check_body(self, body: bytes) -> tuple[int | None, str | None]:
        try:
            document = json.loads(body)
        except ValueError:
            return None, f"body is not JSON: {body[:80]!r}"
        predictions = document.get("predictions") if isinstance(document, dict) else None
        if not isinstance(predictions, list):
            return None, "no 'predictions' list in the body"
        if len(predictions) != self.batch:
            return len(predictions), f"{len(predictions)} predictions for {self.batch} instances"
        for item in predictions:
            if not isinstance(item, dict) or "probability" not in item:
                return len(predictions), "a prediction has no 'probability'"
        return len(predictions), None

    def _record(self, seq: int, user: int | None, stage: int, phase: str | None, start_ns: int,
                sent_ns: int, done_ns: int, intended_ns: int | None, from_intended: bool,
                error: str | None, detail: str | None, status: int | None,
                headers: dict[str, str], received: int, sent_bytes: int,
                predictions: int | None) -> dict[str, Any]:
        t0 = self.t0_ns
        begin_ns = intended_ns if (from_intended and intended_ns is not None) else sent_ns
        cold = headers.get("x-cold-start", "").lower()
        init = headers.get("x-init-ms")
        try:
            init_ms = float(init) if init is not None else None
        except ValueError:
            init_ms = None
        return {
            "seq": seq,
            "user": user,
            "stage": stage,
            "phase": phase,
            "intended_s": round((intended_ns - t0) / 1e9, 6) if intended_ns is not None else None,
            "start_s": round((sent_ns - t0) / 1e9, 6),
            "late_ms": round(max(0, start_ns - intended_ns) / 1e6, 3) if intended_ns is not None else 0.0,
            "latency_us": max(0, (done_ns - begin_ns) // 1000),
            "connect_ms": None,
            "status": status,
            "error": error,
            "detail": detail,
            "bytes_out": sent_bytes,
            "bytes_in": received,
            "predictions": predictions,
            "cold_start": True if cold in ("true", "1") else (False if cold in ("false", "0") else None),
            # SnapStart: the first request of a restored instance (docs/api.md), not a cold start.
            "restore": headers.get("x-restore", "").lower() == "true",
            "init_type": headers.get("x-init-type"),
            "instance_id": headers.get("x-instance-id"),
            "init_ms": init_ms,
            "model_version": headers.get("x-model-version"),
            "runtime": headers.get("x-runtime"),
            "request_id": headers.get("x-request-id"),
        }

    # --- scenarios ------------------------------------------------------------------------

    async def _closed(self, plan: Plan) -> None:
        if plan.layout == "stages":
            await self._users_of(plan, offset_s=0.0, stage=None, first_user=0)
            return
        parts = plan.executions()
        firsts = [sum(p.max_users for p in parts[:i]) for i in range(len(parts))]
        if plan.layout == "concurrent":
            async with anyio.create_task_group() as tg:
                for index, part in enumerate(parts):
                    tg.start_soon(self._users_of, part, 0.0, index, firsts[index])
            return
        # Sequential: an execution starts when the previous one is over (time up or done).
        for index, part in enumerate(parts):
            await self._users_of(part, self._now_s() if index else 0.0, index, firsts[index])

    async def _users_of(self, plan: Plan, offset_s: float, stage: int | None, first_user: int) -> None:
        """Run one plan's users from ``offset_s`` on; ``stage`` fixes the recorded stage."""
        slots = [offset_s]  # the next free rate slot, shared by this plan's users
        async with anyio.create_task_group() as tg:
            for index, user_windows in enumerate(plan.user_windows()):
                if user_windows:
                    shifted = [(a + offset_s, b + offset_s) for a, b in user_windows]
                    tg.start_soon(self._user, first_user + index, shifted, plan, offset_s, stage, slots)

    async def _user(self, index: int, windows: list[tuple[float, float]], plan: Plan,
                    offset_s: float, stage: int | None, slots: list[float]) -> None:
        conn: Connection | None = None
        done = 0
        limit = plan.iterations
        capped = plan.throughput_rps is not None or any(st.throughput_rps for st in plan.stages)
        try:
            for start_s, stop_s in windows:
                await self._sleep_until_s(start_s)
                self._users(+1)
                try:
                    while True:
                        now_s = self._now_s()
                        if now_s >= stop_s or (limit is not None and done >= limit):
                            break
                        if capped:
                            slot_s = max(slots[0], now_s)
                            if slot_s >= stop_s:
                                # No slot left before this user's end: it stays (as a JMeter
                                # thread waits in its timer) until then, without a request.
                                await self._sleep_until_s(stop_s)
                                break
                            slots[0] = offset_s + plan.next_slot_s(slot_s - offset_s)
                            await self._sleep_until_s(slot_s)
                            now_s = self._now_s()
                        at = plan.stage_at(now_s - offset_s) if stage is None else stage
                        conn, rec, _ = await self._attempt(conn, user=index, stage=at)
                        done += 1
                        if rec["status"] is None:
                            # Nothing answered: pause instead of recording failures in a tight loop.
                            await self._sleep_until_s(min(self._now_s() + NO_RESPONSE_PAUSE_S, stop_s))
                        if plan.think_s > 0:
                            await self._sleep_until_s(min(self._now_s() + plan.think_s, stop_s))
                finally:
                    self._users(-1)
                if limit is not None and done >= limit:
                    break
        finally:
            if conn is not None:
                conn.close()

    async def _open(self, plan: RatePlan) -> None:
        idle: list[Connection] = []
        async with anyio.create_task_group() as tg:
            for t_s, step in plan.arrival_times():
                intended_ns = self.t0_ns + int(t_s * 1e9)
                delay_ns = intended_ns - time.perf_counter_ns()
                if delay_ns > 0:
                    await anyio.sleep(delay_ns / 1e9)
                if self.active_users >= plan.max_in_flight:
                    self.dropped += 1
                    continue
                self._users(+1)
                tg.start_soon(self._open_request, intended_ns, step, idle)
        for conn in idle:
            conn.close()

    async def _open_request(self, intended_ns: int, step: int, idle: list[Connection]) -> None:
        conn = idle.pop() if idle else None
        try:
            conn, _, _ = await self._attempt(conn, user=None, stage=step, intended_ns=intended_ns,
                                             from_intended=True)
        finally:
            self._users(-1)
        if conn is not None:
            if conn.reusable:
                idle.append(conn)
            else:
                conn.close()

    async def _idle(self, plan: IdlePlan) -> None:
        gaps: list[dict[str, Any]] = []
        state: dict[str, Any] = {"gaps": gaps, "bracket": None, "bisected": None}
        self.scenario1 = state
        self._users(+1)
        previous: tuple[dict[str, Any], int] | None = None
        for index, offset_s in enumerate(plan.offsets_s):
            intended_ns = self.t0_ns + int(offset_s * 1e9)
            await self._sleep_until_s(offset_s)
            _, rec, done_ns = await self._attempt(None, user=0, stage=0, phase="probe", fresh=True,
                                                  intended_ns=intended_ns)
            if previous is not None:
                gaps.append(self._gap(previous, rec, planned_s=offset_s - plan.offsets_s[index - 1]))
            previous = (rec, done_ns)
        state["bracket"] = bracket = eviction_bracket(gaps)
        precision = plan.bisect_precision_s
        if precision is None:
            return
        lo, hi = bracket["kept_s"], bracket["evicted_s"]
        if lo is None or hi is None:
            self.notes.append("bisect skipped: the bracket needs a kept gap and an evicted gap")
            return
        probes = 0
        limit = plan.bisect_probes_max(lo, hi) + 2
        while hi - lo > precision and probes < limit:
            probes += 1
            mid_s = (lo + hi) / 2
            _, warm, warm_done_ns = await self._attempt(None, user=0, stage=0, phase="warmup", fresh=True)
            if warm["error"] is not None:
                self.notes.append(f"bisect stopped: the warm-up request failed ({warm['error']})")
                break
            intended_ns = warm_done_ns + int(mid_s * 1e9)
            await self._sleep_until_s((intended_ns - self.t0_ns) / 1e9)
            _, rec, done_ns = await self._attempt(None, user=0, stage=0, phase="bisect", fresh=True,
                                                  intended_ns=intended_ns)
            gap = self._gap((warm, warm_done_ns), rec, planned_s=mid_s)
            gaps.append(gap)
            if gap["outcome"] == "kept":
                lo = gap["idle_s"]
            elif gap["outcome"] == "evicted":
                hi = gap["idle_s"]
            else:
                self.notes.append(f"bisect stopped: probe {rec['seq']} failed ({rec['error']})")
                break
        state["bisected"] = {"kept_s": lo, "evicted_s": hi, "probes": probes,
                             "precision_s": precision, "narrow_enough": hi - lo <= precision}

    def _gap(self, previous: tuple[dict[str, Any], int], rec: dict[str, Any], *,
             planned_s: float) -> dict[str, Any]:
        before, before_done_ns = previous
        idle_s = round(rec["start_s"] - (before_done_ns - self.t0_ns) / 1e9, 6)
        if before["error"] is not None or rec["error"] is not None:
            outcome = "unknown"
        else:
            new_instance = (rec["instance_id"] is not None and before["instance_id"] is not None
                            and rec["instance_id"] != before["instance_id"])
            outcome = "evicted" if (rec["cold_start"] is True or new_instance) else "kept"
        return {
            "seq": rec["seq"], "phase": rec["phase"], "planned_s": round(planned_s, 6),
            "idle_s": idle_s, "idle_plan_s": round(idle_s * self.settings.time_scale, 3),
            "latency_ms": rec["latency_us"] / 1000, "cold_start": rec["cold_start"],
            "instance_id": rec["instance_id"], "previous_instance_id": before["instance_id"],
            "init_ms": rec["init_ms"], "error": rec["error"], "outcome": outcome,
        }

    # --- self-check and progress ------------------------------------------------------------

    async def _lag_sampler(self) -> None:
        while True:
            before = time.perf_counter_ns()
            await anyio.sleep(LAG_PERIOD_S)
            lag_us = (time.perf_counter_ns() - before) // 1000 - int(LAG_PERIOD_S * 1e6)
            self.lag.record(max(0, lag_us))

    async def _ticker(self) -> None:
        writer = self.writer
        assert writer is not None
        tick = 1
        last_cpu = time.process_time()
        last_wall = time.perf_counter()
        while True:
            # A little after the boundary, so the closing second is complete.
            await self._sleep_until_s(tick + 0.005)
            writer.advance(int(self._now_s()))
            cpu, wall = time.process_time(), time.perf_counter()
            self.cpu_fractions.append((cpu - last_cpu) / max(wall - last_wall, 1e-9))
            self.host_cpu.sample()
            last_cpu, last_wall = cpu, wall
            writer.flush()
            if tick % SUMMARY_EVERY_S == 0:
                writer.write_summary(complete=False, interrupted=None, extra=self._extra())
            if self.settings.progress:
                self._progress(tick, final=False)
            tick += 1

    def _progress(self, tick: int, *, final: bool) -> None:
        writer = self.writer
        assert writer is not None
        row = writer.last_row or {}
        stats = writer.stats
        planned = self.run_info["plan_duration_s"]
        line = (
            f"[{tick:>5d}/{planned:.0f} s] users {self.active_users:>3d} | "
            f"{row.get('hits', '0'):>6s} hits/s | p50 {row.get('p50_ms') or '-':>7s} ms "
            f"p99 {row.get('p99_ms') or '-':>7s} ms | requests {stats.requests} "
            f"errors {sum(stats.errors.values())} | cold starts {stats.cold_starts}"
        )
        self.out(line)

    def _generator(self) -> dict[str, Any]:
        cpu_s = time.process_time() - self._cpu0
        requests = self.writer.stats.requests if self.writer else 0
        busy = sum(1 for f in self.cpu_fractions if f >= BUSY_CPU_FRACTION)
        lag = self.lag.percentiles_us((50.0, 99.0))
        lag_p99_ms = lag[99.0] / 1000.0
        reasons = []
        if self.cpu_fractions and busy >= max(1, BUSY_SHARE * len(self.cpu_fractions)):
            reasons.append(
                f"it used >= {BUSY_CPU_FRACTION:.0%} of a core in {busy} of "
                f"{len(self.cpu_fractions)} seconds"
            )
        if self.lag.count and lag_p99_ms >= LAG_P99_LIMIT_MS:
            reasons.append(f"its event loop lagged {lag_p99_ms:.1f} ms at p99")
        return {
            "cpu_s": round(cpu_s, 3),
            "cpu_us_per_request": round(cpu_s * 1e6 / requests, 1) if requests else None,
            "busy_seconds": busy,
            "seconds_sampled": len(self.cpu_fractions),
            "loop_lag_ms": {"p50": lag[50.0] / 1000.0, "p99": lag_p99_ms,
                            "max": self.lag.max_us / 1000.0, "samples": self.lag.count},
            "saturated": bool(reasons),
            "reasons": reasons,
        }

    def _extra(self) -> dict[str, Any]:
        generator = self._generator()
        extra: dict[str, Any] = {
            "generator": generator,
            "generator_saturated": generator["saturated"],
            "host_cpu": self.host_cpu.describe(),
            "dropped": self.dropped,
            "notes": list(self.notes),
            "plan_duration_s": self.run_info["plan_duration_s"],
            "folder": str(self.folder),
        }
        if self.scenario1 is not None:
            extra["scenario1"] = self.scenario1
        return extra

    # --- the run -------------------------------------------------------------------------

    async def execute(self) -> RunResult:
        self.t0_ns = time.perf_counter_ns()
        start_epoch_s = time.time()
        self._cpu0 = time.process_time()
        self.run_info["start_epoch_s"] = round(start_epoch_s, 6)
        self.run_info["started_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(start_epoch_s))
        self.writer = writer = ResultWriter(
            self.folder, run_info=self.run_info, start_epoch_s=start_epoch_s,
            t0_ns=self.t0_ns, stages=self.stages, on_failure=self.stop,
        )
        complete = False
        interrupted: str | None = None
        try:
            with self.stop.scope():
                async with anyio.create_task_group() as tg:
                    tg.start_soon(self._ticker)
                    tg.start_soon(self._lag_sampler)
                    if isinstance(self.plan, IdlePlan):
                        await self._idle(self.plan)
                    elif isinstance(self.plan, Plan):
                        await self._closed(self.plan)
                    else:
                        await self._open(self.plan)
                    tg.cancel_scope.cancel()
            self.stop.close()
            complete = self.stop.reason is None
            interrupted = self.stop.reason
        except anyio.get_cancelled_exc_class():
            interrupted = "cancelled (Ctrl-C or the caller)"
            raise
        except BaseException as exc:
            interrupted = f"{type(exc).__name__}: {exc}"
            raise
        finally:
            now_ns = time.perf_counter_ns()
            self.summary = writer.finish(
                now_ns=now_ns, complete=complete, interrupted=interrupted, extra=self._extra(),
                run_updates={"ended_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                             "duration_s": round((now_ns - self.t0_ns) / 1e9, 3),
                             "notes": list(self.notes)},
            )
        return RunResult(self.folder, self.summary, signal=self.stop.signal,
                         write_error=writer.failure)


def _stage_info(plan: Scenario) -> list[dict[str, Any]]:
    if isinstance(plan, Plan):
        return [{"users": s.users, "ramp_up_s": s.ramp_up_s, "hold_s": s.hold_s, "steps": s.steps}
                for s in plan.stages]
    if isinstance(plan, RatePlan):
        return [{"rate_rps": s.rate_rps, "duration_s": s.duration_s} for s in plan.steps]
    return [{"offsets_s": list(plan.offsets_s)}]


async def run_async(plan: Scenario, *, target: Target, settings: RunSettings = RunSettings(),
                    connector: Connector | None = None, health: dict[str, Any] | None = None,
                    out: Callable[[str], None] | None = None,
                    stop_signals: Sequence[signal.Signals] = ()) -> RunResult:
    """Run one scenario against one target and write its result folder.

    ``health`` skips GET /health (tests, or a caller that already has it); ``connector``
    replaces the HTTP client (tests). Raises PlanError, TargetError, PayloadError or
    ResultsError before anything is sent when the inputs are wrong.

    ``stop_signals`` (main thread only) stop the run as cancelling it would, in-flight
    attempts recorded as ``cancelled`` and every file finished, and the result says which
    signal it was; one that arrives before the first request raises RunInterrupted. A run
    whose files cannot be written stops too (``RunResult.write_error``).
    """
    stop = _Stop()
    if not stop_signals:
        return await _prepare_and_run(plan, target=target, settings=settings, connector=connector,
                                      health=health, out=out, stop=stop)
    result: RunResult | None = None
    error: Exception | None = None
    with anyio.open_signal_receiver(*stop_signals) as signals:
        async with anyio.create_task_group() as tg:
            tg.start_soon(stop.watch, signals)
            try:
                with stop.scope():
                    result = await _prepare_and_run(plan, target=target, settings=settings,
                                                    connector=connector, health=health, out=out,
                                                    stop=stop)
            except Exception as exc:  # noqa: BLE001 - raised below, not wrapped in a group
                error = exc
            finally:
                tg.cancel_scope.cancel()
    if error is not None:
        raise error
    if result is None:
        raise RunInterrupted(stop.signal or signal.SIGINT)
    return result


async def _prepare_and_run(plan: Scenario, *, target: Target, settings: RunSettings,
                           connector: Connector | None, health: dict[str, Any] | None,
                           out: Callable[[str], None] | None, stop: _Stop) -> RunResult:
    problems = plan.validate() + settings.validate()
    if problems:
        raise PlanError(f"cannot run {scenario_name(plan)}", problems=problems)
    scaled = plan.scaled(settings.time_scale)
    notes: list[str] = []
    if health is None and settings.features is not None:
        # GET /health is itself an invocation: it would start (and warm) an instance before the
        # scenario's first request, so that a timed-idle run could never see its first cold
        # start. With the features given, nothing is sent before the plan starts.
        health = {}
    elif health is None:
        if isinstance(plan, IdlePlan):
            notes.append("GET /health was sent before the first probe and may have started the "
                         "instance the probe found; pass --features to send nothing before the plan")
        try:
            health = await _in_daemon_thread(
                functools.partial(fetch_health, target, timeout_s=settings.timeout_s)
            )
        except TargetError:
            if settings.features is None:
                raise
            health = {}
    features = list(settings.features) if settings.features is not None else health.get("features")
    if not isinstance(features, list) or not all(isinstance(f, str) for f in features):
        raise TargetError(
            f"GET {target.url}/health lists no 'features'; pass --features name,name,... instead"
        )
    if notes:
        settings = dataclasses.replace(settings, notes=settings.notes + tuple(notes))
        notes = []
    rows = load_rows(settings.payload)
    bodies = build_bodies(rows, features, settings.batch)
    run_id = settings.run_id or time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    name = scenario_name(plan)
    folder = settings.results_dir / run_id / target.name / name
    run_info: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "run_id": run_id,
        "scenario": name,
        "plan": dataclasses.asdict(plan),
        "plan_scaled": dataclasses.asdict(scaled),
        "plan_duration_s": scaled.duration_s,
        "time_scale": settings.time_scale,
        "target": target.describe(),
        "health": health,
        "features": features,
        "batch": settings.batch,
        "timeout_s": settings.timeout_s,
        "payload": str(settings.payload),
        "payload_rows": len(rows),
        "versions": _versions(),
        "machine": _machine(),
        "command": sys.argv,
        "notes": list(settings.notes) + notes,
        "latency_unit": "microseconds",
        "client": _client_description(connector),
        # What the emulator adds to every request (None for a URL it does not describe).
        "network_path": target.extra.get("network_path"),
    }
    runner = _Runner(
        plan=scaled, target=target, settings=settings, connector=connector or _default_connector(target),
        bodies=bodies, run_info=run_info, stages=_stage_info(scaled), folder=folder,
        out=out or (lambda line: print(line, file=sys.stderr, flush=True)), stop=stop,
    )
    return await runner.execute()


async def _in_daemon_thread(call: Callable[[], _T]) -> _T:
    """``call()`` in a daemon thread, abandoned if the run is stopped meanwhile.

    GET /health may take the whole request timeout; a stopped run must not wait for it,
    neither here nor at exit (anyio's worker threads are joined when Python exits).
    """
    loop = asyncio.get_running_loop()
    future: asyncio.Future[_T] = loop.create_future()

    def settle(outcome: Callable[[], None]) -> None:
        if not future.done():
            outcome()

    def work() -> None:
        try:
            value = call()
        except BaseException as exc:  # noqa: BLE001 - handed to the awaiting task
            error = exc
            report = functools.partial(settle, lambda: future.set_exception(error))
        else:
            report = functools.partial(settle, lambda: future.set_result(value))
        try:
            loop.call_soon_threadsafe(report)
        except RuntimeError:
            pass  # the loop is closed: nobody waits any more

    threading.Thread(target=work, name="loadgen GET /health", daemon=True).start()
    return await future


def _client_description(connector: Connector | None) -> str:
    """What sends the requests, as run.json records it."""
    base = connector.func if isinstance(connector, functools.partial) else connector
    if base is None or base is connect:
        parser = "httptools (llhttp)"
    elif base is connect_h11:
        parser = "h11"
    else:
        return f"an injected connector ({getattr(base, '__qualname__', type(base).__name__)})"
    return f"asyncio Protocol + {parser} response parser, one keep-alive connection per user"


def _default_connector(target: Target) -> Connector:
    if target.scheme != "https":
        return functools.partial(connect, signer=target.signer)
    import ssl

    return functools.partial(connect, ssl_context=ssl.create_default_context(), signer=target.signer)


def run(plan: Scenario, *, target: Target, settings: RunSettings = RunSettings(),
        connector: Connector | None = None, health: dict[str, Any] | None = None) -> RunResult:
    """Blocking form of :func:`run_async` (anyio on the asyncio backend)."""
    return anyio.run(
        functools.partial(run_async, plan, target=target, settings=settings,
                          connector=connector, health=health),
        backend="asyncio",
    )
