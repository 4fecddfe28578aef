"""The controller of load-generator workers: split, invoke at once, collect, merge.

``python -m loadgen scenario2|rate --workers N --worker-stack NAME`` cuts the plan into N
slices (``loadgen.workers._split``), invokes the worker stack's function N times at once (one
RequestResponse invocation per thread, boto3's standard credential chain), shows progress,
downloads each worker's result folder from the stack's bucket and merges them with the
lossless ``merge`` into one folder. A worker that fails, or whose reply never comes, is
listed in the merged run.json and summary.json with the users it lost; one whose folder is in
the bucket all the same (its call dropped, its reply lost) is not lost but collected.

Before invoking, a run claims ``RESULTS/RUN_ID/workers/`` (made exclusively, with 1 MiB set
aside) and ``PREFIX/RUN_ID/claim.json`` in the bucket (a conditional write), so that two runs
given one run id cannot mix. A running invocation cannot be stopped: a stop signal (see
``Interrupt``) makes the controller say until when the workers run on, then collect what
they uploaded and merge it marked incomplete. A full disk keeps what fits and says where
the rest is (the bucket).
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import json
import math
import queue
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from resultfiles import (
    RESULT_FILES,
    RUN_INFO,
    new_run_id,
    read_endpoints,
    read_run_info,
    read_summary,
    write_json_atomic,
)
from resultfiles import ResultsError as FileResultsError

from .._errors import PlanError, ResultsError, TargetError
from ..engine._settings import run_id_problem
from ..engine._stop import RunInterrupted
from ..files._merge import LATE_S, merge_results
from ..files._results import RESERVE_BYTES, RESERVE_NAME, reserve_space
from ..plans._rate_plan import RatePlan
from ..plans._staged_plan import StagedPlan
from ._handler import MAX_LEAD_S, MAX_WORKER_S, STOP_BODY, STOP_CHECK_S
from ._split import WorkerSlice, plan_to_json, split_plan

__all__ = [
    "CLAIM_NAME",
    "Interrupt",
    "Invoker",
    "LambdaInvoker",
    "RunStore",
    "S3Store",
    "WorkerFailed",
    "WorkerStack",
    "WorkersOutcome",
    "resolve_worker_stack",
    "run_workers",
]

#: Calls one worker with its event and returns its reply; raises WorkerFailed when the
#: function failed, anything else when the call did (the worker may still be running).
Invoker = Callable[[dict[str, Any]], dict[str, Any]]
#: The object a run puts under ``PREFIX/RUN_ID/`` before invoking anything: of two
#: controllers given one run id, the second finds it there and stops, having sent nothing.
CLAIM_NAME = "claim.json"
#: The marker a stopped run writes there; each worker looks for it every STOP_CHECK_S.
STOP_NAME = "stop"
#: How long SIGTERM waits for the stopped workers' folders (a second signal: not at all).
STOP_WAIT_S = 20.0

#: Time given past the plan's end for the last requests, the upload and the reply.
DEFAULT_GRACE_S = 90.0


@dataclass(frozen=True, kw_only=True)
class WorkerStack:
    """Where the workers are: their function, their bucket, and (locally) the endpoints."""

    name: str
    function_name: str
    bucket: str
    #: Key prefix under which each run writes (``PREFIX/RUN_ID/wK/``).
    prefix: str = "runs"
    lambda_endpoint: str | None = None
    s3_endpoint: str | None = None
    #: "emulator" or "pulumi".
    source: str = "pulumi"
    #: the function's region (both sources state it); None: boto3's configured region
    region: str | None = None
    #: the emulator's documented local credentials, when its endpoints file states them (as
    #: for its IAM stacks); None: boto3's standard credential chain
    credentials: tuple[str, str] | None = None
    #: the most workers one run may start (the stack's ``workers_max``); None: not stated
    workers_max: int | None = None

    def client_args(self) -> dict[str, Any]:
        """boto3 client keyword arguments for the stack's region and credentials."""
        args: dict[str, Any] = {}
        if self.region:
            args["region_name"] = self.region
        if self.credentials is not None:
            args["aws_access_key_id"], args["aws_secret_access_key"] = self.credentials
        return args


def _stack_from(name: str, entry: dict[str, Any], source: str, where: str,
                credentials: tuple[str, str] | None = None) -> WorkerStack:
    missing = [k for k in ("function_name", "bucket") if not isinstance(entry.get(k), str)]
    if missing:
        raise TargetError(f"{where} gives stack {name!r} no {' and no '.join(missing)}: is it a "
                          "worker stack (Pulumi.loadgen-workers.yaml)?")

    def text(key: str) -> str | None:
        value = entry.get(key)
        return value if isinstance(value, str) and value else None

    workers_max = entry.get("workers_max")
    return WorkerStack(name=name, function_name=entry["function_name"], bucket=entry["bucket"],
                       prefix=(text("prefix") or "runs").strip("/"),
                       lambda_endpoint=text("lambda_endpoint"), s3_endpoint=text("s3_endpoint"),
                       source=source, region=text("region"), credentials=credentials,
                       workers_max=(workers_max if isinstance(workers_max, int)
                                    and not isinstance(workers_max, bool) else None))


