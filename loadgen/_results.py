"""Result files, written as the run goes (formats: docs/results.md).

``requests.jsonl`` gets one line per attempt and is flushed every second; ``latency.hlog``
and ``timeline.csv`` get one interval / row per second as each second closes; ``run.json``
and ``summary.json`` are replaced atomically (written beside, then renamed), so a crash or
Ctrl-C leaves every recorded request and a valid summary of them.

A request belongs to the second (from the run's start) in which it completed.

When the disk refuses a write (full, quota, I/O error) the writer stops writing, says so
through ``on_failure`` (the runner then stops the run), and at ``finish`` frees the space it
reserved at the start to write what is pending and the final summary. If even that fails,
each file is cut back to its last whole line and the summary counts exactly the records left.
Every file is created with mode 0666 minus the umask, like any other program's output.
"""

from __future__ import annotations

import csv
import errno
import json
import os
import secrets
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from ._errors import ResultsError
from ._hist import HIGHEST_US, IntervalLogWriter, LatencyHistogram, prepare
from ._http import ERROR_KINDS

__all__ = [
    "SCHEMA_VERSION",
    "TIMELINE_COLUMNS",
    "RecordReader",
    "ResultWriter",
    "Stats",
    "Timeline",
    "build_summary",
    "hits_per_s_figures",
    "read_timeline",
    "record_problem",
    "timeline_row",
    "write_json_atomic",
    "write_text_atomic",
]

SCHEMA_VERSION = 1
#: An attempt started more than this after its intended time counts as late (the event
#: loop wakes timers with millisecond granularity, so smaller delays are its jitter).
LATE_MS = 10.0
TIMELINE_COLUMNS = (
    "second", "hits", "ok", "errors", "throttled", "cold_starts", "users",
    "mean_ms", "max_ms", "p50_ms", "p99_ms",
)


def write_json_atomic(path: Path, data: Any) -> None:
    """Write JSON to ``path`` so that readers see the old or the new file, never half."""
    write_text_atomic(path, json.dumps(data, indent=2, sort_keys=True, allow_nan=False) + "\n")


def write_text_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so that readers see the old or the new file, never half.

    The file gets mode 0666 minus the umask, as with ``open``: ``tempfile.mkstemp`` would
    make it 0600, unlike every other output.
    """
    while True:
        tmp = path.parent / f".{path.name}.{secrets.token_hex(6)}.tmp"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            break
        except FileExistsError:
            continue
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


#: Space set aside when a run starts and given back when the disk fills, so the pending
#: records and the final summary can still be written.
RESERVE_BYTES = 1 << 20
RESERVE_NAME = ".space-reserve"
#: requests.jsonl is written out when this much is pending (and every second anyway), so
#: what waits in memory when the disk fills stays well inside the reserve.
FLUSH_CHARS = 64 * 1024


class _AppendFile:
    """A result file written by appending whole lines, never left with a torn line.

    Text waits in memory until ``flush``. When the disk refuses, what was not written stays
    pending, so a later flush (after space was freed) goes on exactly where it stopped;
    ``cut`` instead drops it and cuts the file back to its last whole line.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
        self._pending: list[str] = []
        self.pending_chars = 0
        self._tail = b""
        #: Bytes in the file, and up to the end of its last whole line.
        self.size = 0
        self.line_end = 0
        #: Whole lines in the file.
        self.lines = 0

    def write(self, text: str) -> None:
        self._pending.append(text)
        self.pending_chars += len(text)

    def flush(self) -> None:
        if self._pending:
            self._tail += "".join(self._pending).encode("utf-8")
            self._pending.clear()
            self.pending_chars = 0
        while self._tail:
            written = os.write(self._fd, self._tail)
            chunk = self._tail[:written]
            last = chunk.rfind(b"\n")
            if last >= 0:
                self.line_end = self.size + last + 1
                self.lines += chunk.count(b"\n")
            self.size += written
            self._tail = self._tail[written:]

    def cut(self) -> None:
        """Forget what is pending and cut a torn last line (truncating frees space)."""
        self._pending.clear()
        self.pending_chars = 0
        self._tail = b""
        if self.size != self.line_end:
            os.ftruncate(self._fd, self.line_end)
            self.size = self.line_end

    def close(self) -> None:
        os.close(self._fd)


