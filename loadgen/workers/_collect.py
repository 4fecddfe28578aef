"""Collecting a workers run: each worker's folder from the bucket, and what workers.json says."""

from __future__ import annotations

import dataclasses
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from resultfiles import RUN_INFO, read_run_info, read_summary

from .._errors import ResultsError
from ..plans._rate_plan import RatePlan
from ..plans._staged_plan import StagedPlan
from ._split import WorkerSlice
from ._stack import WorkerStack
from ._store import RunStore

__all__ = ["Collected", "collect", "workers_report"]


@dataclass(kw_only=True)
class Collected:
    """What came back: the folders downloaded, and workers.json's rows of each worker."""

    #: The folders to merge, in the workers' order.
    sources: list[Path] = field(default_factory=list)
    #: One row per worker (``workers`` of workers.json).
    table: list[dict[str, Any]] = field(default_factory=list)
    #: Workers whose users are lost (failed, timed out).
    lost: list[dict[str, Any]] = field(default_factory=list)
    #: Workers whose folder is whole in the bucket but not here.
    left: list[dict[str, Any]] = field(default_factory=list)
    #: The first write that failed (a full disk): nothing was downloaded after it.
    write_error: str | None = None


def _lost_users(piece: WorkerSlice, scenario: str) -> str:
    if scenario == "rate":
        return f"arrivals {piece.users[0]}, {piece.users[0]} + {piece.users[1]}, ... of the plan"
    return f"users {piece.users[0]}..{piece.users[1]}"


def _fill_from_folder(entry: dict[str, Any], folder: Path, asked_epoch_s: float) -> None:
    """A worker collected from the bucket (no reply): its count and start from its files."""
    if entry.get("requests") is None:
        entry["requests"] = read_summary(folder).requests
    if entry.get("clock") is None:
        measured = read_run_info(folder).start_epoch_s
        if measured is None:
            raise ResultsError(
                f"{folder / RUN_INFO} has no start_epoch_s: the worker's run did not start"
            )
        entry["clock"] = {
            "asked_start_epoch_s": asked_epoch_s,
            "measured_start_epoch_s": measured,
            "late_s": round(measured - asked_epoch_s, 6),
        }


def _download(
    got: Collected,
    entry: dict[str, Any],
    *,
    bucket: RunStore,
    prefix: str,
    folder: Path,
    start_epoch_s: float,
) -> None:
    """Copy one worker's folder here, unless a write already failed; say what went wrong."""
    if got.write_error is not None:
        return
    try:
        bucket.download(prefix, folder)
        _fill_from_folder(entry, folder, start_epoch_s)
        got.sources.append(folder)
    except OSError as exc:
        got.write_error = f"cannot write {exc.filename or folder}: {exc.strerror or exc}"
        # A half-copied folder is no source, and its room is needed for the rest.
        shutil.rmtree(folder, ignore_errors=True)
    except Exception as exc:  # noqa: BLE001 - said below; the folder stays there
        entry["download_error"] = f"{type(exc).__name__}: {exc}"[:500]


def _collect_one(
    got: Collected,
    piece: WorkerSlice,
    reply: dict[str, Any],
    *,
    bucket: RunStore,
    stack: WorkerStack,
    scenario: str,
    run_prefix: str,
    into: Path,
    start_epoch_s: float,
) -> dict[str, Any]:
    """workers.json's row of one worker, its folder downloaded when it finished."""
    status = str(reply.get("status"))
    why = reply.get("error")
    prefix = f"{run_prefix}/w{piece.worker}"
    entry: dict[str, Any] = {
        "worker": piece.worker,
        "users": list(piece.users),
        "status": status,
        "requests": reply.get("requests"),
        "clock": reply.get("clock"),
        "prefix": prefix,
    }
    if reply.get("recovered"):
        entry["recovered"] = reply["recovered"]
    where = f"s3://{stack.bucket}/{prefix}/"
    if status == "ok":
        folder = into / f"w{piece.worker}"
        _download(
            got, entry, bucket=bucket, prefix=prefix, folder=folder, start_epoch_s=start_epoch_s
        )
        if folder not in got.sources:
            # Its data is whole in the bucket: not lost, only not here.
            entry["downloaded"] = False
            got.left.append(
                {
                    "worker": piece.worker,
                    "users": list(piece.users),
                    "missing": _lost_users(piece, scenario),
                    "where": where,
                    "why": entry.get("download_error") or got.write_error,
                }
            )
        return entry
    entry["error"] = why
    if status == "running on":
        got.left.append(
            {
                "worker": piece.worker,
                "users": list(piece.users),
                "missing": _lost_users(piece, scenario),
                "where": where,
                "why": why,
            }
        )
    else:
        got.lost.append(
            {
                "worker": piece.worker,
                "users": list(piece.users),
                "lost": _lost_users(piece, scenario),
                "why": why,
            }
        )
    return entry


def collect(
    slices: list[WorkerSlice],
    replies: dict[int, dict[str, Any]],
    *,
    bucket: RunStore,
    stack: WorkerStack,
    scenario: str,
    run_prefix: str,
    into: Path,
    start_epoch_s: float,
) -> Collected:
    """Download each finished worker's folder into ``into`` and sort the rest: lost users,
    or folders left in the bucket. A failed write stops the downloads (a full disk)."""
    got = Collected()
    for piece in slices:
        got.table.append(
            _collect_one(
                got,
                piece,
                replies[piece.worker],
                bucket=bucket,
                stack=stack,
                scenario=scenario,
                run_prefix=run_prefix,
                into=into,
                start_epoch_s=start_epoch_s,
            )
        )
    return got


def _clock(table: list[dict[str, Any]]) -> dict[str, Any]:
    """Each worker's start as it measured it against the asked start, and the spread."""
    late = {
        row["worker"]: row["clock"].get("late_s")
        for row in table
        if isinstance(row.get("clock"), dict)
        and isinstance(row["clock"].get("late_s"), int | float)
    }
    values = list(late.values())
    return {
        "late_s": late,
        # Measured by each worker's own clock (NTP-disciplined on Lambda): the spread of
        # their starts, which is what the merge aligns on.
        "skew_s": round(max(values) - min(values), 6) if values else None,
        "max_late_s": max(values) if values else None,
    }


def workers_report(
    got: Collected,
    *,
    plan: StagedPlan | RatePlan,
    time_scale: float,
    stack: WorkerStack,
    workers: int,
    start_epoch_s: float,
    until_epoch_s: float,
    stopped_by: str | None,
    target_info: dict[str, Any] | None,
) -> dict[str, Any]:
    """workers.json: what each worker did, who was lost, the clock, the whole plan."""
    report = {
        "count": workers,
        "stack": stack.name,
        "function_name": stack.function_name,
        "asked_start_epoch_s": start_epoch_s,
        "until_epoch_s": until_epoch_s,
        "workers": got.table,
        "lost": got.lost,
        "left_in_bucket": got.left,
        "clock": _clock(got.table),
        # The whole plan: each worker's run.json holds only its slice.
        "plan": dataclasses.asdict(plan),
        "plan_scaled": dataclasses.asdict(plan.scaled(time_scale)),
    }
    if stopped_by is not None:
        report["interrupted"] = stopped_by
    if got.write_error is not None:
        report["write_error"] = got.write_error
    if target_info is not None:
        report["target"] = target_info
    return report
