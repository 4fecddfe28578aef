"""``merge``: runs of one scenario from several machines into one result folder, losslessly.

Request records are concatenated (each gains ``source``, the index of its folder; read and
written as ``resultfiles.Record``, so a key an older source lacks is written with its default
and a key this version does not know is kept);
interval histograms of the same second are added (HdrHistogram's ``add``: counts are
exact); timeline rows of the same second are summed; the summary is recomputed from the
merged records by the same code a live run uses.

Sources are read through the same checked readers as the report: a damaged line stops the
merge with its ``file:line``; a torn last line of any of the three files (a run killed
mid-write) and records missing against a source's summary are kept out and listed in the
merged summary's ``data_problems``.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import resultfiles
from resultfiles import (
    LATENCY_HLOG,
    MERGE_COPIED,
    REQUESTS,
    RESULT_FILES,
    RUN_INFO,
    SUMMARY,
    TIMELINE,
    TIMELINE_COLUMNS,
    MergedRunFile,
    MergedSource,
    RecordReader,
    StageRow,
    SummaryExtra,
    Timeline,
    read_json_object,
    read_timeline,
    write_run_file,
    write_summary,
)

from .._errors import ResultsError
from ._hist import HIGHEST_US, IntervalLogWriter, LatencyHistogram, new_hdr, read_interval_log
from ._space import RESERVE_NAME
from ._stats import Stats, build_summary

__all__ = ["LATE_S", "merge_results"]

#: A worker later than this after the asked start is said to be late (its lead was too short).
LATE_S = 0.1

#: A source's run.json or summary.json, as written (the merge copies parts of it unchanged).
_Json = Mapping[str, object]


def _load_json(path: Path) -> _Json:
    data = read_json_object(path)
    if data is None:
        raise ResultsError(f"{path.parent} is not a result folder: {path.name} is missing")
    return data


def _start_epoch_s(info: _Json, src: Path) -> float:
    value = info.get("start_epoch_s")
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        raise ResultsError(
            f"{src / 'run.json'} has no start_epoch_s (a number): not a run.json "
            "written by `python -m loadgen`"
        )
    return float(value)


def merge_results(
    sources: list[Path], out: Path, *, workers: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Merge result folders (same scenario) into ``out``; returns the merged summary.

    ``workers`` (from ``loadgen.workers._collect``) describes the workers the folders came
    from: it is kept in run.json and summary.json, with the users of any worker lost; one folder is
    then enough (the others' workers failed).
    """
    created = not out.exists()
    # Only what this merge wrote may be discarded: never files of a folder that held some.
    fresh = created or (out.is_dir() and not _holds_files(out))
    try:
        return _merge(sources, out, workers)
    except OSError as exc:
        if fresh:
            _discard(out, created)
        where = exc.filename or out
        raise ResultsError(
            f"cannot write the merged results in {out} ({where}: "
            f"{exc.strerror or exc}); choose a writable --out folder"
        ) from exc
    except resultfiles.ResultsError as exc:
        if fresh:
            _discard(out, created)
        if isinstance(exc, ResultsError):
            raise
        # The shared readers' error, as the load generator's own (a LoadgenError).
        raise ResultsError(str(exc)) from exc


def _holds_files(folder: Path) -> bool:
    """Whether ``folder`` holds anything but the space reserve a killed run left."""
    return any(path.name != RESERVE_NAME for path in folder.iterdir())


_OUTPUTS = RESULT_FILES


def _discard(out: Path, created: bool) -> None:
    """Remove a half-written merge (``out`` was new or empty), so that a rerun can use it."""
    if not out.is_dir():
        return
    for name in _OUTPUTS:
        (out / name).unlink(missing_ok=True)
    if created:
        try:
            out.rmdir()
        except OSError:
            pass


