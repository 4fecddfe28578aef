"""The controller of load-generator workers: split, invoke at once, collect, merge.

``python -m loadgen scenario2|rate --workers N --worker-stack NAME`` cuts the plan into N
slices (``loadgen._split``), invokes the worker stack's function N times at once (one
RequestResponse invocation per thread, boto3's standard credential chain), shows progress,
downloads each worker's result folder from the stack's bucket and merges them with the
lossless ``merge`` into one folder. A worker that fails, or whose reply never comes, is
listed in the merged run.json and summary.json with the users it lost.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ._errors import PlanError, TargetError
from ._merge import merge_results
from ._plan import StagedPlan
from ._rateplan import RatePlan
from ._split import WorkerSlice, plan_to_json, split_plan
from ._worker import MAX_WORKER_S, RESULT_FILES

__all__ = [
    "Downloader",
    "Invoker",
    "WorkerStack",
    "WorkersOutcome",
    "resolve_worker_stack",
    "run_workers",
]

#: Calls one worker with its event and returns its reply (raises when the call fails).
Invoker = Callable[[dict[str, Any]], dict[str, Any]]
#: Copies ``s3://bucket/prefix/*`` into a folder: ``(bucket, prefix, folder)``.
Downloader = Callable[[str, str, Path], None]

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

    return WorkerStack(name=name, function_name=entry["function_name"], bucket=entry["bucket"],
                       prefix=(text("prefix") or "runs").strip("/"),
                       lambda_endpoint=text("lambda_endpoint"), s3_endpoint=text("s3_endpoint"),
                       source=source, region=text("region"), credentials=credentials)


def resolve_worker_stack(name: str, *, endpoints_file: Path, cwd: Path = Path("."),
                         run: Callable[..., subprocess.CompletedProcess[str]] = subprocess.run
                         ) -> WorkerStack:
    """The worker stack: the emulator's endpoints file first, else ``pulumi stack output``."""
    try:
        document = json.loads(endpoints_file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        document = None
    except (OSError, ValueError) as exc:
        raise TargetError(f"cannot read the emulator's endpoints file {endpoints_file}: "
                          f"{exc}") from exc
    stacks = document.get("stacks") if isinstance(document, dict) else None
    if isinstance(stacks, dict) and isinstance(stacks.get(name), dict):
        given = document.get("credentials")
        keys = None
        if (isinstance(given, dict) and isinstance(given.get("access_key_id"), str)
                and isinstance(given.get("secret_access_key"), str)):
            keys = (given["access_key_id"], given["secret_access_key"])
        return _stack_from(name, stacks[name], "emulator", str(endpoints_file), keys)
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


def lambda_invoker(stack: WorkerStack, *, workers: int, timeout_s: float) -> Invoker:
    """Invoke the stack's function (RequestResponse) and return its reply as a dict."""
    import boto3
    from botocore.config import Config

    # One connection per worker; no retry (a retried worker would run its users twice).
    config = Config(read_timeout=int(timeout_s) + 30, connect_timeout=30,
                    retries={"max_attempts": 1, "mode": "standard"},
                    max_pool_connections=max(workers, 10))
    client = boto3.client("lambda", endpoint_url=stack.lambda_endpoint, config=config,
                          **stack.client_args())

    def invoke(event: dict[str, Any]) -> dict[str, Any]:
        response = client.invoke(FunctionName=stack.function_name,
                                 InvocationType="RequestResponse",
                                 Payload=json.dumps(event).encode())
        payload = response["Payload"].read().decode("utf-8", "replace")
        if response.get("FunctionError"):
            raise RuntimeError(f"the function failed ({response['FunctionError']}): "
                               f"{payload[:300]}")
        reply = json.loads(payload)
        if not isinstance(reply, dict):
            raise TypeError(f"the function replied {payload[:200]!r}, not an object")
        return reply

    return invoke


def s3_downloader(stack: WorkerStack) -> Downloader:
    """Download a worker's result files from the stack's bucket."""
    import boto3

    client = boto3.client("s3", endpoint_url=stack.s3_endpoint, **stack.client_args())

    def download(bucket: str, prefix: str, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        for name in RESULT_FILES:
            client.download_file(bucket, f"{prefix}/{name}", str(folder / name))

    return download


@dataclass(frozen=True, kw_only=True)
class WorkersOutcome:
    """What a run on workers gave: the merged folder (None: no worker came back) and why."""

    folder: Path | None
    summary: dict[str, Any] | None
    workers: dict[str, Any]

    @property
    def lost(self) -> list[dict[str, Any]]:
        return list(self.workers["lost"])


def check_fits(plan: StagedPlan | RatePlan, *, time_scale: float, lead_s: float) -> None:
    """PlanError, in one line, for a plan a Lambda invocation cannot hold (no chaining)."""
    length_s = plan.duration_s / time_scale
    if length_s + lead_s > MAX_WORKER_S:
        raise PlanError(f"the plan lasts {length_s:.0f} s: a worker runs at most "
                        f"{MAX_WORKER_S - lead_s:.0f} s (Lambda stops it at 15 minutes); plans "
                        "are not chained: split it into shorter runs, or use one machine")


def _lost_users(piece: WorkerSlice, scenario: str) -> str:
    if scenario == "rate":
        return f"arrivals {piece.users[0]}, {piece.users[0]} + {piece.users[1]}, ... of the plan"
    return f"users {piece.users[0]}..{piece.users[1]}"


def run_workers(plan: StagedPlan | RatePlan, *, target_url: str, sign: str, target_name: str,
                stack: WorkerStack, workers: int, results_dir: Path, run_id: str,
                time_scale: float = 1.0, timeout_s: float = 30.0,
                features: list[str] | None = None, lead_s: float = 5.0,
                grace_s: float = DEFAULT_GRACE_S, invoker: Invoker | None = None,
                downloader: Downloader | None = None,
                out: Callable[[str], None] = print,
                target_info: dict[str, Any] | None = None) -> WorkersOutcome:
    """Run ``plan`` on ``workers`` workers and merge their folders (see the module doc)."""
    check_fits(plan, time_scale=time_scale, lead_s=lead_s)
    slices = split_plan(plan, workers)
    scenario = "scenario2" if isinstance(plan, StagedPlan) else "rate"
    run_root = results_dir / run_id
    merged = run_root / target_name / scenario
    if merged.exists() and any(merged.iterdir()):
        raise PlanError(f"{merged} already holds a run: choose another --run-id")
    planned_s = plan.duration_s / time_scale
    deadline_s = lead_s + planned_s + grace_s
    invoke = invoker or lambda_invoker(stack, workers=workers, timeout_s=deadline_s)
    fetch = downloader or s3_downloader(stack)

    start_epoch_s = time.time() + lead_s
    events = []
    for piece in slices:
        event: dict[str, Any] = {
            "run_id": run_id, "worker": piece.worker, "workers": workers, "scenario": scenario,
            "slice": plan_to_json(piece.plan), "users": list(piece.users),
            "target": {"url": target_url, "sign": sign, "name": target_name},
            "start_epoch_s": start_epoch_s,
            "time_scale": time_scale, "timeout_s": timeout_s, "bucket": stack.bucket,
            "prefix": f"{stack.prefix}/{run_id}/w{piece.worker}",
        }
        if features is not None:
            event["features"] = features
        if stack.s3_endpoint:
            event["s3_endpoint"] = stack.s3_endpoint
        events.append(event)

    out(f"{workers} workers of {stack.function_name} ({stack.source}) start at "
        f"{time.strftime('%H:%M:%S', time.gmtime(start_epoch_s))} UTC for {planned_s:.0f} s; "
        f"results in {merged}")
    replies: dict[int, dict[str, Any]] = {}
    # Not a `with` block: a worker whose reply never comes must not hold the controller.
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="loadgen-worker")
    futures: dict[Future[dict[str, Any]], int] = {
        pool.submit(invoke, event): event["worker"] for event in events}
    began = time.monotonic()
    pending = set(futures)
    while pending:
        elapsed_s = time.monotonic() - began
        if elapsed_s > deadline_s:
            break
        done, pending = wait(pending, timeout=min(1.0, deadline_s - elapsed_s + 0.01),
                             return_when=FIRST_COMPLETED)
        for future in done:
            worker = futures[future]
            try:
                replies[worker] = future.result()
            except Exception as exc:  # noqa: BLE001 - reported as the worker's failure
                replies[worker] = {"worker": worker, "status": "failed",
                                   "error": f"{type(exc).__name__}: {exc}"[:500]}
        failed = sum(1 for r in replies.values() if r.get("status") != "ok")
        running_s = time.monotonic() - began - lead_s
        phase = (f"running {running_s:.0f}/{planned_s:.0f} s" if running_s >= 0
                 else f"starting in {-running_s:.0f} s")
        out(f"[{time.monotonic() - began:.0f} s] workers: {workers} invoked, {phase}, "
            f"{len(replies)} finished ({failed} failed)")
    for future in pending:
        worker = futures[future]
        replies[worker] = {"worker": worker, "status": "timed out",
                           "error": f"no reply {deadline_s:.0f} s after the invocation "
                                    "(the plan, its start and the upload should have fitted)"}
    pool.shutdown(wait=False, cancel_futures=True)

    sources: list[Path] = []
    lost: list[dict[str, Any]] = []
    table: list[dict[str, Any]] = []
    for piece in slices:
        reply = replies[piece.worker]
        status = str(reply.get("status"))
        why = reply.get("error")
        if status == "ok":
            folder = run_root / "workers" / f"w{piece.worker}"
            try:
                fetch(stack.bucket, str(reply.get("prefix")), folder)
                sources.append(folder)
            except Exception as exc:  # noqa: BLE001 - the worker's data is lost: say so
                status, why = "failed", f"its results could not be downloaded: {exc}"[:500]
        entry = {"worker": piece.worker, "users": list(piece.users), "status": status,
                 "requests": reply.get("requests"), "clock": reply.get("clock"),
                 "prefix": reply.get("prefix")}
        if status != "ok":
            entry["error"] = why
            lost.append({"worker": piece.worker, "users": list(piece.users),
                         "lost": _lost_users(piece, scenario), "why": why})
        table.append(entry)
    report = {"count": workers, "stack": stack.name, "function_name": stack.function_name,
              "asked_start_epoch_s": start_epoch_s, "workers": table, "lost": lost,
              "clock": _clock(table),
              # The whole plan: each worker's run.json holds only its slice.
              "plan": dataclasses.asdict(plan),
              "plan_scaled": dataclasses.asdict(plan.scaled(time_scale))}
    if target_info is not None:
        report["target"] = target_info
    run_root.mkdir(parents=True, exist_ok=True)
    (run_root / "workers.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    if not sources:
        return WorkersOutcome(folder=None, summary=None, workers=report)
    summary = merge_results(sources, merged, workers=report)
    return WorkersOutcome(folder=merged, summary=summary, workers=report)


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


def main_workers(plan: object, *, target: Any, args: Any, notes: list[str]) -> int:
    """``--workers N --worker-stack NAME`` of ``scenario2`` and ``rate`` (loadgen._cli)."""
    import sys

    from ._console import EXIT_WORKERS_LOST, outcome, say, summary_table

    if not isinstance(plan, StagedPlan | RatePlan):
        raise PlanError("only scenario2 and rate plans run on workers")
    if args.workers is None or not args.worker_stack:
        raise PlanError("--workers N and --worker-stack NAME go together: give both")
    stack = resolve_worker_stack(args.worker_stack, endpoints_file=args.endpoints)
    run_id = args.run_id or time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    for note in notes:
        say(f"note: {note}", stream=sys.stderr)
    tty = sys.stderr.isatty()
    ticks = [0]

    def out(line: str) -> None:
        # A rewritten line on a terminal; every fifth progress line in logs.
        if args.quiet:
            return
        if not line.startswith("["):
            say(line, stream=sys.stderr)
        elif tty:
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
    result = run_workers(plan, target_url=target.url, sign=sign, target_name=target.name,
                         stack=stack, workers=args.workers, results_dir=args.results,
                         run_id=run_id, time_scale=args.time_scale, timeout_s=args.timeout,
                         features=features, lead_s=args.workers_lead, out=out,
                         target_info=target.describe())
    if tty and not args.quiet:
        say("", stream=sys.stderr)
    for lost in result.lost:
        say(f"error: worker {lost['worker']} was lost ({lost['why']}): its {lost['lost']} are "
            "missing from the merged run", stream=sys.stderr)
    if result.summary is None or result.folder is None:
        say(f"error: no worker came back; what each said is in "
            f"{args.results / run_id / 'workers.json'}", stream=sys.stderr)
        return EXIT_WORKERS_LOST
    say(summary_table(result.summary))
    say(f"results: {result.folder}")
    skew_s = result.workers["clock"].get("skew_s")
    if skew_s is not None:
        say(f"workers started {skew_s * 1000:.1f} ms apart (each by its own clock)",
            stream=sys.stderr)
    status, line = outcome(result.summary)
    if line:
        say(line, stream=sys.stderr)
    return EXIT_WORKERS_LOST if result.lost else status
