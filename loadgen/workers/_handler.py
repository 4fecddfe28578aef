"""The load-generator worker: a Lambda handler that runs one slice of a plan.

The event (docs/results.md, Workers) names the slice, the target, the absolute start and the
bucket, and, for a team's function, its request set (``requests``: the request file's text,
which the worker reads as the controller did; no GET /health is sent then); else the worker
asks the target's GET /health first (so that the request does not delay its start). Then it
waits until the start, runs its slice with the ordinary engine, writes the usual result
folder under /tmp, uploads it to ``s3://bucket/prefix/`` and returns what happened.

A running invocation cannot be cancelled, so a worker watches for the controller's stop
marker (the event's ``stop_key``) while it runs and then stops as on a signal, finishing and
uploading its files. Its role may only put objects, so it looks with a put that S3 accepts
only when the marker is there with the marker's exact content (``If-Match`` on its ETag):
absent, S3 answers 404 and nothing is written.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio

from resultfiles import RESULT_FILES, RUN_INFO, ResultsError, read_run_info

from .._errors import LoadgenError
from ..engine._runner import RunSettings, run_async
from ..engine._stop import Stop
from ..transport._target import Target, fetch_health, sign_target, target_from_url
from ._split import RateShare, StagedSlice, plan_from_json

__all__ = ["MAX_LEAD_S", "MAX_WORKER_S", "STOP_BODY", "STOP_CHECK_S", "handler", "run_worker"]

#: Lambda stops a function after 15 minutes; the plan, the wait and the upload must fit.
MAX_WORKER_S = 14 * 60.0
#: A start further ahead than this is a mistake (clock or event), not a plan.
MAX_LEAD_S = 120.0
#: The content of the controller's stop marker; its ETag (MD5, as S3 gives it for a single
#: put with SSE-S3) is what a worker's probe must match.
STOP_BODY = b"stop\n"
STOP_ETAG = f'"{hashlib.md5(STOP_BODY, usedforsecurity=False).hexdigest()}"'
#: How often a worker looks for the stop marker (each look is one PUT request).
STOP_CHECK_S = 5.0


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Lambda entry point (``loadgen.workers._handler.handler``); never raises for a bad event."""
    remaining_s = None
    if context is not None and hasattr(context, "get_remaining_time_in_millis"):
        remaining_s = context.get_remaining_time_in_millis() / 1000
    return run_worker(event, remaining_s=remaining_s)


def run_worker(
    event: dict[str, Any],
    *,
    remaining_s: float | None = None,
    s3_client: Any = None,
    work_dir: Path | None = None,
) -> dict[str, Any]:
    """Run the event's slice and upload its folder; the reply says how it went."""
    worker = event.get("worker")
    reply: dict[str, Any] = {
        "worker": worker,
        "users": event.get("users"),
        "status": "failed",
        "requests": 0,
        "prefix": event.get("prefix"),
        "clock": None,
    }
    try:
        reply.update(_run(event, remaining_s=remaining_s, s3_client=s3_client, work_dir=work_dir))
    except LoadgenError as exc:
        reply["error"] = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if getattr(exc, "problems", None):
            reply["error"] += ": " + "; ".join(exc.problems)  # type: ignore[attr-defined]
    except Exception as exc:  # noqa: BLE001 - the controller reports it; Lambda would hide it
        reply["error"] = f"{type(exc).__name__}: {exc}"
    return reply


def _need(event: dict[str, Any], key: str, kind: type | tuple[type, ...]) -> Any:
    value = event.get(key)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise LoadgenError(
            f"the worker event's {key!r} is missing or not a {getattr(kind, '__name__', kind)}"
        )
    return value


def _run(
    event: dict[str, Any], *, remaining_s: float | None, s3_client: Any, work_dir: Path | None
) -> dict[str, Any]:
    run_id = _need(event, "run_id", str)
    worker = _need(event, "worker", int)
    start_epoch_s = float(_need(event, "start_epoch_s", (int, float)))
    time_scale = float(event.get("time_scale") or 1.0)
    bucket = _need(event, "bucket", str)
    prefix = _need(event, "prefix", str).strip("/")
    target_spec = _need(event, "target", dict)
    plan = plan_from_json(event.get("slice"))
    planned_s = plan.duration_s / time_scale
    lead_s = start_epoch_s - time.time()
    if lead_s > MAX_LEAD_S:
        raise LoadgenError(
            f"the start is {lead_s:.0f} s ahead, more than {MAX_LEAD_S:.0f} s: "
            "check the controller's clock"
        )
    budget_s = MAX_WORKER_S if remaining_s is None else remaining_s - 30.0
    if max(lead_s, 0.0) + planned_s > budget_s:
        raise LoadgenError(
            f"the slice lasts {planned_s:.0f} s and starts in {lead_s:.0f} s: more "
            f"than the {budget_s:.0f} s this invocation has left"
        )
    target = sign_target(
        target_from_url(str(target_spec.get("url")), name=str(target_spec.get("name") or "target")),
        str(target_spec.get("sign") or "auto"),
    )
    features = event.get("features")
    sent = event.get("requests")
    if sent is not None and not (isinstance(sent, dict) and isinstance(sent.get("text"), str)):
        raise LoadgenError(
            "the event's `requests` must be an object with the request file's "
            "`text` (and `expect_field`)"
        )
    health: dict[str, Any]
    if sent is not None:
        health = {}  # the request set says everything that is sent
    elif features is None:
        health = fetch_health(target, timeout_s=min(30.0, max(lead_s, 5.0)))
    else:
        health = {"features": list(features)}

    # A folder of this invocation's own: a name made of the run id and worker number alone is
    # shared by every invocation on one host (two runs given one run id, a warm instance's /tmp,
    # parallel test runs), and each would delete or overwrite the other's files mid-run.
    base = work_dir or Path(tempfile.gettempdir())
    base.mkdir(parents=True, exist_ok=True)
    results = Path(tempfile.mkdtemp(prefix=f"loadgen-{run_id}-w{worker}-", dir=base))
    try:
        return _run_in(
            event,
            results,
            plan=plan,
            target=target,
            health=health,
            sent=sent,
            s3_client=s3_client,
            run_id=run_id,
            worker=worker,
            bucket=bucket,
            prefix=prefix,
            start_epoch_s=start_epoch_s,
            time_scale=time_scale,
        )
    finally:
        shutil.rmtree(results, ignore_errors=True)