def _merge(sources: list[Path], out: Path, workers: dict[str, Any] | None) -> dict[str, Any]:
    infos, summaries, starts_s, timelines = _read_sources(sources, out, workers)
    start_s = min(starts_s)
    out.mkdir(parents=True, exist_ok=True)

    # What the sources lack (torn or missing records): kept apart from the notes so that the
    # report marks the merged folder as it would mark the sources themselves.
    problems: list[str] = []
    stats = _merge_requests(sources, summaries, out, problems)
    buckets = _merge_latency_logs(sources, start_s, out, problems)
    hits_per_s = _merge_timelines(sources, starts_s, start_s, timelines, buckets, out, problems)

    run_info = _merged_run_info(sources, infos, start_s, workers)
    write_run_file(out, run_info)
    first_stages = summaries[0].get("stages", [])
    stages = [
        {k: v for k, v in stage.items() if k not in StageRow.STAT_KEYS}
        for stage in (first_stages if isinstance(first_stages, list) else [])
        if isinstance(stage, dict)
    ]
    notes: list[str] = []
    if len({info.get("time_scale") for info in infos}) > 1:
        notes.append("the merged runs used different time scales")
    if workers is not None:
        notes += _worker_notes(workers)
    extra = SummaryExtra(
        generator_saturated=any(bool(s.get("generator_saturated")) for s in summaries),
        generators=tuple(s.get("generator") for s in summaries),
        dropped=sum(
            _count(s.get("dropped", 0), src / SUMMARY, "dropped")
            for s, src in zip(summaries, sources, strict=True)
        ),
        notes=tuple(notes),
        merged_from=tuple(str(src) for src in sources),
        data_problems=tuple(problems),
        workers=run_info.workers,
        scenario1_by_source=(
            tuple(s.get("scenario1") for s in summaries)
            if any("scenario1" in s for s in summaries)
            else None
        ),
    )
    interrupted, short = _why_incomplete(summaries, workers)
    summary = build_summary(
        stats,
        hits_per_s=hits_per_s,
        run_info=run_info,
        stages=stages,
        complete=all(bool(s.get("complete")) for s in summaries) and not short,
        interrupted="; ".join(interrupted) if interrupted else None,
        extra=extra,
    )
    write_summary(out, summary)
    return summary.to_json()


def _count(value: object, path: Path, key: str) -> int:
    if isinstance(value, int | float | str):
        try:
            return int(value)
        except ValueError:
            pass
    raise ResultsError(
        f"{path}: {key!r} is not a count: not a summary.json written by `python -m loadgen`"
    )


def _read_sources(
    sources: list[Path], out: Path, workers: dict[str, Any] | None
) -> tuple[list[_Json], list[_Json], list[float], list[Timeline]]:
    """The sources' run.json, summary.json, start and timeline, checked before anything is
    written: each source folder whole, one scenario, ``out`` new or empty."""
    if len(sources) < (1 if workers is not None else 2):
        raise ResultsError("merge needs at least two result folders")
    if out.exists() and _holds_files(out):
        raise ResultsError(f"{out} exists and is not empty: choose a new --out folder")
    # A run killed (SIGKILL) right after setting its space aside leaves only that behind.
    (out / RESERVE_NAME).unlink(missing_ok=True)
    infos = [_load_json(src / RUN_INFO) for src in sources]
    summaries = [_load_json(src / SUMMARY) for src in sources]
    scenarios = {info.get("scenario") for info in infos}
    if len(scenarios) != 1:
        raise ResultsError(f"cannot merge different scenarios: {sorted(map(str, scenarios))}")
    for src in sources:
        for name in (REQUESTS, LATENCY_HLOG, TIMELINE):
            if not (src / name).is_file():
                raise ResultsError(f"{src} is not a result folder: {name} is missing")
    starts_s = [_start_epoch_s(info, src) for info, src in zip(infos, sources, strict=True)]
    # Read (and so check) every timeline before writing anything.
    timelines = [read_timeline(src / TIMELINE) for src in sources]
    return infos, summaries, starts_s, timelines


def _merge_requests(
    sources: list[Path], summaries: list[_Json], out: Path, problems: list[str]
) -> Stats:
    """Every source's records, in order, into ``out``'s requests.jsonl; their statistics."""
    stats = Stats()
    with (out / REQUESTS).open("w", encoding="utf-8") as merged:
        for index, (src, summary) in enumerate(zip(sources, summaries, strict=True)):
            reader = RecordReader(src / REQUESTS)
            for rec in reader:
                rec = dataclasses.replace(rec, source=index)
                stats.add(rec)
                merged.write(json.dumps(rec.to_json(), separators=(",", ":")) + "\n")
            if reader.torn_line is not None:
                problems.append(
                    f"{src / 'requests.jsonl'}:{reader.torn_line} is torn (cut while "
                    "being written) and is left out"
                )
            counted = summary.get("requests")
            if isinstance(counted, int) and counted > reader.count:
                problems.append(
                    f"{src}: requests.jsonl holds {reader.count:,} records where "
                    f"summary.json counts {counted:,}: {counted - reader.count:,} "
                    "requests are missing from the merge"
                )
    return stats


