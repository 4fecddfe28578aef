"""The run on workers: claim the run id, invoke every worker, collect and merge their folders.

``python -m loadgen scenario2|rate --workers N --worker-stack NAME`` cuts the plan into N
slices (``loadgen.workers._split``), invokes the worker stack's function N times at once
(``_invoke``, ``_wait``), downloads each worker's result folder from the stack's bucket
(``_collect``) and merges them with the lossless ``merge`` into one folder. A worker that
fails, or whose reply never comes, is listed in the merged run.json and summary.json with the
users it lost; one whose folder is in the bucket all the same (its call dropped, its reply
lost) is not lost but collected.

Before invoking, a run claims ``RESULTS/RUN_ID/workers/`` (made exclusively, with 1 MiB set
aside) and ``PREFIX/RUN_ID/claim.json`` in the bucket (a conditional write), so that two runs
given one run id cannot mix. A running invocation cannot be stopped: a stop signal (see
``loadgen.workers._wait.Interrupt``) makes the controller say until when the workers run on,
then collect what they uploaded and merge it marked incomplete. A full disk keeps what fits
and says where the rest is (the bucket).
"""

from __future__ import annotations

import errno
import json
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from resultfiles import write_json_atomic

from .._errors import ResultsError
from ..engine._stop import RunInterrupted
from ..files._merge import merge_results
from ..files._space import RESERVE_BYTES, RESERVE_NAME, reserve_space
from ..plans._rate_plan import RatePlan
from ..plans._staged_plan import StagedPlan
from . import _invoke
from ._checks import check_fits, check_run
from ._collect import Collected, collect, workers_report
from ._invoke import Invoker
from ._split import WorkerSlice, plan_to_json, split_plan
from ._stack import WorkerStack
from ._store import CLAIM_NAME, STOP_NAME, RunStore, S3Store
from ._wait import Interrupt, utc_time, wait_for_workers

__all__ = ["DEFAULT_GRACE_S", "WorkersOutcome", "run_workers"]

#: Time given past the plan's end for the last requests, the upload and the reply.
DEFAULT_GRACE_S = 90.0


@dataclass(frozen=True, kw_only=True)
class WorkersOutcome:
    """What a run on workers gave: the merged folder (None: none merged) and why.

    ``write_error``: the results could not all be written (a full disk); what was kept is in
    ``workers`` (each worker's folder, here or in the bucket). ``signal``: the run was
    interrupted by it.
    """

    folder: Path | None
    summary: dict[str, Any] | None
    workers: dict[str, Any]
    write_error: str | None = None
    signal: int | None = None

    @property
    def lost(self) -> list[dict[str, Any]]:
        return list(self.workers["lost"])

    @property
    def left_in_bucket(self) -> list[dict[str, Any]]:
        return list(self.workers.get("left_in_bucket", []))


class _Claim:
    """The run's hold on ``RESULTS/RUN_ID/workers/`` (made exclusively) and its space reserve."""

    def __init__(self, run_root: Path) -> None:
        self.folder = run_root / "workers"
        self.reserve = self.folder / RESERVE_NAME
        try:
            run_root.mkdir(parents=True, exist_ok=True)
            self.folder.mkdir()
        except FileExistsError:
            raise ResultsError(
                f"{run_root} already holds a workers run (or one is starting "
                "now): choose another --run-id"
            ) from None
        except OSError as exc:
            raise ResultsError(
                f"cannot write results in {run_root}: {exc.strerror or exc}"
            ) from exc
        try:
            reserve_space(self.reserve)
        except OSError as exc:
            self.release()
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                raise ResultsError(
                    f"not enough free space in {run_root} to start (a run needs at "
                    f"least {RESERVE_BYTES >> 20} MiB free): free some space or "
                    "choose another --results folder"
                ) from exc
            raise ResultsError(
                f"cannot write results in {run_root}: {exc.strerror or exc}"
            ) from exc

    def free_reserve(self) -> None:
        try:
            self.reserve.unlink(missing_ok=True)
        except OSError:
            pass

    def release(self) -> None:
        """Nothing was sent: the run id is free again."""
        self.free_reserve()
        try:
            self.folder.rmdir()
        except OSError:
            pass


