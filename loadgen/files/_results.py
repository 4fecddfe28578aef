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

import dataclasses
import errno
import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from resultfiles import (
    LATENCY_HLOG,
    REQUESTS,
    RUN_INFO,
    SUMMARY,
    TIMELINE,
    TIMELINE_COLUMNS,
    Record,
    RunFile,
    RunSummary,
    SummaryExtra,
    write_run_file,
    write_summary,
)

from .._errors import ResultsError
from ._append import AppendFile
from ._claim import FolderClaim
from ._hist import IntervalLogWriter, LatencyHistogram
from ._space import RESERVE_BYTES, RESERVE_NAME, reserve_space
from ._stats import Stats, build_summary

__all__ = [
    "ResultWriter",
    "timeline_row",
]


#: requests.jsonl is written out when this much is pending (and every second anyway), so
#: what waits in memory when the disk fills stays well inside the reserve.
FLUSH_CHARS = 64 * 1024


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
        lat = [
            f"{ok.sum_us / ok.count / 1000:.3f}",
            f"{ok.max_us / 1000:.3f}",
            f"{pct[50.0] / 1000:.3f}",
            f"{pct[99.0] / 1000:.3f}",
        ]
    else:
        lat = ["", "", "", ""]
    hits = ok.count + s.errors
    return [
        str(second),
        str(hits),
        str(ok.count),
        str(s.errors),
        str(s.throttled),
        str(s.cold),
        str(s.users),
        *lat,
    ]


class ResultWriter:
    """Owns one result folder during a run; every method is cheap and synchronous."""

    def __init__(
        self,
        folder: Path,
        *,
        run_info: RunFile,
        start_epoch_s: float,
        t0_ns: int,
        stages: Sequence[Mapping[str, object]],
        on_failure: Callable[[str], None] | None = None,
        claim: FolderClaim | None = None,
    ) -> None:
        claim = claim or FolderClaim(folder)
        try:
            self.folder = folder
            self.run_info = run_info
            self._reserve = folder / RESERVE_NAME
            reserve_space(self._reserve)
            write_run_file(folder, self.run_info)
            self._requests = AppendFile(folder / REQUESTS, fd=claim.take())
            self._hlog_stream = AppendFile(folder / LATENCY_HLOG)
            self._timeline = AppendFile(folder / TIMELINE)
        except OSError as exc:
            self._release_reserve_quietly(folder / RESERVE_NAME)
            # Nothing was run: the folder is free again for a run with room to write.
            claim.release()
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                raise ResultsError(
                    f"not enough free space in {folder} to start (a run needs at least "
                    f"{RESERVE_BYTES >> 20} MiB free): free some space or choose another --results "
                    "folder"
                ) from exc
            raise ResultsError(f"cannot write results in {folder}: {exc.strerror or exc}") from exc
        #: Why the files could not all be written (the first failure), else None.
        self.failure: str | None = None
        #: Records that could not be written at all (the disk stayed full).
        self.lost = 0
        self._on_failure = on_failure
        self._hlog = IntervalLogWriter(
            self._hlog_stream,
            start_epoch_s=start_epoch_s,
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

    def record(self, rec: Record, done_ns: int) -> None:
        self._requests.write(self._dumps(rec.to_json()) + "\n")
        if self._requests.pending_chars > FLUSH_CHARS and self.failure is None:
            self._write_out(self._requests)
        prepared = self.stats.add(rec)
        second = (done_ns - self.t0_ns) // 1_000_000_000
        if second > self._second:
            self.advance(second)
        current = self._current
        if rec.error is None:
            current.ok.record_prepared(*prepared)
        else:
            current.errors += 1
            current.failed.record_prepared(*prepared)
            if rec.error == "throttled":
                current.throttled += 1
        if rec.cold_start is True:
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

    def _write_out(self, file: AppendFile) -> bool:
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

    def summary(
        self, *, complete: bool, interrupted: str | None, extra: SummaryExtra
    ) -> RunSummary:
        return build_summary(
            self.stats,
            hits_per_s=self._hits_per_s,
            run_info=self.run_info,
            stages=self.stages,
            complete=complete,
            interrupted=interrupted,
            extra=extra,
        )

    def write_summary(
        self, *, complete: bool, interrupted: str | None, extra: SummaryExtra
    ) -> RunSummary:
        """A checkpoint: the records so far and their summary (skipped once a write failed)."""
        summary = self.summary(complete=complete, interrupted=interrupted, extra=extra)
        if self.flush():
            try:
                write_summary(self.folder, summary)
            except OSError as exc:
                self._fail(self.folder / SUMMARY, exc)
        return summary

    def finish(
        self,
        *,
        now_ns: int,
        complete: bool,
        interrupted: str | None,
        extra: SummaryExtra,
        ended_at: str,
        duration_s: float,
        notes: tuple[str, ...],
    ) -> RunSummary:
        """Close the last (partial) second, write the final summary and close the files;
        run.json gains ``ended_at``, ``duration_s`` and the run's ``notes``."""
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
            hits_per_s = hits_per_s[: max(self._timeline.lines - 1, 0)]
        if self.failure is not None and interrupted is None:
            interrupted = self.failure
        if self.failure is not None:
            complete = False
            extra = dataclasses.replace(extra, write_error=self.failure, records_lost=self.lost)
        summary = build_summary(
            stats,
            hits_per_s=hits_per_s,
            run_info=self.run_info,
            stages=self.stages,
            complete=complete,
            interrupted=interrupted,
            extra=extra,
        )
        self._replace_summary(summary)
        self.run_info = dataclasses.replace(
            self.run_info, ended_at=ended_at, duration_s=duration_s, notes=notes
        )
        if self.failure is not None:
            self.run_info = dataclasses.replace(self.run_info, write_error=self.failure)
        self._replace_run_info()
        for file in files:
            file.close()
        self.closed = True
        return summary

    def _replace_summary(self, summary: RunSummary) -> None:
        path = self.folder / SUMMARY
        try:
            write_summary(self.folder, summary)
            return
        except OSError as exc:
            self._fail(path, exc)
        # An older checkpoint would disagree with requests.jsonl: better none than that.
        # Removing it also frees the room a last try may need.
        try:
            path.unlink(missing_ok=True)
            write_summary(self.folder, summary)
        except OSError:
            self.run_info = dataclasses.replace(self.run_info, summary_missing=True)

    def _replace_run_info(self) -> None:
        try:
            write_run_file(self.folder, self.run_info)
        except OSError as exc:
            self._fail(self.folder / RUN_INFO, exc)

    def _stats_on_disk(self) -> Stats:
        stats = Stats()
        with (self.folder / REQUESTS).open(encoding="utf-8") as stream:
            for line in stream:
                stats.add(Record.from_json(json.loads(line)))
        return stats