def _pct_summary(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"count": 0, "p50": None, "max": None}
    ordered = sorted(values)
    return {"count": len(ordered), "p50": ordered[(len(ordered) - 1) // 2], "max": ordered[-1]}


class _StageStats:
    __slots__ = ("cold_starts", "errors", "latency", "ok", "requests")

    def __init__(self) -> None:
        self.requests = 0
        self.ok = 0
        self.errors = 0
        self.cold_starts = 0
        self.latency = LatencyHistogram()


class Stats:
    """Totals of a set of request records; the same code sums a live run and a merge."""

    def __init__(self) -> None:
        self.requests = 0
        self.ok = 0
        self.errors: Counter[str] = Counter()
        self.statuses: Counter[str] = Counter()
        self.latency = LatencyHistogram()
        self.warm = LatencyHistogram()
        self.cold = LatencyHistogram()
        self.restored = LatencyHistogram()
        self.failed = LatencyHistogram()
        self.cold_starts = 0
        self.init_ms: list[float] = []
        self.instances: set[str] = set()
        self.model_versions: Counter[str] = Counter()
        self.late = 0
        self.stages: dict[int, _StageStats] = {}

    def add(self, rec: dict[str, Any]) -> tuple[int, int, bool]:
        """Count one record; returns its prepared latency for the caller's histograms."""
        self.requests += 1
        stage = self.stages.get(rec["stage"])
        if stage is None:
            stage = self.stages[rec["stage"]] = _StageStats()
        stage.requests += 1
        status = rec["status"]
        if status is not None:
            self.statuses[str(status)] += 1
        if rec.get("late_ms", 0.0) > LATE_MS:
            self.late += 1
        instance = rec.get("instance_id")
        if instance:
            self.instances.add(instance)
        if rec.get("model_version"):
            self.model_versions[rec["model_version"]] += 1
        cold = rec.get("cold_start") is True
        if cold:
            self.cold_starts += 1
            stage.cold_starts += 1
            if rec.get("init_ms") is not None:
                self.init_ms.append(rec["init_ms"])
        value_us = rec["latency_us"]
        recorded, index = prepare(value_us)
        clamped = value_us > HIGHEST_US
        error = rec["error"]
        if error is None:
            self.ok += 1
            stage.ok += 1
            self.latency.record_prepared(recorded, index, clamped)
            stage.latency.record_prepared(recorded, index, clamped)
            # A SnapStart restore is neither warm nor a cold start (docs/api.md): its own histogram.
            kind = (self.cold if cold else
                    self.restored if rec.get("restore") is True else self.warm)
            kind.record_prepared(recorded, index, clamped)
        else:
            self.errors[error] += 1
            stage.errors += 1
            self.failed.record_prepared(recorded, index, clamped)
        return recorded, index, clamped

    def summary(self) -> dict[str, Any]:
        errors = {kind: self.errors.get(kind, 0) for kind in ERROR_KINDS}
        return {
            "requests": self.requests,
            "ok": self.ok,
            "errors": errors,
            "error_total": sum(errors.values()),
            "throttled": errors["throttled"],
            "statuses": dict(sorted(self.statuses.items())),
            "late": self.late,
            "clamped": self.latency.clamped + self.failed.clamped,
            "latency_ms": self.latency.summary_ms(),
            "warm_latency_ms": self.warm.summary_ms(),
            "cold_latency_ms": self.cold.summary_ms(),
            "restore_latency_ms": self.restored.summary_ms(),
            "failed_latency_ms": self.failed.summary_ms(),
            "cold_starts": {"count": self.cold_starts, "init_ms": _pct_summary(self.init_ms)},
            "instances": len(self.instances),
            "model_versions": dict(self.model_versions),
        }


class _Second:
    __slots__ = ("cold", "errors", "failed", "ok", "throttled", "users")

    def __init__(self, users: int) -> None:
        self.ok = LatencyHistogram()
        self.failed = LatencyHistogram()
        self.errors = 0
        self.throttled = 0
        self.cold = 0
        self.users = users


def timeline_row(second: int, s: _Second) -> list[str]:
    ok = s.ok
    if ok.count:
        pct = ok.percentiles_us((50.0, 99.0))
        lat = [f"{ok.sum_us / ok.count / 1000:.3f}", f"{ok.max_us / 1000:.3f}",
               f"{pct[50.0] / 1000:.3f}", f"{pct[99.0] / 1000:.3f}"]
    else:
        lat = ["", "", "", ""]
    hits = ok.count + s.errors
    return [str(second), str(hits), str(ok.count), str(s.errors), str(s.throttled),
            str(s.cold), str(s.users), *lat]


class ResultWriter:
    """Owns one result folder during a run; every method is cheap and synchronous."""

    def __init__(self, folder: Path, *, run_info: dict[str, Any], start_epoch_s: float,
                 t0_ns: int, stages: list[dict[str, Any]],
                 on_failure: Callable[[str], None] | None = None) -> None:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            if (folder / "requests.jsonl").exists():
                raise ResultsError(
                    f"{folder} already holds a run: choose another --run-id or --results folder"
                )
            self.folder = folder
            self.run_info = dict(run_info)
            self._reserve = folder / RESERVE_NAME
            _reserve_space(self._reserve)
            write_json_atomic(folder / "run.json", self.run_info)
            self._requests = _AppendFile(folder / "requests.jsonl")
            self._hlog_stream = _AppendFile(folder / "latency.hlog")
            self._timeline = _AppendFile(folder / "timeline.csv")
        except OSError as exc:
            self._release_reserve_quietly(folder / RESERVE_NAME)
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                raise ResultsError(
                    f"not enough free space in {folder} to start (a run needs at least "
                    f"{RESERVE_BYTES >> 20} MiB free): free some space or choose another --results folder"
                ) from exc
            raise ResultsError(f"cannot write results in {folder}: {exc.strerror or exc}") from exc
        #: Why the files could not all be written (the first failure), else None.
        self.failure: str | None = None
        #: Records that could not be written at all (the disk stayed full).
        self.lost = 0
        self._on_failure = on_failure
        self._hlog = IntervalLogWriter(
            self._hlog_stream, start_epoch_s=start_epoch_s,
            comment="[loadgen: values in microseconds; untagged = successful requests, "
                    "Tag=errors = failed attempts; Interval_Max in milliseconds]",
        )
        self._timeline.write(",".join(TIMELINE_COLUMNS) + "\n")
        try:
            # The headers now: a file is valid, if empty of data, whatever happens next.
            self._hlog_stream.flush()
            self._timeline.flush()
        except OSError as exc:
            self._release_reserve_quietly(self._reserve)
            raise ResultsError(f"cannot write results in {folder}: {exc.strerror or exc}") from exc
        self.start_epoch_s = start_epoch_s
        self.t0_ns = t0_ns
        self.stages = stages
        self.stats = Stats()
        self.users = 0
        self._second = 0
        self._current = _Second(0)
        self._hits_per_s: list[int] = []
        #: The last closed second's timeline row (for the progress line).
        self.last_row: dict[str, str] | None = None
        self._dumps = json.JSONEncoder(separators=(",", ":"), allow_nan=False).encode
        self.closed = False

    # --- during the run -------------------------------------------------------------------

    def record(self, rec: dict[str, Any], done_ns: int) -> None:
        self._requests.write(self._dumps(rec) + "\n")
        if self._requests.pending_chars > FLUSH_CHARS and self.failure is None:
            self._write_out(self._requests)
        prepared = self.stats.add(rec)
        second = (done_ns - self.t0_ns) // 1_000_000_000
        if second > self._second:
            self.advance(second)
        current = self._current
        if rec["error"] is None:
            current.ok.record_prepared(*prepared)
        else:
            current.errors += 1
            current.failed.record_prepared(*prepared)
            if rec["error"] == "throttled":
                current.throttled += 1
        if rec.get("cold_start") is True:
            current.cold += 1

    def set_users(self, users: int, now_ns: int) -> None:
        """The number of users running from ``now_ns`` on (the second's max is kept)."""
        second = (now_ns - self.t0_ns) // 1_000_000_000
        if second > self._second:
            self.advance(second)
        self.users = users
        self._current.users = max(self._current.users, users)

    def advance(self, second: int) -> None:
        """Close every second before ``second`` (rows and intervals are written then)."""
        while self._second < second:
            self._close_second(1.0)
            self._second += 1
            self._current = _Second(self.users)

    def _close_second(self, length_s: float) -> None:
        current = self._current
        row = timeline_row(self._second, current)
        self.last_row = dict(zip(TIMELINE_COLUMNS, row, strict=True))
        self._timeline.write(",".join(row) + "\n")
        self._hits_per_s.append(current.ok.count + current.errors)
        self._hlog.write_interval(current.ok.hdr, start_s=float(self._second), length_s=length_s)
        if current.failed.count:
            self._hlog.write_interval(
                current.failed.hdr, start_s=float(self._second), length_s=length_s, tag="errors"
            )

    def flush(self) -> bool:
        """Write out what is pending; False once the disk has refused a write.

        requests.jsonl goes first, so a second's timeline row and interval are only ever
        on disk after every record they count.
        """
        return all(self._write_out(f) for f in (self._requests, self._hlog_stream, self._timeline))

    def _write_out(self, file: _AppendFile) -> bool:
        if self.failure is not None:
            return False
        try:
            file.flush()
        except OSError as exc:
            self._fail(file.path, exc)
            return False
        return True

    def _fail(self, path: Path, exc: OSError) -> None:
        if self.failure is None:
            self.failure = f"cannot write {path.name}: {exc.strerror or exc}"
            if self._on_failure is not None:
                self._on_failure(self.failure)

    @staticmethod
    def _release_reserve_quietly(path: Path) -> None:
        try:
            path.unlink(missing_ok=True)
        except OSError:
            pass

    # --- summary ---------------------------------------------------------------------------

    def summary(self, *, complete: bool, interrupted: str | None,
                extra: dict[str, Any]) -> dict[str, Any]:
        return build_summary(
            self.stats, hits_per_s=self._hits_per_s, run_info=self.run_info,
            stages=self.stages, complete=complete, interrupted=interrupted, extra=extra,
        )

    def write_summary(self, *, complete: bool, interrupted: str | None,
                      extra: dict[str, Any]) -> dict[str, Any]:
        """A checkpoint: the records so far and their summary (skipped once a write failed)."""
        summary = self.summary(complete=complete, interrupted=interrupted, extra=extra)
        if self.flush():
            try:
                write_json_atomic(self.folder / "summary.json", summary)
            except OSError as exc:
                self._fail(self.folder / "summary.json", exc)
        return summary

    def finish(self, *, now_ns: int, complete: bool, interrupted: str | None,
               extra: dict[str, Any], run_updates: dict[str, Any]) -> dict[str, Any]:
        """Close the last (partial) second, write the final summary and close the files."""
        if self.closed:
            raise ResultsError("results already finished")
        elapsed_s = (now_ns - self.t0_ns) / 1e9
        second = int(elapsed_s)
        self.advance(second)
        partial_s = elapsed_s - second
        if partial_s > 0.0005 or self._current.ok.count or self._current.errors:
            self._close_second(max(partial_s, 0.001))
        files = (self._requests, self._hlog_stream, self._timeline)
        # The reserve goes first: on a full disk it is the room the rest is written in.
        self._release_reserve_quietly(self._reserve)
        self._on_failure = None  # the run is over: nothing left to stop
        failed_before, self.failure = self.failure, None
        written = self.flush()
        self.failure = failed_before or self.failure
        stats, hits_per_s = self.stats, self._hits_per_s
        if not written:
            # Still no room: keep what is whole on disk and summarise exactly that.
            for file in files:
                file.cut()
            stats = self._stats_on_disk()
            self.lost = self.stats.requests - stats.requests
            # A second's row is only written after all its records, so these rows are whole.
            hits_per_s = hits_per_s[:max(self._timeline.lines - 1, 0)]
        if self.failure is not None and interrupted is None:
            interrupted = self.failure
        if self.failure is not None:
            complete = False
            extra = {**extra, "write_error": self.failure, "records_lost": self.lost}
        summary = build_summary(stats, hits_per_s=hits_per_s, run_info=self.run_info,
                                stages=self.stages, complete=complete, interrupted=interrupted,
                                extra=extra)
        self._replace_json("summary.json", summary)
        self.run_info.update(run_updates)
        if self.failure is not None:
            self.run_info["write_error"] = self.failure
        self._replace_json("run.json", self.run_info)
        for file in files:
            file.close()
        self.closed = True
        return summary

    def _replace_json(self, name: str, data: dict[str, Any]) -> None:
        path = self.folder / name
        try:
            write_json_atomic(path, data)
            return
        except OSError as exc:
            self._fail(path, exc)
        if name == "summary.json":
            # An older checkpoint would disagree with requests.jsonl: better none than that.
            # Removing it also frees the room a last try may need.
            try:
                path.unlink(missing_ok=True)
                write_json_atomic(path, data)
            except OSError:
                self.run_info["summary_missing"] = True

    def _stats_on_disk(self) -> Stats:
        stats = Stats()
        with (self.folder / "requests.jsonl").open(encoding="utf-8") as stream:
            for line in stream:
                stats.add(json.loads(line))
        return stats


def _reserve_space(path: Path) -> None:
    """Set RESERVE_BYTES aside in a file (given back at the end, or when the disk fills)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
    try:
        try:
            os.posix_fallocate(fd, 0, RESERVE_BYTES)
        except OSError as exc:
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                raise
            # A file system without fallocate: zeros take the room too (unless compressed).
            os.write(fd, bytes(RESERVE_BYTES))
    finally:
        os.close(fd)


def hits_per_s_figures(hits: Sequence[int]) -> dict[str, Any]:
    """``hits/s``, the one definition the summary, the merge and the report share.

    ``hits`` is timeline.csv's column: attempts (successes and failures) that completed in
    each second of the run. The mean is that column's mean (the last, partial second counts
    as one), the peak its largest value; both None for a run without a second.
    """
    if not hits:
        return {"mean": None, "peak": None}
    return {"mean": round(sum(hits) / len(hits), 3), "peak": max(hits)}


def build_summary(stats: Stats, *, hits_per_s: list[int], run_info: dict[str, Any],
                  stages: list[dict[str, Any]], complete: bool, interrupted: str | None,
                  extra: dict[str, Any]) -> dict[str, Any]:
    summary: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "complete": complete,
        "interrupted": interrupted,
        "scenario": run_info.get("scenario"),
        "target": run_info.get("target", {}).get("name"),
        "run_id": run_info.get("run_id"),
        "time_scale": run_info.get("time_scale"),
        "started_at": run_info.get("started_at"),
        "seconds": len(hits_per_s),
    }
    summary.update(stats.summary())
    summary["hits_per_s"] = hits_per_s_figures(hits_per_s)
    stage_rows = []
    for index, info in enumerate(stages):
        st = stats.stages.get(index)
        stage_rows.append({
            **info,
            "index": index,
            "requests": st.requests if st else 0,
            "ok": st.ok if st else 0,
            "errors": st.errors if st else 0,
            "cold_starts": st.cold_starts if st else 0,
            "latency_ms": (st.latency if st else LatencyHistogram()).summary_ms(),
        })
    summary["stages"] = stage_rows
    summary.update(extra)
    summary.setdefault("generator_saturated", False)
    return summary



# --- reading (the report and merge read result folders through these alone) ----------------

def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def record_problem(rec: Any) -> str | None:
    """What makes ``rec`` not a request record (docs/results.md), or None when it is one."""
    if not isinstance(rec, dict):
        return f"a JSON {type(rec).__name__}, not a request record (a JSON object)"
    for key, check, kind in (
        ("seq", _is_int, "an integer"),
        ("stage", _is_int, "an integer"),
        ("start_s", _is_number, "a number"),
        ("latency_us", lambda v: _is_int(v) and v >= 0, "an integer ≥ 0"),
        ("status", lambda v: v is None or _is_int(v), "an integer or null"),
        ("error", lambda v: v is None or v in ERROR_KINDS, f"null or one of {', '.join(ERROR_KINDS)}"),
        ("cold_start", lambda v: v is None or isinstance(v, bool), "true, false or null"),
        ("request_id", lambda v: v is None or isinstance(v, str), "a string or null"),
    ):
        if key not in rec:
            if key in ("cold_start", "request_id"):
                continue
            return f"record without {key!r}"
        if not check(rec[key]):
            return f"{key!r} is {json.dumps(rec[key])[:40]}, not {kind}"
    return None


def _lines(path: Path) -> Iterator[tuple[int, str, bool]]:
    """(line number, text, whether it is an unterminated last line) of a text result file."""
    try:
        with path.open("rb") as stream:
            for number, raw in enumerate(stream, start=1):
                try:
                    text = raw.decode("utf-8")
                except UnicodeDecodeError as exc:
                    raise ResultsError(
                        f"{path}:{number}: not UTF-8 text (byte {exc.start + 1} of the line); "
                        "the file is damaged"
                    ) from None
                yield number, text, not raw.endswith(b"\n")
    except OSError as exc:
        raise ResultsError(f"cannot read {path}: {exc.strerror or exc}") from exc


class RecordReader:
    """The records of a ``requests.jsonl``, checked one by one as they are read.

    A damaged line raises :class:`ResultsError` naming ``file:line``. An unterminated last
    line that is not JSON is what a run killed mid-write leaves: it is skipped and its number
    kept in ``torn_line`` (known once the file has been read to its end).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.torn_line: int | None = None
        self.count = 0

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for number, text, unterminated in _lines(self.path):
            if not text.strip():
                continue
            try:
                rec = json.loads(text)
            except ValueError as exc:
                if unterminated:
                    self.torn_line = number
                    return
                raise ResultsError(
                    f"{self.path}:{number}: not a JSON record ({getattr(exc, 'msg', exc)}); "
                    "the file is damaged"
                ) from None
            problem = record_problem(rec)
            if problem is not None:
                raise ResultsError(f"{self.path}:{number}: {problem}; the file is damaged")
            self.count += 1
            yield rec


_TIMELINE_INTS = TIMELINE_COLUMNS[:7]


class Timeline:
    """The rows of a ``timeline.csv`` (each checked), and a torn last row if there was one."""

    def __init__(self, rows: list[dict[str, str]], torn_line: int | None) -> None:
        self.rows = rows
        self.torn_line = torn_line

    @property
    def hits(self) -> list[int]:
        return [int(row["hits"]) for row in self.rows]


def _timeline_problem(values: list[str]) -> str | None:
    for column, value in zip(TIMELINE_COLUMNS, values, strict=True):
        if column in _TIMELINE_INTS:
            if not value.isdigit():
                return f"{column} is {value[:20]!r}, not a whole number"
        elif value:
            try:
                float(value)
            except ValueError:
                return f"{column} is {value[:20]!r}, not a number"
    return None


def read_timeline(path: Path) -> Timeline:
    """The checked rows of ``timeline.csv``; damage raises :class:`ResultsError` with file:line."""
    rows: list[dict[str, str]] = []
    torn: int | None = None
    header: list[str] | None = None
    for number, text, unterminated in _lines(path):
        if not text.strip():
            continue
        values = next(csv.reader([text]), [])
        if header is None:
            header = values
            missing = [c for c in TIMELINE_COLUMNS if c not in header]
            if missing:
                raise ResultsError(f"{path}:{number}: the header lacks {', '.join(missing)}; "
                                   "not a timeline.csv of docs/results.md")
            continue
        if len(values) != len(header):
            problem: str | None = f"{len(values)} columns where the header has {len(header)}"
        else:
            row = dict(zip(header, values, strict=True))
            problem = _timeline_problem([row[c] for c in TIMELINE_COLUMNS])
            if problem is None:
                rows.append(row)
                continue
        if unterminated:
            torn = number
            break
        raise ResultsError(f"{path}:{number}: {problem}; the file is damaged")
    return Timeline(rows, torn)