def _claim_bucket(
    bucket: RunStore, *, stack: WorkerStack, run_prefix: str, run_id: str, workers: int
) -> None:
    """Write the run's claim in the bucket; ResultsError when another run holds the run id."""
    claimed = bucket.claim(
        f"{run_prefix}/{CLAIM_NAME}",
        json.dumps(
            {
                "run_id": run_id,
                "workers": workers,
                "claimed_epoch_s": time.time(),
                "host": socket.gethostname(),
            }
        ).encode(),
    )
    if not claimed:
        raise ResultsError(
            f"run id {run_id!r} is taken in s3://{stack.bucket}/{run_prefix}/ "
            "(another run used it): choose another --run-id"
        )


def _worker_events(
    slices: list[WorkerSlice],
    *,
    run_id: str,
    workers: int,
    scenario: str,
    target: dict[str, str],
    start_epoch_s: float,
    time_scale: float,
    timeout_s: float,
    stack: WorkerStack,
    run_prefix: str,
    features: list[str] | None,
    requests: dict[str, Any] | None,
) -> list[dict[str, Any]]:
    """The event each worker is invoked with (``loadgen.workers._handler`` reads it)."""
    events = []
    for piece in slices:
        event: dict[str, Any] = {
            "run_id": run_id,
            "worker": piece.worker,
            "workers": workers,
            "scenario": scenario,
            "slice": plan_to_json(piece.plan),
            "users": list(piece.users),
            "target": dict(target),
            "start_epoch_s": start_epoch_s,
            "time_scale": time_scale,
            "timeout_s": timeout_s,
            "bucket": stack.bucket,
            "prefix": f"{run_prefix}/w{piece.worker}",
            "stop_key": f"{run_prefix}/{STOP_NAME}",
        }
        if features is not None:
            event["features"] = features
        if requests is not None:
            event["requests"] = requests
        if stack.s3_endpoint:
            event["s3_endpoint"] = stack.s3_endpoint
        events.append(event)
    return events


def _write_and_merge(
    got: Collected, report: dict[str, Any], *, run_root: Path, merged: Path, signum: int | None
) -> WorkersOutcome:
    """Write workers.json, then merge the folders that came (none: no merged run)."""
    write_error = got.write_error
    try:
        write_json_atomic(run_root / "workers.json", report)
    except OSError as exc:
        return WorkersOutcome(
            folder=None,
            summary=None,
            workers=report,
            signal=signum,
            write_error=write_error or f"cannot write workers.json: {exc.strerror or exc}",
        )
    if not got.sources:
        return WorkersOutcome(
            folder=None, summary=None, workers=report, write_error=write_error, signal=signum
        )
    try:
        summary = merge_results(got.sources, merged, workers=report)
    except ResultsError as exc:
        return WorkersOutcome(
            folder=None,
            summary=None,
            workers=report,
            signal=signum,
            write_error=write_error or str(exc),
        )
    return WorkersOutcome(
        folder=merged, summary=summary, workers=report, write_error=write_error, signal=signum
    )


