"""Reading result folders: the report and ``merge`` read ``requests.jsonl`` and
``timeline.csv`` through these alone, so both find the same damage and the same gaps.

A damaged line raises :class:`ResultsError` naming ``file:line``; an unterminated last line
that does not parse is what a run killed mid-write leaves, and is skipped and reported.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path

from ._errors import ResultsError
from ._record import Record, record_problem

__all__ = [
    "SCHEMA_VERSION",
    "TIMELINE_COLUMNS",
    "RecordReader",
    "Timeline",
    "read_timeline",
]

SCHEMA_VERSION = 1
TIMELINE_COLUMNS = (
    "second",
    "hits",
    "ok",
    "errors",
    "throttled",
    "cold_starts",
    "users",
    "mean_ms",
    "max_ms",
    "p50_ms",
    "p99_ms",
)


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

    def __iter__(self) -> Iterator[Record]:
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
            yield Record.from_json(rec)


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
                raise ResultsError(
                    f"{path}:{number}: the header lacks {', '.join(missing)}; "
                    "not a timeline.csv of docs/results.md"
                )
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
