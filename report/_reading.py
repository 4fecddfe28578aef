"""Reading a report's inputs: result folders (``ScenarioRun``) and server logs' REPORT lines.

``summary.json`` is read for what only the run knew: the generator's self-check, the
scenario 1 brackets (which the report also recomputes from the gaps it lists), whether the
run completed, and its counts, against which the records are checked: a folder whose files
are missing, torn or short of records gets ``problems`` that the report prints with the
stack's figures. Damaged files (not what docs/results.md describes) raise ResultsError
naming ``file:line``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from resultfiles import (
    LOG_SUFFIX,
    REQUESTS,
    RUN_INFO,
    SUMMARY,
    TIMELINE,
    Record,
    RecordReader,
    ResultsError,
    RunInfo,
    Summary,
    access_log_path,
    read_access_log,
    read_run_info,
    read_summary,
    read_timeline,
)

from ._reportline import ReportLine, ReportLineError, iter_report_lines, parse_report_line

__all__ = ["ScenarioRun", "collect", "load_report_lines"]


@dataclass(frozen=True, kw_only=True)
class ScenarioRun:
    """One result folder: one scenario run against one target."""

    folder: Path
    run: RunInfo
    summary: Summary
    records: list[Record]
    timeline: list[dict[str, str]]
    #: missing, torn or short files of this folder, each in words naming the file
    problems: tuple[str, ...] = ()

    @property
    def complete(self) -> bool:
        """True when summary.json says the run ran its plan to the end."""
        return self.summary.complete

    @property
    def interrupted(self) -> str:
        """Why the run is incomplete, in words (for a run that is)."""
        reason = self.summary.interrupted
        if reason:
            return f"interrupted: {reason}"
        if not self.summary.present:
            return f"no {SUMMARY}"
        return "never finished (killed, or still running)"

    @property
    def scenario(self) -> str:
        return self.run.scenario or self.folder.name

    @property
    def target(self) -> str:
        return self.run.target.name or self.folder.parent.name

    @property
    def settings(self) -> Mapping[str, object]:
        return self.run.target.settings

    @property
    def time_scale(self) -> float:
        return self.run.time_scale


def _check_counts(
    folder: Path, summary: Summary, records: list[Record], complete: bool
) -> str | None:
    """What the records lack against summary.json's counts, in words (None: they agree)."""
    counted = summary.requests
    if counted is None:
        return None
    held = len(records)
    errors_held = sum(1 for r in records if r.error is not None)
    errors_counted = summary.error_total
    if held < counted:
        failed = "" if errors_counted is None else f" ({errors_counted:,} failed)"
        lost_errors = (
            ""
            if errors_counted is None or errors_counted < errors_held
            else f" ({errors_counted - errors_held:,} of them failed)"
        )
        return (
            f"{folder}: requests.jsonl holds {held:,} records where summary.json counts "
            f"{counted:,} requests{failed}: {counted - held:,} requests{lost_errors} are "
            "missing from every figure"
        )
    if held > counted:
        if not complete:
            return (
                f"{folder}: summary.json is a checkpoint ({counted:,} requests) behind "
                f"requests.jsonl ({held:,} records): the run stopped without writing its final "
                "summary; figures are from the records"
            )
        return (
            f"{folder}: requests.jsonl holds {held:,} records, more than the {counted:,} "
            "summary.json counts: the files are not of one run"
        )
    if errors_counted is not None and errors_counted != errors_held:
        return (
            f"{folder}: requests.jsonl holds {errors_held:,} failed requests where "
            "summary.json "
            f"counts {errors_counted:,}"
        )
    return None


