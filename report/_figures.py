"""The comparison report: stacks side by side, from result folders and server logs.

Every figure is computed here from the raw files, never copied from a summary:

- client figures from ``requests.jsonl`` (every attempt; percentiles exact, nearest rank);
- server figures from ``REPORT`` lines (the emulator's log or CloudWatch's), joined to the
  client's records by the Lambda request id the functions return in ``x-request-id``;
- derived figures (GB-seconds, cost, the recommendation) from those two, by stated rules.

``summary.json`` is read for what only the run knew: the generator's self-check, the
scenario 1 brackets (which the report also recomputes from the gaps it lists), whether the
run completed, and its counts, against which the records are checked: a folder whose files
are missing, torn or short of records gets ``problems`` that the report prints with the
stack's figures. Damaged files (not what docs/results.md describes) raise ResultsError
naming ``file:line``.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from resultfiles import Record, RecordReader, ResultsError, hits_per_s_figures, read_timeline

from ._cost import CostEstimate, Prices, estimate_cost, gb_seconds
from ._reportline import ReportLine, ReportLineError, iter_report_lines, parse_report_line
from ._saturation import Saturation, saturation

__all__ = [
    "RecommendationRule",
    "ScenarioRun",
    "StackFigures",
    "collect",
    "load_report_lines",
    "percentile",
    "recommend",
    "stack_figures",
]


def percentile(values: Sequence[float], pct: float) -> float | None:
    """Nearest-rank percentile of ``values`` (the smallest value with ``pct`` % at or below it)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100.0 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