def _merge_latency_logs(
    sources: list[Path], start_s: float, out: Path, problems: list[str]
) -> dict[tuple[str | None, int], Any]:
    """The sources' interval histograms added per (tag, second) into ``out``'s latency.hlog;
    the sums, by (tag, second from the merged start)."""
    # Intervals and rows of one source are whole seconds apart, so flooring the offset to
    # the merged start maps each to its own second.
    buckets: dict[tuple[str | None, int], Any] = {}
    lengths: dict[int, float] = {}
    for src in sources:
        hlog = src / LATENCY_HLOG

        def torn(number: int, hlog: Path = hlog) -> None:
            problems.append(
                f"{hlog}:{number} is torn (cut while being written) and is left "
                "out: that second's latencies are missing from the merged "
                "latency.hlog"
            )

        for interval in read_interval_log(hlog, on_torn=torn):
            second = math.floor(interval.start_epoch_s - start_s + 1e-6)
            key = (interval.tag, second)
            if key not in buckets:
                buckets[key] = new_hdr()
            try:
                buckets[key].add(interval.hdr)
            except IndexError:
                # Another tool's log (jHiccup's nanoseconds, say) can hold values past our range.
                raise ResultsError(
                    f"{src / 'latency.hlog'}: an interval at {interval.start_epoch_s:.3f} holds "
                    f"values up to {interval.hdr.get_max_value()}, beyond the {HIGHEST_US} µs "
                    "a merged log keeps; merge only logs recorded in microseconds"
                ) from None
            lengths[second] = max(lengths.get(second, 0.0), interval.length_s)
    last = max(lengths) if lengths else -1
    with (out / LATENCY_HLOG).open("w", encoding="ascii") as stream:
        writer = IntervalLogWriter(
            stream, start_epoch_s=start_s, comment=f"[loadgen merge of {len(sources)} runs]"
        )
        for second in range(last + 1):
            length = lengths.get(second, 1.0)
            writer.write_interval(
                buckets.get((None, second), new_hdr()), start_s=float(second), length_s=length
            )
            for (tag, at), hdr in sorted(buckets.items(), key=lambda kv: str(kv[0][0])):
                if tag is not None and at == second:
                    writer.write_interval(hdr, start_s=float(second), length_s=length, tag=tag)
    return buckets


def _empty_row() -> dict[str, float]:
    return {
        "hits": 0,
        "ok": 0,
        "errors": 0,
        "throttled": 0,
        "cold_starts": 0,
        "users": 0,
        "sum_ms": 0.0,
        "max_ms": 0.0,
    }


def _merge_timelines(
    sources: list[Path],
    starts_s: list[float],
    start_s: float,
    timelines: list[Timeline],
    buckets: dict[tuple[str | None, int], Any],
    out: Path,
    problems: list[str],
) -> list[int]:
    """The sources' timeline rows summed per second into ``out``'s timeline.csv (percentiles
    from the merged histograms); the hits of each second."""
    rows: dict[int, dict[str, float]] = {}
    for source_start_s, src, timeline in zip(starts_s, sources, timelines, strict=True):
        offset = source_start_s - start_s
        if timeline.torn_line is not None:
            problems.append(f"{src / 'timeline.csv'}:{timeline.torn_line} is torn and is left out")
        for row in timeline.rows:
            second = math.floor(offset + int(row["second"]) + 1e-6)
            acc = rows.setdefault(second, _empty_row())
            for column in ("hits", "ok", "errors", "throttled", "cold_starts", "users"):
                acc[column] += int(row[column])
            if row["mean_ms"] and row["max_ms"]:
                acc["sum_ms"] += float(row["mean_ms"]) * int(row["ok"])
                acc["max_ms"] = max(acc["max_ms"], float(row["max_ms"]))
    hits_per_s = []
    with (out / TIMELINE).open("w", encoding="ascii") as stream:
        stream.write(",".join(TIMELINE_COLUMNS) + "\n")
        for second in range(max(rows) + 1 if rows else 0):
            acc = rows.get(second, _empty_row())
            hits_per_s.append(int(acc["hits"]))
            hist = LatencyHistogram(buckets.get((None, second), new_hdr()))
            hist.count = hist.hdr.get_total_count()
            if acc["ok"]:
                pct = hist.percentiles_us((50.0, 99.0))
                lat = [
                    f"{acc['sum_ms'] / acc['ok']:.3f}",
                    f"{acc['max_ms']:.3f}",
                    f"{pct[50.0] / 1000:.3f}",
                    f"{pct[99.0] / 1000:.3f}",
                ]
            else:
                lat = ["", "", "", ""]
            counts = [
                str(int(acc[k]))
                for k in ("hits", "ok", "errors", "throttled", "cold_starts", "users")
            ]
            stream.write(",".join([str(second), *counts, *lat]) + "\n")
    return hits_per_s