def _read_run(folder: Path) -> ScenarioRun:
    problems: list[str] = []
    run = read_run_info(folder)
    if not run.present:
        problems.append(f"{folder / RUN_INFO} is missing: the target's settings are unknown")
    summary = read_summary(folder)
    if not summary.present:
        problems.append(
            f"{folder / SUMMARY} is missing: the run stopped before its first "
            f"summary, so records lost from {REQUESTS} cannot be detected"
        )
    reader = RecordReader(folder / REQUESTS)
    records = list(reader) if reader.path.exists() else []
    if not reader.path.exists():
        problems.append(f"{reader.path} is missing: this run's requests are in no figure")
    if reader.torn_line is not None:
        problems.append(
            f"{reader.path}:{reader.torn_line} is torn (cut while being written) and is left out"
        )
    complete = summary.complete
    if (write_error := summary.write_error) is not None:
        lost = summary.records_lost or 0
        problems.append(
            f"{folder}: the run stopped when its files could not be written "
            f"({write_error}): "
            + (
                f"{lost:,} requests were lost and are in no figure"
                if lost
                else "no record was lost"
            )
        )
    # A merged folder carries what its sources lacked.
    problems += summary.data_problems
    if (short := _check_counts(folder, summary, records, complete)) is not None:
        problems.append(short)
    rows: list[dict[str, str]] = []
    if (folder / TIMELINE).exists():
        timeline = read_timeline(folder / TIMELINE)
        rows = timeline.rows
        if timeline.torn_line is not None:
            problems.append(f"{folder / TIMELINE}:{timeline.torn_line} is torn and is left out")
        hits = sum(timeline.hits)
        if hits != len(records):
            problems.append(
                f"{folder}: timeline.csv counts {hits:,} attempts where "
                f"requests.jsonl holds {len(records):,}: hits/s is the timeline's"
            )
    else:
        problems.append(f"{folder / TIMELINE} is missing: hits/s and users over time are unknown")
    return ScenarioRun(
        folder=folder,
        run=run,
        summary=summary,
        records=records,
        timeline=rows,
        problems=tuple(problems),
    )


def collect(dirs: Iterable[Path]) -> list[ScenarioRun]:
    """Every result folder under ``dirs`` (one holding ``requests.jsonl`` or ``summary.json``),
    sorted.

    A folder with a summary but no records is a result folder whose records are missing,
    and is reported as such rather than skipped. A folder that a merged folder found here
    names among its sources (``run.json``'s ``merged_from``: a workers run's ``workers/wN``)
    is read once, through the merge, not a second time on its own.
    """
    runs: list[ScenarioRun] = []
    seen: set[Path] = set()
    for top in dirs:
        if not top.exists():
            raise ResultsError(
                f"{top} does not exist; pass a folder written by `python -m loadgen`"
            )
        found = [*top.rglob(REQUESTS), *top.rglob(SUMMARY)]
        for folder in sorted({path.parent for path in found}):
            if folder.resolve() in seen:
                continue
            seen.add(folder.resolve())
            runs.append(_read_run(folder))
    merged = {Path(source).resolve() for run in runs for source in run.run.merged_from}
    runs = [run for run in runs if run.folder.resolve() not in merged]
    if not runs:
        joined = ", ".join(str(d) for d in dirs)
        raise ResultsError(f"no result folders (requests.jsonl) under {joined}")
    return sorted(runs, key=lambda r: (r.target, r.scenario, str(r.folder)))


def load_report_lines(paths: Iterable[Path]) -> tuple[dict[str, ReportLine], list[str]]:
    """REPORT lines by request id from log files; the second value lists unreadable lines."""
    by_id: dict[str, ReportLine] = {}
    problems: list[str] = []
    for path in paths:
        with path.open(encoding="utf-8", errors="replace") as stream:
            for number, line in iter_report_lines(stream):
                try:
                    report = parse_report_line(line)
                except ReportLineError as exc:
                    problems.append(f"{path}:{number}: {exc}")
                    continue
                by_id[report.request_id] = report
        _index_by_gateway_id(by_id, path)
    return by_id, problems


def _index_by_gateway_id(by_id: dict[str, ReportLine], log: Path) -> None:
    """Index REPORT lines by API Gateway's request id too, through the access log beside the
    log (``<stack>.access.jsonl``: apigw id → Lambda request id), so that a function that does
    not return its request id (a team's own) is joined all the same."""
    access = access_log_path(log.parent, log.name.removesuffix(LOG_SUFFIX))
    for entry in read_access_log(access):
        gateway_id, lambda_id = entry.apigw_id, entry.request_id
        if gateway_id is not None and lambda_id is not None and lambda_id in by_id:
            by_id.setdefault(gateway_id, by_id[lambda_id])