def resolve_worker_stack(name: str, *, endpoints_file: Path, cwd: Path = Path("."),
                         run: Callable[..., subprocess.CompletedProcess[str]] = subprocess.run
                         ) -> WorkerStack:
    """The worker stack: the emulator's endpoints file first, else ``pulumi stack output``."""
    try:
        document = read_endpoints(endpoints_file)
    except FileResultsError as exc:
        raise TargetError(str(exc)) from None
    if document is not None and name in document.stacks:
        given = document.credentials or {}
        key_id, secret = given.get("access_key_id"), given.get("secret_access_key")
        keys = (key_id, secret) if isinstance(key_id, str) and isinstance(secret, str) else None
        return _stack_from(name, dict(document.stacks[name].entry), "emulator",
                           str(endpoints_file), keys)
    if shutil.which("pulumi") is None and run is subprocess.run:
        raise TargetError(f"cannot find worker stack {name!r}: it is not in {endpoints_file} and "
                          "the pulumi CLI is not installed")
    try:
        done = run(["pulumi", "stack", "output", "--json", "--stack", name], cwd=cwd,
                   capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise TargetError(f"cannot read worker stack {name!r}'s outputs: {exc}") from exc
    if done.returncode != 0:
        raise TargetError(f"pulumi stack output --json --stack {name} failed: "
                          f"{done.stderr.strip()[:300]}")
    try:
        outputs = json.loads(done.stdout)
    except ValueError as exc:
        raise TargetError(f"pulumi stack output --json --stack {name} is not JSON") from exc
    if not isinstance(outputs, dict):
        raise TargetError(f"pulumi stack output --json --stack {name} is not an object")
    return _stack_from(name, outputs, "pulumi", f"pulumi stack output --stack {name}")


class WorkerFailed(RuntimeError):
    """The function itself failed (a function error: it raised, timed out or its process died).

    Unlike a failed call (a connection dropped, a read timeout), the worker is known to have
    stopped: the controller looks for its folder once rather than until the deadline.
    """


class LambdaInvoker:
    """Invoke the stack's function (RequestResponse) and return its reply as a dict.

    The call may wait 14 minutes with no byte on the wire: NATs, firewalls and load
    balancers drop flows idle for 350 s, so the connection sends TCP keepalive probes (after
    KEEPALIVE_IDLE_S idle, then every KEEPALIVE_INTERVAL_S), not the kernel's default 2 hours.
    """

    def __init__(self, stack: WorkerStack, *, workers: int, timeout_s: float) -> None:
        import boto3
        from botocore.config import Config

        # One connection per worker; no retry (a retried worker would run its users twice).
        config = Config(read_timeout=int(timeout_s) + 30, connect_timeout=30,
                        retries={"max_attempts": 1, "mode": "standard"},
                        max_pool_connections=max(workers, 10), tcp_keepalive=True)
        self.function_name = stack.function_name
        self.client = boto3.client("lambda", endpoint_url=stack.lambda_endpoint, config=config,
                                   **stack.client_args())
        _probe_sooner(self.client)

    def __call__(self, event: dict[str, Any]) -> dict[str, Any]:
        from botocore.exceptions import BotoCoreError, ClientError, HTTPClientError

        try:
            response = self.client.invoke(FunctionName=self.function_name,
                                          InvocationType="RequestResponse",
                                          Payload=json.dumps(event).encode())
        except HTTPClientError:
            raise  # sent, then the connection failed (reset, read timeout): it may run on
        except (BotoCoreError, ClientError) as exc:
            # Refused, or never sent (no credentials, no connection): the worker never ran.
            raise WorkerFailed(f"its Invoke did not start it ({type(exc).__name__}: "
                               f"{exc})") from exc
        payload = response["Payload"].read().decode("utf-8", "replace")
        if response.get("FunctionError"):
            raise WorkerFailed(f"the function failed ({response['FunctionError']}): "
                               f"{payload[:300]}")
        reply = json.loads(payload)
        if not isinstance(reply, dict):
            raise WorkerFailed(f"the function replied {payload[:200]!r}, not an object")
        return reply


#: Idle seconds before the first keepalive probe, and between probes (well inside the 350 s
#: after which AWS's NAT gateways and load balancers drop an idle flow).
KEEPALIVE_IDLE_S = 60
KEEPALIVE_INTERVAL_S = 30


def _probe_sooner(client: Any) -> None:
    """Add the probe timing to botocore's SO_KEEPALIVE (``tcp_keepalive=True``).

    botocore has no public setting for it; its HTTP session keeps the socket options in a
    list that every new connection gets. Where either is missing, SO_KEEPALIVE alone stays.
    """
    options = getattr(getattr(getattr(client, "_endpoint", None), "http_session", None),
                      "_socket_options", None)
    if not isinstance(options, list):
        return
    for name, value in (("TCP_KEEPIDLE", KEEPALIVE_IDLE_S),
                        ("TCP_KEEPINTVL", KEEPALIVE_INTERVAL_S), ("TCP_KEEPCNT", 5)):
        if hasattr(socket, name):
            options.append((socket.IPPROTO_TCP, getattr(socket, name), value))


def lambda_invoker(stack: WorkerStack, *, workers: int, timeout_s: float) -> Invoker:
    """Invoke the stack's function (RequestResponse) and return its reply as a dict."""
    return LambdaInvoker(stack, workers=workers, timeout_s=timeout_s)


class RunStore(Protocol):
    """The worker stack's bucket, as the controller uses it (keys are full keys)."""

    def claim(self, key: str, body: bytes) -> bool:
        """Create ``key`` unless it exists; False when it already did."""

    def unclaim(self, key: str) -> None:
        """Remove the claim ``key`` if allowed (a run that invoked nothing); never raises."""

    def ask_to_stop(self, key: str) -> None:
        """Write the stop marker ``key`` that the workers look for."""

    def holds_folder(self, prefix: str) -> bool:
        """Whether a worker's whole folder (every result file) is under ``prefix``."""

    def download(self, prefix: str, folder: Path) -> None:
        """Copy the result files under ``prefix`` into ``folder``."""


class S3Store:
    """The worker stack's bucket through boto3 (the emulator's S3 endpoint when it gives one)."""

    def __init__(self, stack: WorkerStack) -> None:
        import boto3

        self.bucket = stack.bucket
        self.client = boto3.client("s3", endpoint_url=stack.s3_endpoint, **stack.client_args())

    def claim(self, key: str, body: bytes) -> bool:
        from botocore.exceptions import ClientError

        try:
            # A conditional write: S3 refuses it (412) when the key exists, atomically.
            self.client.put_object(Bucket=self.bucket, Key=key, Body=body, IfNoneMatch="*")
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code"))
            if code in ("PreconditionFailed", "ConditionalRequestConflict", "412"):
                return False
            raise TargetError(f"cannot claim the run in s3://{self.bucket}/{key} ({code}): the "
                              "controller needs s3:PutObject on the bucket's runs/") from exc
        return True

    def ask_to_stop(self, key: str) -> None:
        self.client.put_object(Bucket=self.bucket, Key=key, Body=STOP_BODY)

    def unclaim(self, key: str) -> None:
        # Without s3:DeleteObject the claim stays (and expires with the run's folders).
        with contextlib.suppress(Exception):
            self.client.delete_object(Bucket=self.bucket, Key=key)

    def holds_folder(self, prefix: str) -> bool:
        found = self.client.list_objects_v2(Bucket=self.bucket, Prefix=f"{prefix}/")
        keys = {item["Key"] for item in found.get("Contents", [])}
        return all(f"{prefix}/{name}" in keys for name in RESULT_FILES)

    def download(self, prefix: str, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        for name in RESULT_FILES:
            self.client.download_file(self.bucket, f"{prefix}/{name}", str(folder / name))


class Interrupt:
    """Stop signals received while the workers run (the handler is installed by the caller).

    A running invocation cannot be cancelled: on the first signal the controller writes the
    stop marker that the workers look for (``loadgen.workers._handler``), and waits for their
    folders to merge what they measured: after SIGINT until they come, after SIGTERM STOP_WAIT_S at
    most. A second signal stops waiting at once; what is not in the bucket then is said to
    run on (a worker that cannot see the marker runs to its plan's end).
    """

    def __init__(self) -> None:
        self.signal: int | None = None
        self.now = False
        #: Set on every signal (a waiting loop wakes up on it).
        self.woken = threading.Event()

    def __call__(self, signum: int, _frame: object = None) -> None:
        if self.signal is not None:
            self.now = True
        if self.signal is None:
            self.signal = signum
        self.woken.set()

    @property
    def reason(self) -> str | None:
        return None if self.signal is None else f"stopped by {signal.Signals(self.signal).name}"


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


def check_fits(plan: StagedPlan | RatePlan, *, time_scale: float, lead_s: float) -> None:
    """PlanError, in one line, for a plan a Lambda invocation cannot hold (no chaining)."""
    length_s = plan.duration_s / time_scale
    if length_s + lead_s > MAX_WORKER_S:
        raise PlanError(f"the plan lasts {length_s:.0f} s: a worker runs at most "
                        f"{MAX_WORKER_S - lead_s:.0f} s (Lambda stops it at 15 minutes); plans "
                        "are not chained: split it into shorter runs, or use one machine")


def check_run(*, stack: WorkerStack, workers: int, run_id: str, lead_s: float) -> None:
    """PlanError, in one line, for options a workers run cannot take (before anything is sent)."""
    if stack.workers_max is not None and workers > stack.workers_max:
        raise PlanError(f"--workers {workers} is more than the worker stack {stack.name!r} "
                        f"allows (workers_max {stack.workers_max}): use at most "
                        f"{stack.workers_max}, or raise workers_max in Pulumi.{stack.name}.yaml "
                        "and deploy it")
    problem = run_id_problem(run_id)
    if problem is not None:
        raise PlanError(f"--run-id: {problem}")
    if not (math.isfinite(lead_s) and 0 <= lead_s <= MAX_LEAD_S):
        raise PlanError(f"--workers-lead {lead_s:g}s is more than the {MAX_LEAD_S:.0f} s a worker "
                        "waits for its start: give at most "
                        f"{MAX_LEAD_S:.0f}s (the default, 5s, covers their cold starts)")


def _lost_users(piece: WorkerSlice, scenario: str) -> str:
    if scenario == "rate":
        return f"arrivals {piece.users[0]}, {piece.users[0]} + {piece.users[1]}, ... of the plan"
    return f"users {piece.users[0]}..{piece.users[1]}"


def _utc(epoch_s: float) -> str:
    return time.strftime("%H:%M:%S", time.gmtime(epoch_s))


class _Claim:
    """The run's hold on ``RESULTS/RUN_ID/workers/`` (made exclusively) and its space reserve."""

    def __init__(self, run_root: Path) -> None:
        self.folder = run_root / "workers"
        self.reserve = self.folder / RESERVE_NAME
        try:
            run_root.mkdir(parents=True, exist_ok=True)
            self.folder.mkdir()
        except FileExistsError:
            raise ResultsError(f"{run_root} already holds a workers run (or one is starting "
                               "now): choose another --run-id") from None
        except OSError as exc:
            raise ResultsError(f"cannot write results in {run_root}: "
                               f"{exc.strerror or exc}") from exc
        try:
            reserve_space(self.reserve)
        except OSError as exc:
            self.release()
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                raise ResultsError(f"not enough free space in {run_root} to start (a run needs at "
                                   f"least {RESERVE_BYTES >> 20} MiB free): free some space or "
                                   "choose another --results folder") from exc
            raise ResultsError(f"cannot write results in {run_root}: "
                               f"{exc.strerror or exc}") from exc

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


def run_workers(plan: StagedPlan | RatePlan, *, target_url: str, sign: str, target_name: str,
                stack: WorkerStack, workers: int, results_dir: Path, run_id: str,
                time_scale: float = 1.0, timeout_s: float = 30.0,
                features: list[str] | None = None, lead_s: float = 5.0,
                grace_s: float = DEFAULT_GRACE_S, invoker: Invoker | None = None,
                store: RunStore | None = None,
                out: Callable[[str], None] = print,
                target_info: dict[str, Any] | None = None,
                interrupt: Interrupt | None = None,
                requests: dict[str, Any] | None = None) -> WorkersOutcome:
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
    try:
        invoke = invoker or lambda_invoker(stack, workers=workers, timeout_s=deadline_s)
        bucket = store or S3Store(stack)
        run_prefix = f"{stack.prefix}/{run_id}"
        claimed = bucket.claim(f"{run_prefix}/{CLAIM_NAME}", json.dumps(
            {"run_id": run_id, "workers": workers, "claimed_epoch_s": time.time(),
             "host": socket.gethostname()}).encode())
        if not claimed:
            raise ResultsError(f"run id {run_id!r} is taken in s3://{stack.bucket}/{run_prefix}/ "
                               "(another run used it): choose another --run-id")
    except BaseException:
        claim.release()
        raise

    if interrupt.signal is not None:
        # Stopped before any worker was invoked: the run id is free again.
        claim.release()
        bucket.unclaim(f"{run_prefix}/{CLAIM_NAME}")
        raise RunInterrupted(interrupt.signal)
    start_epoch_s = time.time() + lead_s
    events = []
    for piece in slices:
        event: dict[str, Any] = {
            "run_id": run_id, "worker": piece.worker, "workers": workers, "scenario": scenario,
            "slice": plan_to_json(piece.plan), "users": list(piece.users),
            "target": {"url": target_url, "sign": sign, "name": target_name},
            "start_epoch_s": start_epoch_s,
            "time_scale": time_scale, "timeout_s": timeout_s, "bucket": stack.bucket,
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
    # When the last worker has surely finished (or been stopped by Lambda) and uploaded.
    until_epoch_s = start_epoch_s + planned_s + grace_s

    out(f"{workers} workers of {stack.function_name} ({stack.source}) start at "
        f"{_utc(start_epoch_s)} UTC for {planned_s:.0f} s; results in {merged}")
    replies = _wait(events, invoke=invoke, bucket=bucket, deadline_s=deadline_s,
                    lead_s=lead_s, planned_s=planned_s, until_epoch_s=until_epoch_s,
                    interrupt=interrupt, out=out, stack=stack,
                    stop_key=f"{run_prefix}/{STOP_NAME}")
    # A signal from here on stops nothing the workers do: the run's data is what came back.
    stopped_by = interrupt.reason

    sources: list[Path] = []
    lost: list[dict[str, Any]] = []
    left: list[dict[str, Any]] = []
    table: list[dict[str, Any]] = []
    write_error: str | None = None
    for piece in slices:
        reply = replies[piece.worker]
        status = str(reply.get("status"))
        why = reply.get("error")
        prefix = f"{run_prefix}/w{piece.worker}"
        entry: dict[str, Any] = {"worker": piece.worker, "users": list(piece.users),
                                 "status": status, "requests": reply.get("requests"),
                                 "clock": reply.get("clock"), "prefix": prefix}
        if reply.get("recovered"):
            entry["recovered"] = reply["recovered"]
        if status == "ok":
            folder = claim.folder / f"w{piece.worker}"
            if write_error is None:
                try:
                    bucket.download(prefix, folder)
                    _fill_from_folder(entry, folder, start_epoch_s)
                    sources.append(folder)
                except OSError as exc:
                    write_error = f"cannot write {exc.filename or folder}: {exc.strerror or exc}"
                    # A half-copied folder is no source, and its room is needed for the rest.
                    shutil.rmtree(folder, ignore_errors=True)
                except Exception as exc:  # noqa: BLE001 - said below; the folder stays there
                    entry["download_error"] = f"{type(exc).__name__}: {exc}"[:500]
            if folder not in sources:
                # Its data is whole in the bucket: not lost, only not here.
                entry["downloaded"] = False
                left.append({"worker": piece.worker, "users": list(piece.users),
                             "missing": _lost_users(piece, scenario),
                             "where": f"s3://{stack.bucket}/{prefix}/",
                             "why": entry.get("download_error") or write_error})
        else:
            entry["error"] = why
            if status == "running on":
                left.append({"worker": piece.worker, "users": list(piece.users),
                             "missing": _lost_users(piece, scenario),
                             "where": f"s3://{stack.bucket}/{prefix}/", "why": why})
            else:
                lost.append({"worker": piece.worker, "users": list(piece.users),
                             "lost": _lost_users(piece, scenario), "why": why})
        table.append(entry)
    report = {"count": workers, "stack": stack.name, "function_name": stack.function_name,
              "asked_start_epoch_s": start_epoch_s, "until_epoch_s": until_epoch_s,
              "workers": table, "lost": lost,
              "left_in_bucket": left, "clock": _clock(table),
              # The whole plan: each worker's run.json holds only its slice.
              "plan": dataclasses.asdict(plan),
              "plan_scaled": dataclasses.asdict(plan.scaled(time_scale))}
    if stopped_by is not None:
        report["interrupted"] = stopped_by
    if write_error is not None:
        report["write_error"] = write_error
    if target_info is not None:
        report["target"] = target_info
    # The reserve is the room that workers.json and the merge are written in on a full disk.
    claim.free_reserve()
    try:
        write_json_atomic(run_root / "workers.json", report)
    except OSError as exc:
        return WorkersOutcome(folder=None, summary=None, workers=report, signal=interrupt.signal,
                              write_error=write_error or f"cannot write workers.json: "
                                                         f"{exc.strerror or exc}")
    if not sources:
        return WorkersOutcome(folder=None, summary=None, workers=report, write_error=write_error,
                              signal=interrupt.signal)
    try:
        summary = merge_results(sources, merged, workers=report)
    except ResultsError as exc:
        return WorkersOutcome(folder=None, summary=None, workers=report, signal=interrupt.signal,
                              write_error=write_error or str(exc))
    return WorkersOutcome(folder=merged, summary=summary, workers=report,
                          write_error=write_error, signal=interrupt.signal)


def _fill_from_folder(entry: dict[str, Any], folder: Path, asked_epoch_s: float) -> None:
    """A worker collected from the bucket (no reply): its count and start from its files."""
    if entry.get("requests") is None:
        entry["requests"] = read_summary(folder).requests
    if entry.get("clock") is None:
        measured = read_run_info(folder).start_epoch_s
        if measured is None:
            raise ResultsError(f"{folder / RUN_INFO} has no start_epoch_s: the worker's run did "
                               "not start")
        entry["clock"] = {"asked_start_epoch_s": asked_epoch_s,
                          "measured_start_epoch_s": measured,
                          "late_s": round(measured - asked_epoch_s, 6)}


def _wait(events: list[dict[str, Any]], *, invoke: Invoker, bucket: RunStore, deadline_s: float,
          lead_s: float, planned_s: float, until_epoch_s: float, interrupt: Interrupt,
          out: Callable[[str], None], stack: WorkerStack,
          stop_key: str) -> dict[int, dict[str, Any]]:
    """Invoke every worker at once and wait for each reply (or its folder in the bucket)."""
    replies: dict[int, dict[str, Any]] = {}
    #: Workers whose call failed while they may still run: their folder may yet come.
    orphans: dict[int, str] = {}
    answers: queue.Queue[tuple[int, dict[str, Any] | None, Exception | None]] = queue.Queue()

    def call(event: dict[str, Any]) -> None:
        try:
            answers.put((event["worker"], invoke(event), None))
        except Exception as exc:  # noqa: BLE001 - handed to the waiting loop
            answers.put((event["worker"], None, exc))

    # Daemon threads, not a pool: a worker whose reply never comes (or a run interrupted)
    # must not hold the controller, neither here nor at exit, where a pool's threads are joined.
    for event in events:
        threading.Thread(target=call, args=(event,), name=f"loadgen-worker-{event['worker']}",
                         daemon=True).start()
    began = time.monotonic()
    pending = {int(event["worker"]) for event in events}
    said_interrupt = False
    last_look = 0.0
    give_up_s = deadline_s
    while pending or orphans:
        elapsed_s = time.monotonic() - began
        if elapsed_s > give_up_s or interrupt.now:
            break
        if interrupt.signal is not None and not said_interrupt:
            said_interrupt = True
            name = signal.Signals(interrupt.signal).name
            try:
                bucket.ask_to_stop(stop_key)
                asked = (f"the workers were asked to stop (each looks every {STOP_CHECK_S:g} s) "
                         f"and upload what they measured; at the latest they end at "
                         f"{_utc(until_epoch_s)} UTC")
            except Exception as refused:  # noqa: BLE001 - said: they then run to their end
                asked = (f"the workers could not be asked to stop ({type(refused).__name__}: "
                         f"{refused}); they run on until {_utc(until_epoch_s)} UTC at the latest")
            if interrupt.signal != signal.SIGINT:
                give_up_s = min(deadline_s, elapsed_s + STOP_WAIT_S)
            wait_s = ("until they come" if give_up_s == deadline_s
                      else f"{give_up_s - elapsed_s:.0f} s at most")
            out(f"interrupted by {name}: {asked}; waiting for their folders {wait_s} (interrupt "
                f"again to stop waiting; they go to s3://{stack.bucket}/{stack.prefix}/)")
        got = []
        try:
            got.append(answers.get(timeout=max(0.01, min(1.0, give_up_s - elapsed_s + 0.01))))
            while True:
                got.append(answers.get_nowait())
        except queue.Empty:
            pass
        for worker, reply, exc in got:
            pending.discard(worker)
            if reply is not None:
                replies[worker] = reply
            elif isinstance(exc, WorkerFailed):
                replies[worker] = {"worker": worker, "status": "failed", "error": str(exc)[:500]}
            else:
                orphans[worker] = f"its Invoke failed ({type(exc).__name__}: {exc})"[:400]
        if orphans and time.monotonic() - last_look >= 2.0:
            last_look = time.monotonic()
            _look_for_folders(orphans, replies, bucket=bucket, stack=stack, events=events)
        failed = sum(1 for r in replies.values() if r.get("status") != "ok") + len(orphans)
        running_s = time.monotonic() - began - lead_s
        phase = (f"running {running_s:.0f}/{planned_s:.0f} s" if running_s >= 0
                 else f"starting in {-running_s:.0f} s")
        out(f"[{time.monotonic() - began:.0f} s] workers: {len(events)} invoked, {phase}, "
            f"{len(replies)} finished ({failed} failed)")
    why_not = (f"not waited for: {interrupt.reason}; it runs on until "
               f"{_utc(until_epoch_s)} UTC at the latest and uploads its folder"
               if interrupt.reason is not None else None)
    for worker in sorted(pending):
        if why_not is not None:
            replies[worker] = {"worker": worker, "status": "running on", "error": why_not}
        else:
            replies[worker] = {"worker": worker, "status": "timed out",
                               "error": f"no reply {deadline_s:.0f} s after the invocation "
                                        "(the plan, its start and the upload should have fitted)"}
    for worker, why in orphans.items():
        replies[worker] = {"worker": worker, "status": "running on" if why_not else "failed",
                           "error": f"{why}; " + (why_not or "no folder came in the bucket by "
                                                  f"{_utc(until_epoch_s)} UTC")}
    # Last look: a worker that failed or never answered may have uploaded its folder all the
    # same (a dropped connection, a reply lost on the way): then its users are not lost.
    unfinished = {w: str(r.get("error")) for w, r in replies.items() if r.get("status") != "ok"}
    _look_for_folders(unfinished, replies, bucket=bucket, stack=stack, events=events)
    return replies


def _look_for_folders(waiting: dict[int, str], replies: dict[int, dict[str, Any]], *,
                      bucket: RunStore, stack: WorkerStack, events: list[dict[str, Any]]) -> None:
    """Move each worker of ``waiting`` whose whole folder is in the bucket to ``replies``."""
    for worker in list(waiting):
        prefix = str(events[worker]["prefix"])
        try:
            found = bucket.holds_folder(prefix)
        except Exception:  # noqa: BLE001 - looked again later, or the worker stays unfinished
            found = False
        if found:
            replies[worker] = {"worker": worker, "status": "ok", "requests": None, "clock": None,
                               "recovered": f"{waiting.pop(worker)}; its folder was found in "
                                            f"s3://{stack.bucket}/{prefix}/"}


def _clock(table: list[dict[str, Any]]) -> dict[str, Any]:
    """Each worker's start as it measured it against the asked start, and the spread."""
    late = {row["worker"]: row["clock"].get("late_s") for row in table
            if isinstance(row.get("clock"), dict)
            and isinstance(row["clock"].get("late_s"), int | float)}
    values = list(late.values())
    return {
        "late_s": late,
        # Measured by each worker's own clock (NTP-disciplined on Lambda): the spread of
        # their starts, which is what the merge aligns on.
        "skew_s": round(max(values) - min(values), 6) if values else None,
        "max_late_s": max(values) if values else None,
    }


#: What a worker's event may hold of a request file: Lambda's synchronous payload (6 MB) less
#: room for the rest of the event.
REQUEST_TEXT_MAX_BYTES = 6 * 1024 * 1024 - 64 * 1024


def request_event(path: Path, *, expect_field: str | None) -> dict[str, Any]:
    """The ``requests`` of a worker's event: the request file's text, checked here first (the
    worker reads it as this machine does), and the field a correct answer holds."""
    from ..transport._requests import function_request_set

    function_request_set(path, expect_field=expect_field)  # one line per problem, if any
    text = path.read_text(encoding="utf-8")
    size = len(text.encode("utf-8"))
    if size > REQUEST_TEXT_MAX_BYTES:
        raise PlanError(f"the request file {path} is {size / 1e6:.1f} MB: a worker's event "
                        f"carries at most {REQUEST_TEXT_MAX_BYTES / 1e6:.1f} MB (Lambda's 6 MB "
                        "invocation payload); send fewer or smaller requests, or run without "
                        "--workers")
    return {"text": text, "expect_field": expect_field}


def main_workers(plan: object, *, target: Any, args: Any, notes: list[str]) -> int:
    """``--workers N --worker-stack NAME`` of ``scenario2`` and ``rate`` (loadgen._cli)."""
    import sys

    from .._console import EXIT_SIGNAL_BASE, say

    if not isinstance(plan, StagedPlan | RatePlan):
        raise PlanError("only scenario2 and rate plans run on workers")
    if args.workers is None or not args.worker_stack:
        raise PlanError("--workers N and --worker-stack NAME go together: give both")
    interrupt = Interrupt()
    # SIGTERM (timeout, CI cancelling, kill) as Ctrl-C: workers.json and the merge are written.
    previous = {signum: signal.signal(signum, interrupt)
                for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        return _main_workers(plan, target=target, args=args, notes=notes, interrupt=interrupt)
    except RunInterrupted as exc:
        say(f"{exc}: nothing was sent, nothing written", stream=sys.stderr)
        return EXIT_SIGNAL_BASE + exc.signal
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _main_workers(plan: StagedPlan | RatePlan, *, target: Any, args: Any, notes: list[str],
                  interrupt: Interrupt) -> int:
    import sys

    from .._console import (
        EXIT_SIGNAL_BASE,
        EXIT_WORKERS_LOST,
        EXIT_WRITE_FAILED,
        outcome,
        say,
        summary_table,
    )

    try:
        stack = resolve_worker_stack(args.worker_stack, endpoints_file=args.endpoints)
    except TargetError:
        if interrupt.signal is not None:
            # Ctrl-C reached `pulumi stack output` too: the interrupt is the news.
            raise RunInterrupted(interrupt.signal) from None
        raise
    run_id = args.run_id or new_run_id()
    for note in notes:
        say(f"note: {note}", stream=sys.stderr)
    tty = sys.stderr.isatty()
    ticks = [0]

    def out(line: str) -> None:
        # A rewritten line on a terminal; every fifth progress line in logs.
        if args.quiet and not line.startswith("interrupted"):
            return
        if not line.startswith("["):
            say(("\n" if tty and ticks[0] else "") + line, stream=sys.stderr)
        elif tty:
            ticks[0] = 1
            say("\r" + line, stream=sys.stderr, end="")
        else:
            ticks[0] += 1
            if ticks[0] % 5 == 1:
                say(line, stream=sys.stderr)

    features = ([f.strip() for f in args.features.split(",") if f.strip()]
                if args.features else None)
    # A worker sees the URL alone: what "auto" decided here from the stack (an IAM stack of
    # the emulator's endpoints file, say) must reach it as "always".
    sign = "always" if args.sign == "auto" and target.signer is not None else args.sign
    named_requests, named_field = target.request_file
    request_file = args.requests or named_requests
    requests = (request_event(request_file, expect_field=args.expect_field or (
        named_field if args.requests is None else None)) if request_file is not None else None)
    result = run_workers(plan, target_url=target.url, sign=sign, target_name=target.name,
                         stack=stack, workers=args.workers, results_dir=args.results,
                         run_id=run_id, time_scale=args.time_scale, timeout_s=args.timeout,
                         features=features, lead_s=args.workers_lead, out=out,
                         target_info=target.describe(), interrupt=interrupt,
                         requests=requests)
    if tty and not args.quiet:
        say("", stream=sys.stderr)
    run_root = args.results / run_id
    for lost in result.lost:
        say(f"error: worker {lost['worker']} was lost ({lost['why']}): its {lost['lost']} are "
            "missing from the merged run", stream=sys.stderr)
    running = [row for row in result.workers["workers"] if row["status"] == "running on"]
    for left in result.left_in_bucket:
        if left["why"] == result.write_error or any(
                row["worker"] == left["worker"] for row in running):
            continue  # the line for the whole run below says it
        say(f"error: worker {left['worker']}'s folder is not here ({left['why']}): its "
            f"{left['missing']} are missing from the merged run; the folder is in "
            f"{left['where']}", stream=sys.stderr)
    in_bucket = ", ".join(f"w{left['worker']}" for left in result.left_in_bucket)
    bucket = f"s3://{stack.bucket}/{stack.prefix}/{run_id}/"
    if result.summary is not None and result.folder is not None:
        say(summary_table(result.summary))
        say(f"results: {result.folder}")
        _say_clock(result.workers["clock"], lead_s=args.workers_lead,
                   say=lambda line: say(line, stream=sys.stderr))
    if result.write_error is not None:
        here = [f"w{row['worker']}" for row in result.workers["workers"]
                if row["status"] == "ok" and row.get("downloaded", True)]
        say(f"error: stopped, {result.write_error}; kept: "
            + (f"the merged run in {result.folder}, " if result.folder is not None else "")
            + f"{run_root / 'workers.json'}"
            + (f", the folders of {', '.join(here)} in {run_root / 'workers'}" if here else "")
            + (f"; the folders of {in_bucket} are whole in {bucket}" if in_bucket else ""),
            stream=sys.stderr)
        return EXIT_WRITE_FAILED
    if result.signal is not None:
        merged = (f"the merged run of what they measured is in {result.folder}"
                  + ("" if result.summary and result.summary.get("complete") else " (incomplete)")
                  if result.folder is not None else "no worker's folder could be merged")
        names = ", ".join(f"w{row['worker']}" for row in running)
        on = (f"{names} run on until "
              f"{_utc(result.workers['until_epoch_s'])} UTC and upload to {bucket}; "
              if running else "")
        say(f"interrupted by {signal.Signals(result.signal).name}: {on}{merged}; what each "
            f"worker did is in {run_root / 'workers.json'}", stream=sys.stderr)
        return EXIT_SIGNAL_BASE + result.signal
    if result.summary is None or result.folder is None:
        say(f"error: no worker came back; what each said is in "
            f"{run_root / 'workers.json'}", stream=sys.stderr)
        return EXIT_WORKERS_LOST
    status, line = outcome(result.summary)
    if line:
        say(line, stream=sys.stderr)
    return EXIT_WORKERS_LOST if result.lost or result.left_in_bucket else status


def _say_clock(clock: dict[str, Any], *, lead_s: float, say: Callable[[str], None]) -> None:
    """The workers' spread, and how late they started when the lead did not cover it."""
    skew_s, late_s = clock.get("skew_s"), clock.get("max_late_s")
    if skew_s is None:
        return
    line = f"workers started {skew_s * 1000:.1f} ms apart (each by its own clock)"
    if isinstance(late_s, int | float) and late_s > LATE_S:
        line += (f", up to {late_s:.1f} s after the asked start: the lead of {lead_s:g} s did "
                 "not cover their start-up (give a longer --workers-lead for a start on time)")
    say(line)
