"""One size's result folder in the load generator's format (``<run>/<variant>/sweep/``: run.json,
requests.jsonl, summary.json, timeline.csv) with its REPORT lines in ``<run>/logs/<variant>.log``,
which ``python -m report write <run>`` reads as it reads any run."""

from __future__ import annotations

import json
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from contract import billed_duration_ms
from resultfiles import (
    LOGS,
    REQUESTS,
    TIMELINE,
    TIMELINE_COLUMNS,
    Record,
    SweepRunFile,
    SweepSummary,
    SweepTarget,
    percentile,
    run_folder,
    write_run_file,
    write_summary,
    write_text_atomic,
)
from resultfiles import log_path as variant_log_path

from ._samples import Invocation


def _records(invocations: Sequence[Invocation], starts_s: Sequence[float] | None) -> list[Record]:
    out: list[Record] = []
    clock = 0.0
    for seq, inv in enumerate(invocations):
        latency_ms = (
            inv.client_ms
            if inv.client_ms is not None
            else ((inv.duration_ms or 0.0) + (inv.init_ms or 0.0))
        )
        start = starts_s[seq] if starts_s is not None else clock
        clock = start + latency_ms / 1000.0
        error = None
        if inv.failure is not None:
            error = {"throttled": "throttled", "timeout": "timeout", "connection": "refused"}.get(
                inv.failure, "http_status"
            )
        out.append(
            Record(
                seq=seq,
                user=0,
                stage=0 if inv.forced_cold else 1,
                phase="cold" if inv.forced_cold else "warm",
                start_s=round(start, 6),
                latency_us=max(0, round(latency_ms * 1000)),
                status=200 if inv.failure is None else None,
                error=error,
                detail=inv.failure,
                cold_start=inv.cold,
                request_id=inv.request_id,
                init_ms=inv.init_ms,
            )
        )
    return out


def _timeline(records: Sequence[Record]) -> str:
    by_second: dict[int, list[Record]] = {}
    for r in records:
        by_second.setdefault(int(r.start_s + r.latency_us / 1e6), []).append(r)
    lines = [",".join(TIMELINE_COLUMNS)]
    last = max(by_second) if by_second else -1
    for second in range(last + 1):
        rs = by_second.get(second, [])
        lat = [r.latency_us / 1000.0 for r in rs]
        row = [
            second,
            len(rs),
            sum(r.ok for r in rs),
            sum(not r.ok for r in rs),
            sum(r.error == "throttled" for r in rs),
            sum(bool(r.cold_start) for r in rs),
            1,
        ]
        p50, p99 = percentile(lat, 50), percentile(lat, 99)
        if p50 is not None and p99 is not None:
            stats = [f"{sum(lat) / len(lat):.3f}", f"{max(lat):.3f}", f"{p50:.3f}", f"{p99:.3f}"]
        else:
            stats = ["", "", "", ""]
        lines.append(",".join([*(str(v) for v in row), *stats]))
    return "\n".join(lines) + "\n"


def write_variant_folder(
    run_dir: Path,
    *,
    variant: str,
    run_id: str,
    memory_mb: int,
    invocations: Sequence[Invocation],
    starts_s: Sequence[float] | None,
    start_epoch_s: float,
    settings: Mapping[str, Any],
    network_path: Mapping[str, float] | None,
    batch: int,
    log_path: Path | None,
    report_lines: Sequence[str] | None = None,
) -> Path:
    """One size's result folder in the load generator's format, and its log beside them."""
    folder = run_folder(run_dir.parent, run_dir.name, variant, "sweep")
    folder.mkdir(parents=True, exist_ok=True)
    records = _records(invocations, starts_s)
    write_text_atomic(
        folder / REQUESTS,
        "".join(json.dumps(r.to_json(), separators=(",", ":")) + "\n" for r in records),
    )
    write_text_atomic(folder / TIMELINE, _timeline(records))
    write_run_file(
        folder,
        SweepRunFile(
            run_id=run_id,
            start_epoch_s=start_epoch_s,
            batch=batch,
            target=SweepTarget(name=variant, settings=settings, memory_mb=memory_mb),
            cold=sum(i.forced_cold for i in invocations),
            warm=sum(not i.forced_cold for i in invocations),
            network_path=network_path,
        ),
    )
    write_summary(
        folder,
        SweepSummary(
            requests=len(records),
            error_total=sum(not r.ok for r in records),
            notes=("memory sweep: forced cold starts (stage 0) then warm requests (stage 1)",),
        ),
    )
    logs = run_dir / LOGS
    if log_path is not None and log_path.exists():
        logs.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(log_path, variant_log_path(logs, variant))
    elif report_lines:
        logs.mkdir(parents=True, exist_ok=True)
        write_text_atomic(
            variant_log_path(logs, variant), "".join(f"{line}\n" for line in report_lines)
        )
    return folder


def report_lines(invocations: Sequence[Invocation]) -> list[str]:
    """The REPORT lines a backend without a log file read (AWS's ``LogType: Tail``), written
    back in AWS's shape so that the report and ``report compare`` read them as any log."""
    lines = []
    for inv in invocations:
        if inv.request_id is None or inv.duration_ms is None:
            continue
        billed = (
            inv.billed_ms
            if inv.billed_ms is not None
            else billed_duration_ms(inv.duration_ms, inv.init_ms)
        )
        fields = [
            f"REPORT RequestId: {inv.request_id}",
            f"Duration: {inv.duration_ms:.2f} ms",
            f"Billed Duration: {billed} ms",
            f"Memory Size: {inv.memory_mb} MB",
            f"Max Memory Used: {inv.max_memory_mb or 0} MB",
        ]
        if inv.init_ms is not None:
            fields.append(f"Init Duration: {inv.init_ms:.2f} ms")
        lines.append("\t".join(fields) + "\t")
    return lines