def _merged_run_info(
    sources: list[Path], infos: list[_Json], start_s: float, workers: dict[str, Any] | None
) -> MergedRunFile:
    """The merged run.json: the first source's plan and target, every source's origin."""
    first = infos[0]
    copied = {key: first.get(key) for key in MERGE_COPIED}
    described: dict[str, object] | None = None
    if workers is not None:
        # The workers ran slices; the merged run is the whole plan's.
        # and its target is as the controller described it (a stack's settings and network
        # path from the emulator's endpoints file), not as a worker saw a bare URL.
        described = {k: v for k, v in workers.items() if k not in ("plan", "plan_scaled", "target")}
        for name in ("plan", "plan_scaled", "target"):
            if name in workers:
                copied[name] = workers[name]
    return MergedRunFile(
        copied=copied,
        start_epoch_s=start_s,
        started_at=min(str(info.get("started_at")) for info in infos),
        merged_from=tuple(
            MergedSource(
                folder=str(src),
                run_id=info.get("run_id"),
                machine=info.get("machine"),
                start_epoch_s=info.get("start_epoch_s"),
                time_scale=info.get("time_scale"),
                target=info.get("target"),
            )
            for src, info in zip(sources, infos, strict=True)
        ),
        workers=described,
    )


def _worker_notes(workers: dict[str, Any]) -> list[str]:
    """What the merged summary says of the workers: the lost, the uncollected, their clocks."""
    notes: list[str] = []
    for lost in workers.get("lost", []):
        notes.append(
            f"worker {lost['worker']} was lost ({lost['why']}): its "
            f"{lost['lost']} are missing from this run"
        )
    for left in workers.get("left_in_bucket", []):
        notes.append(
            f"worker {left['worker']}'s folder was not collected ({left['why']}): "
            f"its {left['missing']} are missing from this run; the folder is (or "
            f"will be) in {left['where']}"
        )
    skew_s = workers.get("clock", {}).get("skew_s")
    if skew_s is not None:
        notes.append(
            f"the workers started {skew_s * 1000:.1f} ms apart (each by its own "
            "clock); records are aligned on absolute time"
        )
    late_s = workers.get("clock", {}).get("max_late_s")
    if isinstance(late_s, int | float) and late_s > LATE_S:
        notes.append(
            f"the workers started up to {late_s:.1f} s after the asked start: the "
            "lead did not cover their start-up"
        )
    return notes


def _why_incomplete(
    summaries: list[_Json], workers: dict[str, Any] | None
) -> tuple[list[str], bool]:
    """Why the merged run is incomplete (the sources' reasons, then the workers'), and whether
    the workers' run fell short of its plan."""
    interrupted = [str(s["interrupted"]) for s in summaries if s.get("interrupted")]
    if workers is None:
        return interrupted, False
    # Why the merged run is incomplete: the table and the report say it with the rest.
    if workers.get("interrupted"):
        interrupted.append(str(workers["interrupted"]))
    if workers.get("lost"):
        interrupted.append(f"{len(workers['lost'])} of {workers.get('count')} workers lost")
    if workers.get("left_in_bucket"):
        interrupted.append(
            f"{len(workers['left_in_bucket'])} of {workers.get('count')} "
            "workers' folders not collected"
        )
    short = bool(workers.get("interrupted") or workers.get("lost") or workers.get("left_in_bucket"))
    return interrupted, short