def _run_in(
    event: dict[str, Any],
    results: Path,
    *,
    plan: StagedSlice | RateShare,
    target: Target,
    health: dict[str, Any],
    sent: dict[str, Any] | None,
    s3_client: Any,
    run_id: str,
    worker: int,
    bucket: str,
    prefix: str,
    start_epoch_s: float,
    time_scale: float,
) -> dict[str, Any]:
    """Run the slice with its results in ``results``, upload them, say what happened."""
    request_file: Path | None = None
    expect_field = str(sent.get("expect_field") or "") or None if sent is not None else None
    if sent is not None:
        request_file = results / "requests.json"
        request_file.write_text(sent["text"], encoding="utf-8")
    note = f"worker {worker} of {event.get('workers')}, users {event.get('users')}"
    # The engine waits for the asked instant after its own preparation (payload, bodies,
    # run.json's facts), which would otherwise make each worker late by its own amount.
    settings = RunSettings(
        results_dir=results,
        run_id=run_id,
        time_scale=time_scale,
        timeout_s=float(event.get("timeout_s") or 30.0),
        progress=False,
        notes=(note,),
        start_at_epoch_s=start_epoch_s,
        requests=request_file,
        expect_field=expect_field,
    )
    # Made beside the run (its watcher needs it), not before: it takes CPU the start may need.
    clients: list[Any] = [s3_client] if s3_client is not None else []

    def client() -> Any:
        if not clients:
            clients.append(_s3_client(event))
        return clients[0]

    stop_key = event.get("stop_key")
    run = functools.partial(
        run_async, plan, target=target, settings=settings, health=health, out=lambda _line: None
    )
    if isinstance(stop_key, str) and stop_key:
        run = functools.partial(
            _run_watching,
            run,
            client=client,
            bucket=bucket,
            key=stop_key,
            every_s=float(event.get("stop_check_s") or STOP_CHECK_S),
        )
    result = anyio.run(run, backend="asyncio")
    measured = _read_start(result.folder)
    for name in RESULT_FILES:
        path = result.folder / name
        if path.is_file():
            client().upload_file(str(path), bucket, f"{prefix}/{name}")
    status = "ok" if result.write_error is None else "failed"
    out: dict[str, Any] = {
        "status": status,
        "requests": int(result.summary.get("requests") or 0),
        "prefix": prefix,
        "clock": {
            "asked_start_epoch_s": start_epoch_s,
            "measured_start_epoch_s": measured,
            "late_s": round(measured - start_epoch_s, 6),
        },
    }
    if result.write_error is not None:
        out["error"] = f"the worker could not write its results: {result.write_error}"
    return out


async def _run_watching(
    run: Any, *, client: Callable[[], Any], bucket: str, key: str, every_s: float
) -> Any:
    """``run(stop=...)`` while looking for the stop marker every ``every_s``."""
    stop = Stop()
    outcome: list[Any] = []

    async def watch() -> None:
        s3 = await anyio.to_thread.run_sync(client, abandon_on_cancel=True)
        while True:
            await anyio.sleep(every_s)
            if await anyio.to_thread.run_sync(_stop_asked, s3, bucket, key, abandon_on_cancel=True):
                stop("stopped by the controller")
                return

    async with anyio.create_task_group() as tg:
        tg.start_soon(watch)
        outcome.append(await run(stop=stop))
        tg.cancel_scope.cancel()
    return outcome[0]


def _stop_asked(client: Any, bucket: str, key: str) -> bool:
    """Whether the stop marker is there: a put allowed only over the marker itself."""
    with contextlib.suppress(Exception):
        # S3 answers 404 (nothing written) when the key is absent; when it is the marker,
        # the put rewrites the same bytes. Any other failure: look again later.
        client.put_object(Bucket=bucket, Key=key, Body=STOP_BODY, IfMatch=STOP_ETAG)
        return True
    return False


def _read_start(folder: Path) -> float:
    """When the run in ``folder`` started (run.json's ``start_epoch_s``)."""
    start_s = read_run_info(folder).start_epoch_s
    if start_s is None:
        raise ResultsError(
            f"{folder / RUN_INFO} has no start_epoch_s: the worker's run did not "
            "start; run it again"
        )
    return start_s


def _s3_client(event: dict[str, Any]) -> Any:
    import boto3

    # The event's endpoint (the workers' driver passes the emulator's); else boto3's own
    # choice: AWS_ENDPOINT_URL_S3 (the emulator sets it in a worker instance) or AWS's.
    endpoint = event.get("s3_endpoint") or None
    return boto3.client("s3", endpoint_url=endpoint)