@dataclass(frozen=True, kw_only=True)
class ScenarioRun:
    """One result folder: one scenario run against one target."""

    folder: Path
    run: dict[str, Any]
    summary: dict[str, Any]
    records: list[Record]
    timeline: list[dict[str, str]]
    #: missing, torn or short files of this folder, each in words naming the file
    problems: tuple[str, ...] = ()

    @property
    def complete(self) -> bool:
        """True when summary.json says the run ran its plan to the end."""
        return self.summary.get("complete") is True

    @property
    def interrupted(self) -> str:
        """Why the run is incomplete, in words (for a run that is)."""
        reason = self.summary.get("interrupted")
        if reason:
            return f"interrupted: {reason}"
        if not (self.folder / "summary.json").exists():
            return "no summary.json"
        return "never finished (killed, or still running)"

    @property
    def scenario(self) -> str:
        return str(self.run.get("scenario", self.folder.name))

    @property
    def target(self) -> str:
        target = self.run.get("target") or {}
        return str(target.get("name") or self.folder.parent.name)

    @property
    def settings(self) -> dict[str, Any]:
        target = self.run.get("target") or {}
        settings = target.get("settings")
        return settings if isinstance(settings, dict) else {}

    @property
    def time_scale(self) -> float:
        return float(self.run.get("time_scale", 1.0))


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise ResultsError(f"cannot read {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise ResultsError(f"{path} does not hold a JSON object")
    return data


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _check_counts(folder: Path, summary: dict[str, Any], records: list[Record],
                  complete: bool) -> str | None:
    """What the records lack against summary.json's counts, in words (None: they agree)."""
    counted = _count(summary.get("requests"))
    if counted is None:
        return None
    held = len(records)
    errors_held = sum(1 for r in records if r.error is not None)
    errors_counted = _count(summary.get("error_total"))
    if held < counted:
        failed = "" if errors_counted is None else f" ({errors_counted:,} failed)"
        lost_errors = ("" if errors_counted is None or errors_counted < errors_held else
                       f" ({errors_counted - errors_held:,} of them failed)")
        return (f"{folder}: requests.jsonl holds {held:,} records where summary.json counts "
                f"{counted:,} requests{failed}: {counted - held:,} requests{lost_errors} are "
                "missing from every figure")
    if held > counted:
        if not complete:
            return (f"{folder}: summary.json is a checkpoint ({counted:,} requests) behind "
                    f"requests.jsonl ({held:,} records): the run stopped without writing its final "
                    "summary; figures are from the records")
        return (f"{folder}: requests.jsonl holds {held:,} records, more than the {counted:,} "
                "summary.json counts: the files are not of one run")
    if errors_counted is not None and errors_counted != errors_held:
        return (f"{folder}: requests.jsonl holds {errors_held:,} failed requests where "
                "summary.json "
                f"counts {errors_counted:,}")
    return None


def _read_run(folder: Path) -> ScenarioRun:
    problems: list[str] = []
    run = _read_json(folder / "run.json")
    if not (folder / "run.json").exists():
        problems.append(f"{folder / 'run.json'} is missing: the target's settings are unknown")
    summary = _read_json(folder / "summary.json")
    if not (folder / "summary.json").exists():
        problems.append(f"{folder / 'summary.json'} is missing: the run stopped before its first "
                        "summary, so records lost from requests.jsonl cannot be detected")
    reader = RecordReader(folder / "requests.jsonl")
    records = list(reader) if reader.path.exists() else []
    if not reader.path.exists():
        problems.append(f"{reader.path} is missing: this run's requests are in no figure")
    if reader.torn_line is not None:
        problems.append(f"{folder / 'requests.jsonl'}:{reader.torn_line} is torn (cut while being "
                        "written) and is left out")
    complete = summary.get("complete") is True
    if (write_error := summary.get("write_error")) is not None:
        lost = _count(summary.get("records_lost")) or 0
        problems.append(f"{folder}: the run stopped when its files could not be written "
                        f"({write_error}): "
                        + (f"{lost:,} requests were lost and are in no figure" if lost
                           else "no record was lost"))
    # A merged folder carries what its sources lacked.
    inherited = summary.get("data_problems")
    if isinstance(inherited, list):
        problems += [str(problem) for problem in inherited]
    if (short := _check_counts(folder, summary, records, complete)) is not None:
        problems.append(short)
    rows: list[dict[str, str]] = []
    if (folder / "timeline.csv").exists():
        timeline = read_timeline(folder / "timeline.csv")
        rows = timeline.rows
        if timeline.torn_line is not None:
            problems.append(f"{folder / 'timeline.csv'}:{timeline.torn_line} is torn and is left "
                            "out")
        hits = sum(timeline.hits)
        if hits != len(records):
            problems.append(f"{folder}: timeline.csv counts {hits:,} attempts where "
                            f"requests.jsonl holds {len(records):,}: hits/s is the timeline's")
    else:
        problems.append(f"{folder / 'timeline.csv'} is missing: hits/s and users over time are "
                        "unknown")
    return ScenarioRun(folder=folder, run=run, summary=summary, records=records, timeline=rows,
                       problems=tuple(problems))


def collect(dirs: Iterable[Path]) -> list[ScenarioRun]:
    """Every result folder under ``dirs`` (one holding ``requests.jsonl`` or ``summary.json``),
    sorted.

    A folder with a summary but no records is a result folder whose records are missing,
    and is reported as such rather than skipped.
    """
    runs: list[ScenarioRun] = []
    seen: set[Path] = set()
    for top in dirs:
        if not top.exists():
            raise ResultsError(f"{top} does not exist; pass a folder written by `python -m "
                               "loadgen`")
        found = [*top.rglob("requests.jsonl"), *top.rglob("summary.json")]
        for folder in sorted({path.parent for path in found}):
            if folder.resolve() in seen:
                continue
            seen.add(folder.resolve())
            runs.append(_read_run(folder))
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
    access = log.with_name(log.name.removesuffix(".log") + ".access.jsonl")
    try:
        lines = access.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return
    for line in lines:
        try:
            entry = json.loads(line)
        except ValueError:
            continue  # a torn last line: the requests before it still join
        if not isinstance(entry, dict):
            continue
        gateway_id, lambda_id = entry.get("apigw_id"), entry.get("request_id")
        if isinstance(gateway_id, str) and isinstance(lambda_id, str) and lambda_id in by_id:
            by_id.setdefault(gateway_id, by_id[lambda_id])


@dataclass(frozen=True, kw_only=True)
class StackFigures:
    """One stack's row of the side-by-side table (scenario 2 unless said otherwise)."""

    stack: str
    language: str
    memory_mb: int | None
    architecture: str
    strategy: str
    mitigation: str
    requests: int
    ok: int
    errors: dict[str, int]
    throttled: int
    # cold starts, client side (every scenario of the stack)
    cold_starts: int
    cold_latency_p50_ms: float | None
    cold_latency_max_ms: float | None
    # cold starts, server side (REPORT lines' Init Duration, every scenario)
    init_duration_p50_ms: float | None
    init_duration_max_ms: float | None
    # SnapStart restores, counted apart from cold starts (every scenario): client latency of
    # the requests that met a restored instance, and the REPORT lines' Restore Duration
    restores: int
    restore_latency_p50_ms: float | None
    restore_duration_p50_ms: float | None
    # warm requests, client side, scenario 2
    warm_p50_ms: float | None
    warm_p90_ms: float | None
    warm_p99_ms: float | None
    warm_max_ms: float | None
    warm_mean_ms: float | None
    hits_per_s_mean: float | None
    hits_per_s_peak: int | None
    # server side, scenario 2
    report_lines_joined: int
    billed_gb_s: float | None
    cost: CostEstimate | None
    generator_saturated: bool
    cpu_limited: bool | None
    #: the host's CPU and the instances' throttling during scenario 2, measured (_saturation)
    saturation: Saturation
    #: instances per request of the scenario 2 run
    batch: int
    #: what the emulator added to every request (run.json's ``network_path``); None: not said
    network_path: dict[str, Any] | None
    time_scale: float | None
    #: the scenario the load figures come from: ``scenario2`` (or ``rate``) when the stack ran
    #: one, else ``scenario1`` (a stack measured for its cold starts only)
    load_scenario: str = "scenario2"
    #: the stack's runs that did not run their plan to the end, each with why
    incomplete: list[str] = field(default_factory=list)
    #: missing, torn or short result files of the stack's runs, in words naming each file
    data_problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def start_kind(record: Record, reports: dict[str, ReportLine]) -> str:
    """How a request met its instance: ``cold`` (it waited for the instance's init),
    ``restore`` (a SnapStart restore) or ``warm`` (a provisioned instance's first request too:
    its init ran ahead of traffic).

    The platform's REPORT line decides when the request has one: ``Init Duration`` is a cold
    start, ``Restore Duration`` a restore, neither is warm (so a provisioned instance whose
    function still said ``x-cold-start: true`` is not counted cold). Without one, the function's
    headers decide (``x-restore``, ``x-cold-start``, docs/api.md).
    """
    report = reports.get(record.join_id or "")
    if report is not None:
        return "cold" if report.cold_start else ("restore" if report.restore else "warm")
    if record.restore:
        return "restore"
    return "cold" if record.cold_start is True else "warm"


def _ok_latencies_ms(records: Iterable[Record], reports: dict[str, ReportLine], *,
                     kind: str) -> list[float]:
    return [r.latency_us / 1000.0 for r in records
            if r.error is None and start_kind(r, reports) == kind]


def strategy_words(settings: dict[str, Any]) -> str:
    """The table's "strategy": how the model is loaded; a team's function (``kind: function``)
    has no model strategy, so its package kind instead (``function, zip`` / ``function, image``)."""
    if settings.get("kind") == "function":
        return "function, image" if settings.get("image") else "function, zip"
    return str(settings.get("model_strategy", "?"))


def stack_figures(
    stack: str,
    runs: Sequence[ScenarioRun],
    reports: dict[str, ReportLine],
    *,
    prices: Prices | None = None,
) -> StackFigures:
    """The figures of one stack from its runs (scenario 2 for load, all for cold starts)."""
    main = next((r for r in runs if r.scenario == "scenario2"), None) or runs[0]
    settings = next((r.settings for r in runs if r.settings), {})
    notes: list[str] = []
    if main.scenario != "scenario2":
        notes.append(f"{main.scenario} only: read in the cold-start and model-runtime sections, "
                     "not under load")
    records = main.records
    errors = Counter(r.error for r in records if r.error is not None)
    ok = len(records) - sum(errors.values())

    all_records = [r for run in runs for r in run.records]
    cold_ms = _ok_latencies_ms(all_records, reports, kind="cold")
    restore_ms = _ok_latencies_ms(all_records, reports, kind="restore")
    init_ms: list[float] = []
    restore_duration_ms: list[float] = []
    for r in all_records:
        report = reports.get(r.join_id or "")
        if report is not None and report.init_duration_ms is not None:
            init_ms.append(report.init_duration_ms)
        if report is not None and report.restore_duration_ms is not None:
            restore_duration_ms.append(report.restore_duration_ms)
    kinds = Counter(start_kind(r, reports) for r in all_records)
    warm_ms = _ok_latencies_ms(records, reports, kind="warm")
    # One definition of hits/s for the summary, merge and the report: timeline.csv's hits.
    hits = hits_per_s_figures([int(row["hits"]) for row in main.timeline])
    mean, peak = hits["mean"], hits["peak"]

    joined = [reports[r.join_id] for r in records if r.join_id in reports]
    billed_gb_s: float | None = None
    cost: CostEstimate | None = None
    memory_mb = settings.get("memory_mb")
    architecture = str(settings.get("architecture", "x86_64"))
    if joined:
        billed_gb_s = sum(gb_seconds(rep.memory_size_mb, rep.billed_duration_ms) for rep in joined)
        batch = int(main.run.get("batch", 1) or 1)
        cost = estimate_cost(requests=len(records), predictions=ok * batch,
                             total_gb_seconds=billed_gb_s, architecture=architecture, prices=prices)
        if len(joined) < len(records):
            notes.append(f"{len(records) - len(joined)} of {len(records)} requests have no REPORT "
                         "line (throttled or failed before the function, or logs missing)")
    elif records:
        notes.append("no REPORT lines joined: billed GB-seconds and cost unknown (pass the server "
                     "logs)")

    for run in runs:
        note = _limits_note(run)
        if note is not None:
            notes.append(note)
    target = main.run.get("target") or {}
    cpu_limited = target.get("cpu_limited") if isinstance(target.get("cpu_limited"), bool) else None
    saturated = any(bool(r.summary.get("generator_saturated")) for r in runs)
    bounds = saturation(main.folder, main.run, main.summary, stack, records)
    if main.scenario == "scenario1":
        # A few idle probes have no throughput to bound: what matters is which of them other
        # work slowed, and the cold-start table marks those.
        if bounds.requests_exposed:
            notes.append(f"{bounds.requests_exposed} of its {bounds.requests} scenario 1 requests "
                         "were in flight while other work saturated the host (the cold-start "
                         f"table counts the cold ones): {bounds.host_words()}")
    elif bounds.host_bound:
        notes.append(f"host-bound (⚙): {bounds.host_words()}, so the machine, not the memory "
                     "setting, bounded its throughput and warm tail latency")
    if bounds.throttled:
        notes.append(f"throttled by its CPU share (what {memory_mb} MB buys): "
                     f"{bounds.throttle_words()}")
    network_path = main.run.get("network_path")
    return StackFigures(
        stack=stack,
        language=str(settings.get("language", "?")),
        memory_mb=int(memory_mb) if isinstance(memory_mb, int) else None,
        architecture=architecture,
        strategy=strategy_words(settings),
        mitigation=str(settings.get("cold_start_mitigation", "?")),
        requests=len(records),
        ok=ok,
        errors=dict(sorted(errors.items())),
        throttled=errors.get("throttled", 0),
        cold_starts=kinds["cold"],
        cold_latency_p50_ms=percentile(cold_ms, 50),
        cold_latency_max_ms=max(cold_ms) if cold_ms else None,
        init_duration_p50_ms=percentile(init_ms, 50),
        init_duration_max_ms=max(init_ms) if init_ms else None,
        restores=kinds["restore"],
        restore_latency_p50_ms=percentile(restore_ms, 50),
        restore_duration_p50_ms=percentile(restore_duration_ms, 50),
        warm_p50_ms=percentile(warm_ms, 50),
        warm_p90_ms=percentile(warm_ms, 90),
        warm_p99_ms=percentile(warm_ms, 99),
        warm_max_ms=max(warm_ms) if warm_ms else None,
        warm_mean_ms=(sum(warm_ms) / len(warm_ms)) if warm_ms else None,
        hits_per_s_mean=mean,
        hits_per_s_peak=peak,
        report_lines_joined=len(joined),
        billed_gb_s=billed_gb_s,
        cost=cost,
        generator_saturated=saturated,
        cpu_limited=cpu_limited,
        saturation=bounds,
        batch=int(main.run.get("batch", 1) or 1),
        network_path=network_path if isinstance(network_path, dict) else None,
        time_scale=main.time_scale,
        load_scenario=main.scenario,
        incomplete=[f"{run.scenario} ({run.interrupted})" for run in runs if not run.complete],
        data_problems=[p for run in runs for p in run.problems],
        notes=notes,
    )


def _limits_note(run: ScenarioRun) -> str | None:
    """What a run past its target's limits (``--exceed-limits``) measured, in words: its
    throttles are the stack's settings' doing, not the function's."""
    target = run.run.get("target")
    check = target.get("limits_check") if isinstance(target, dict) else None
    if not isinstance(check, dict) or not check.get("run_anyway"):
        return None
    exceeded = [str(line) for line in check.get("exceeded") or []]
    return (f"{run.scenario} ran past the stack's limits (--exceed-limits): "
            + "; ".join(exceeded) + ". Its throttles measure those settings, not the function")


#: A stack failing more than this share of its requests is not recommended, however cheap.
MAX_ERROR_RATE = 0.01


@dataclass(frozen=True, kw_only=True)
class RecommendationRule:
    """The cheapest stack whose warm p99 and mean throughput are within ``tolerance`` of the best.

    If no stack meets both, the tolerance is widened step by step (``widen``) until one does;
    the report states the tolerance that was used.
    """

    tolerance: float = 0.10
    widen: tuple[float, ...] = (0.25, 0.50, 1.00)

    def describe(self, used: float) -> str:
        return (f"the cheapest stack (estimated cost per million predictions) whose warm p99 is "
                f"within {used:.0%} of the best warm p99 and whose mean throughput is within "
                f"{used:.0%} of the best; stacks with more than {MAX_ERROR_RATE:.0%} failed "
                "requests, without a cost (no REPORT lines), with an incomplete run or with "
                "missing or damaged result files are not candidates")


def recommend(
    figures: Sequence[StackFigures], rule: RecommendationRule | None = None
) -> tuple[StackFigures | None, float | None, str]:
    """(the stack, the tolerance used, the rule in words); (None, None, why) if none qualifies."""
    rule = rule or RecommendationRule()
    candidates = [f for f in figures
                  if f.cost is not None and f.cost.per_million_predictions_usd is not None
                  and f.warm_p99_ms is not None and f.hits_per_s_mean
                  and not f.incomplete and not f.data_problems
                  and f.requests and sum(f.errors.values()) <= MAX_ERROR_RATE * f.requests]
    if not candidates:
        return None, None, ("no stack qualifies: each needs a complete scenario 2 run, whole "
                            f"result files, at most {MAX_ERROR_RATE:.0%} errors, warm "
                            "latencies and a cost (REPORT lines)")
    best_p99 = min(f.warm_p99_ms for f in candidates if f.warm_p99_ms is not None)
    best_rate = max(f.hits_per_s_mean or 0.0 for f in candidates)
    for tolerance in (rule.tolerance, *rule.widen):
        near = [f for f in candidates
                if f.warm_p99_ms is not None and f.warm_p99_ms <= best_p99 * (1 + tolerance)
                and (f.hits_per_s_mean or 0.0) >= best_rate * (1 - tolerance)]
        if near:
            chosen = min(near, key=lambda f: (
                f.cost.per_million_predictions_usd, f.stack))  # type: ignore[union-attr]
            return chosen, tolerance, rule.describe(tolerance)
    return None, None, rule.describe(rule.widen[-1]) + "; none met it"