def run_workers(
    plan: StagedPlan | RatePlan,
    *,
    target_url: str,
    sign: str,
    target_name: str,
    stack: WorkerStack,
    workers: int,
    results_dir: Path,
    run_id: str,
    time_scale: float = 1.0,
    timeout_s: float = 30.0,
    features: list[str] | None = None,
    lead_s: float = 5.0,
    grace_s: float = DEFAULT_GRACE_S,
    invoker: Invoker | None = None,
    store: RunStore | None = None,
    out: Callable[[str], None] = print,
    target_info: dict[str, Any] | None = None,
    interrupt: Interrupt | None = None,
    requests: dict[str, Any] | None = None,
) -> WorkersOutcome:
    """Run ``plan`` on ``workers`` workers and merge their folders (see the module doc).

    ``requests`` (``request_event``) is a team's request set, sent to every worker.

    Before anything is sent: the options are checked (PlanError), the local run folder and
    the bucket's run prefix are claimed, so that two runs with one run id cannot mix, and
    1 MiB of free space is set aside (ResultsError).
    """
    check_fits(plan, time_scale=time_scale, lead_s=lead_s)
    check_run(stack=stack, workers=workers, run_id=run_id, lead_s=lead_s)
    interrupt = interrupt or Interrupt()
    if interrupt.signal is not None:
        raise RunInterrupted(interrupt.signal)
    slices = split_plan(plan, workers)
    scenario = "scenario2" if isinstance(plan, StagedPlan) else "rate"
    run_root = results_dir / run_id
    merged = run_root / target_name / scenario
    if merged.exists() and any(merged.iterdir()):
        raise ResultsError(f"{merged} already holds a run: choose another --run-id")
    planned_s = plan.duration_s / time_scale
    deadline_s = lead_s + planned_s + grace_s
    claim = _Claim(run_root)
    run_prefix = f"{stack.prefix}/{run_id}"
    try:
        # Looked up on its module at each run: tests put their invoker in its place.
        invoke = invoker or _invoke.lambda_invoker(stack, workers=workers, timeout_s=deadline_s)
        bucket = store or S3Store(stack)
        _claim_bucket(bucket, stack=stack, run_prefix=run_prefix, run_id=run_id, workers=workers)
    except BaseException:
        claim.release()
        raise

    if interrupt.signal is not None:
        # Stopped before any worker was invoked: the run id is free again.
        claim.release()
        bucket.unclaim(f"{run_prefix}/{CLAIM_NAME}")
        raise RunInterrupted(interrupt.signal)
    start_epoch_s = time.time() + lead_s
    events = _worker_events(
        slices,
        run_id=run_id,
        workers=workers,
        scenario=scenario,
        target={"url": target_url, "sign": sign, "name": target_name},
        start_epoch_s=start_epoch_s,
        time_scale=time_scale,
        timeout_s=timeout_s,
        stack=stack,
        run_prefix=run_prefix,
        features=features,
        requests=requests,
    )
    # When the last worker has surely finished (or been stopped by Lambda) and uploaded.
    until_epoch_s = start_epoch_s + planned_s + grace_s

    out(
        f"{workers} workers of {stack.function_name} ({stack.source}) start at "
        f"{utc_time(start_epoch_s)} UTC for {planned_s:.0f} s; results in {merged}"
    )
    replies = wait_for_workers(
        events,
        invoke=invoke,
        bucket=bucket,
        deadline_s=deadline_s,
        lead_s=lead_s,
        planned_s=planned_s,
        until_epoch_s=until_epoch_s,
        interrupt=interrupt,
        out=out,
        stack=stack,
        stop_key=f"{run_prefix}/{STOP_NAME}",
    )
    # A signal from here on stops nothing the workers do: the run's data is what came back.
    stopped_by = interrupt.reason
    got = collect(
        slices,
        replies,
        bucket=bucket,
        stack=stack,
        scenario=scenario,
        run_prefix=run_prefix,
        into=claim.folder,
        start_epoch_s=start_epoch_s,
    )
    report = workers_report(
        got,
        plan=plan,
        time_scale=time_scale,
        stack=stack,
        workers=workers,
        start_epoch_s=start_epoch_s,
        until_epoch_s=until_epoch_s,
        stopped_by=stopped_by,
        target_info=target_info,
    )
    # The reserve is the room that workers.json and the merge are written in on a full disk.
    claim.free_reserve()
    return _write_and_merge(got, report, run_root=run_root, merged=merged, signum=interrupt.signal)
