"""Running a scenario: check the inputs, prepare the requests, run, return the result.

The run itself is ``_session``'s (its drivers in ``_drivers`` and ``_idle``, one attempt in
``_attempt``, the generator's self-check in ``_selfcheck``); run.json is ``_run_info``'s. A
run stops early, the same way, on a stop signal (``stop_signals``: the command line passes
SIGINT and SIGTERM) and when its result files cannot be written (a full disk).
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import anyio

from resultfiles import new_run_id, run_folder

from .._errors import PlanError, TargetError
from ..files._claim import FolderClaim
from ..files._run_info import run_info, stage_info
from ..plans._idle_plan import IdlePlan
from ..plans._idle_probes import eviction_bracket
from ..transport._http import Connector, connect
from ..transport._payload import load_rows
from ..transport._requests import RequestSet, function_request_set, kdd_request_set
from ..transport._target import Target, fetch_health
from ._session import execute
from ._settings import RunResult, RunSettings, Scenario, scenario_name
from ._stop import RunInterrupted, Stop

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

_T = TypeVar("_T")
#: Frozen, so one instance serves every call that gives no settings.
_DEFAULT_SETTINGS = RunSettings()


async def run_async(
    plan: Scenario,
    *,
    target: Target,
    settings: RunSettings = _DEFAULT_SETTINGS,
    connector: Connector | None = None,
    health: dict[str, Any] | None = None,
    out: Callable[[str], None] | None = None,
    stop_signals: Sequence[signal.Signals] = (),
    stop: Stop | None = None,
) -> RunResult:
    """Run one scenario against one target and write its result folder.

    ``health`` skips GET /health (tests, or a caller that already has it); ``connector``
    replaces the HTTP client (tests). Raises PlanError, TargetError, PayloadError or
    ResultsError before anything is sent when the inputs are wrong.

    ``stop_signals`` (main thread only) stop the run as cancelling it would, in-flight
    attempts recorded as ``cancelled`` and every file finished, and the result says which
    signal it was; one that arrives before the first request raises RunInterrupted. A run
    whose files cannot be written stops too (``RunResult.write_error``). ``stop`` lets the
    caller stop the run the same way (``stop("why")``, from the run's event loop).
    """
    stop = stop or Stop()
    if not stop_signals:
        return await _prepare_and_run(
            plan,
            target=target,
            settings=settings,
            connector=connector,
            health=health,
            out=out,
            stop=stop,
        )
    result: RunResult | None = None
    error: Exception | None = None
    with anyio.open_signal_receiver(*stop_signals) as signals:
        async with anyio.create_task_group() as tg:
            tg.start_soon(stop.watch, signals)
            try:
                with stop.scope():
                    result = await _prepare_and_run(
                        plan,
                        target=target,
                        settings=settings,
                        connector=connector,
                        health=health,
                        out=out,
                        stop=stop,
                    )
            except Exception as exc:  # noqa: BLE001 - raised below, not wrapped in a group
                error = exc
            finally:
                tg.cancel_scope.cancel()
    if error is not None:
        raise error
    if result is None:
        raise RunInterrupted(stop.signal or signal.SIGINT)
    return result


async def _prepare_and_run(
    plan: Scenario,
    *,
    target: Target,
    settings: RunSettings,
    connector: Connector | None,
    health: dict[str, Any] | None,
    out: Callable[[str], None] | None,
    stop: Stop,
) -> RunResult:
    problems = plan.validate() + settings.validate()
    if problems:
        raise PlanError(f"cannot run {scenario_name(plan)}", problems=problems)
    scaled = plan.scaled(settings.time_scale)
    run_id = settings.run_id or new_run_id()
    name = scenario_name(plan)
    folder = run_folder(settings.results_dir, run_id, target.name, name)
    # Claimed before anything is sent (GET /health included): a run that loses its folder to
    # another one with the same id sends nothing.
    claim = FolderClaim(folder)
    try:
        return await _run_claimed(
            plan,
            scaled=scaled,
            target=target,
            settings=settings,
            connector=connector,
            health=health,
            out=out,
            stop=stop,
            run_id=run_id,
            folder=folder,
            claim=claim,
        )
    except BaseException:
        claim.release()
        raise


async def _run_claimed(
    plan: Scenario,
    *,
    scaled: Scenario,
    target: Target,
    settings: RunSettings,
    connector: Connector | None,
    health: dict[str, Any] | None,
    out: Callable[[str], None] | None,
    stop: Stop,
    run_id: str,
    folder: Path,
    claim: FolderClaim,
) -> RunResult:
    notes: list[str] = []
    run = functools.partial(
        _run_set,
        plan,
        scaled,
        target=target,
        settings=settings,
        connector=connector,
        out=out,
        stop=stop,
        run_id=run_id,
        folder=folder,
        claim=claim,
    )
    if settings.requests is not None:
        # A request file says everything that is sent: nothing goes before the plan.
        request_set = function_request_set(settings.requests, expect_field=settings.expect_field)
        return await run(
            health=health or {}, features=[], rows=0, request_set=request_set, notes=notes
        )
    if health is None and settings.features is not None:
        # GET /health is itself an invocation: it would start (and warm) an instance before the
        # scenario's first request, so that a timed-idle run could never see its first cold
        # start. With the features given, nothing is sent before the plan starts.
        health = {}
    elif health is None:
        if isinstance(plan, IdlePlan):
            notes.append(
                "GET /health was sent before the first probe and may have started the "
                "instance the probe found; pass --features to send nothing before the "
                "plan"
            )
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
        run = functools.partial(run, settings=settings)
        notes = []
    rows = load_rows(settings.payload)
    request_set = kdd_request_set(rows, features, settings.batch, source=str(settings.payload))
    return await run(
        health=health, features=features, rows=len(rows), request_set=request_set, notes=notes
    )


async def _run_set(
    plan: Scenario,
    scaled: Scenario,
    *,
    target: Target,
    settings: RunSettings,
    connector: Connector | None,
    health: dict[str, Any],
    features: list[str],
    rows: int,
    request_set: RequestSet,
    notes: list[str],
    out: Callable[[str], None] | None,
    stop: Stop,
    run_id: str,
    folder: Path,
    claim: FolderClaim,
) -> RunResult:
    """Run a request set: the one path for a model's KDD requests and a function's own."""
    name = scenario_name(plan)
    info = run_info(
        plan=plan,
        scaled=scaled,
        run_id=run_id,
        name=name,
        target=target,
        settings=settings,
        health=health,
        features=features,
        rows=rows,
        connector=connector,
        notes=notes,
    )
    info = dataclasses.replace(info, request_set=request_set.describe())
    return await execute(
        plan=scaled,
        target=target,
        settings=settings,
        connector=connector or _default_connector(target),
        request_set=request_set,
        run_info=info,
        stages=stage_info(scaled),
        folder=folder,
        stop=stop,
        claim=claim,
        out=out or (lambda line: print(line, file=sys.stderr, flush=True)),
    )


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


def _default_connector(target: Target) -> Connector:
    if target.scheme != "https":
        return functools.partial(connect, signer=target.signer)
    import ssl

    return functools.partial(
        connect, ssl_context=ssl.create_default_context(), signer=target.signer
    )


def run(
    plan: Scenario,
    *,
    target: Target,
    settings: RunSettings = _DEFAULT_SETTINGS,
    connector: Connector | None = None,
    health: dict[str, Any] | None = None,
) -> RunResult:
    """Blocking form of :func:`run_async` (anyio on the asyncio backend)."""
    return anyio.run(
        functools.partial(
            run_async, plan, target=target, settings=settings, connector=connector, health=health
        ),
        backend="asyncio",
    )
