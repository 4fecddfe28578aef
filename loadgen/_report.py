"""The comparison report: stacks side by side, from result folders and server logs.

Every figure is computed here from the raw files, never copied from a summary:

- client figures from ``requests.jsonl`` (every attempt; percentiles exact, nearest rank);
- server figures from ``REPORT`` lines (the emulator's log or CloudWatch's), joined to the
  client's records by the Lambda request id the functions return in ``x-request-id``;
- derived figures (GB-seconds, cost, the recommendation) from those two, by stated rules.

``summary.json`` is read for what only the run knew: the generator's self-check and the
scenario 1 brackets (which the report also recomputes from the gaps it lists).
"""

from __future__ import annotations

import csv
import json
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._cost import CostEstimate, Prices, estimate_cost, gb_seconds
from ._errors import ResultsError
from ._reportline import ReportLine, ReportLineError, is_report_line, parse_report_line

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


#: Lambda's documented ratio: a function gets one vCPU's worth of CPU time at 1,769 MB.
LAMBDA_MB_PER_VCPU = 1769


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
    records: list[dict[str, Any]]
    timeline: list[dict[str, str]]

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

    @property
    def duration_s(self) -> float:
        value = self.run.get("duration_s")
        if isinstance(value, (int, float)) and value > 0:
            return float(value)
        ends = [r["start_s"] + r["latency_us"] / 1e6 for r in self.records]
        return max(ends) if ends else 0.0


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


def _read_records(path: Path) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    with path.open(encoding="utf-8") as stream:
        for number, line in enumerate(stream, 1):
            if not line.strip():
                continue
            try:
                records.append(json.loads(line))
            except ValueError:
                # A run killed mid-write can leave a torn last line; anything else is damage.
                rest = stream.read()
                if rest.strip():
                    raise ResultsError(f"{path}:{number}: not a JSON record") from None
    return records


def _read_timeline(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        return []
    with path.open(encoding="ascii", newline="") as stream:
        return list(csv.DictReader(stream))


def collect(dirs: Iterable[Path]) -> list[ScenarioRun]:
    """Every result folder (one holding ``requests.jsonl``) under ``dirs``, sorted."""
    runs: list[ScenarioRun] = []
    seen: set[Path] = set()
    for top in dirs:
        if not top.exists():
            raise ResultsError(f"{top} does not exist; pass a folder written by `python -m loadgen`")
        for requests in sorted(top.rglob("requests.jsonl")):
            folder = requests.parent.resolve()
            if folder in seen:
                continue
            seen.add(folder)
            runs.append(ScenarioRun(
                folder=requests.parent,
                run=_read_json(requests.parent / "run.json"),
                summary=_read_json(requests.parent / "summary.json"),
                records=_read_records(requests),
                timeline=_read_timeline(requests.parent / "timeline.csv"),
            ))
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
            for number, line in enumerate(stream, 1):
                if not is_report_line(line):
                    continue
                try:
                    report = parse_report_line(line)
                except ReportLineError as exc:
                    problems.append(f"{path}:{number}: {exc}")
                    continue
                by_id[report.request_id] = report
    return by_id, problems


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
    #: vCPU the stack's busiest moment asked for: most users at once x memory / 1,769 MB
    vcpu_asked: float | None
    #: CPUs of the machine that ran the target (when it is the local emulator)
    machine_cpus: int | None
    time_scale: float | None
    notes: list[str] = field(default_factory=list)


def start_kind(record: dict[str, Any], reports: dict[str, ReportLine]) -> str:
    """How a request met its instance: ``cold`` (it waited for the instance's init),
    ``restore`` (a SnapStart restore) or ``warm`` (a provisioned instance's first request too:
    its init ran ahead of traffic).

    The platform's REPORT line decides when the request has one: ``Init Duration`` is a cold
    start, ``Restore Duration`` a restore, neither is warm (so a provisioned instance whose
    function still said ``x-cold-start: true`` is not counted cold). Without one, the function's
    headers decide (``x-restore``, ``x-cold-start``, docs/api.md).
    """
    report = reports.get(record.get("request_id") or "")
    if report is not None:
        return "cold" if report.cold_start else ("restore" if report.restore else "warm")
    if record.get("restore") is True:
        return "restore"
    return "cold" if record.get("cold_start") is True else "warm"


def _ok_latencies_ms(records: Iterable[dict[str, Any]], reports: dict[str, ReportLine], *,
                     kind: str) -> list[float]:
    return [r["latency_us"] / 1000.0 for r in records
            if r.get("error") is None and start_kind(r, reports) == kind]


def _hits_per_second(run: ScenarioRun) -> tuple[float | None, int | None]:
    """Mean and peak successful responses per second of the run (by completion second)."""
    if not run.records:
        return None, None
    per_second: Counter[int] = Counter()
    for r in run.records:
        if r.get("error") is None:
            per_second[int(r["start_s"] + r["latency_us"] / 1e6)] += 1
    duration = run.duration_s
    ok = sum(per_second.values())
    mean = ok / duration if duration > 0 else None
    return mean, (max(per_second.values()) if per_second else 0)


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
        notes.append(f"no scenario 2 run: load figures are from {main.scenario}")
    records = main.records
    errors = Counter(r["error"] for r in records if r.get("error") is not None)
    ok = len(records) - sum(errors.values())

    all_records = [r for run in runs for r in run.records]
    cold_ms = _ok_latencies_ms(all_records, reports, kind="cold")
    restore_ms = _ok_latencies_ms(all_records, reports, kind="restore")
    init_ms: list[float] = []
    restore_duration_ms: list[float] = []
    for r in all_records:
        report = reports.get(r.get("request_id") or "")
        if report is not None and report.init_duration_ms is not None:
            init_ms.append(report.init_duration_ms)
        if report is not None and report.restore_duration_ms is not None:
            restore_duration_ms.append(report.restore_duration_ms)
    kinds = Counter(start_kind(r, reports) for r in all_records)
    warm_ms = _ok_latencies_ms(records, reports, kind="warm")
    mean, peak = _hits_per_second(main)

    joined = [reports[r["request_id"]] for r in records if r.get("request_id") in reports]
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
            notes.append(f"{len(records) - len(joined)} of {len(records)} requests have no REPORT line "
                         "(throttled or failed before the function, or logs missing)")
    elif records:
        notes.append("no REPORT lines joined: billed GB-seconds and cost unknown (pass the server logs)")

    target = main.run.get("target") or {}
    cpu_limited = target.get("cpu_limited") if isinstance(target.get("cpu_limited"), bool) else None
    saturated = any(bool(r.summary.get("generator_saturated")) for r in runs)
    # One instance per concurrent request, so the most users at once is the most instances.
    peak_users = max((int(row.get("users") or 0) for row in main.timeline), default=0)
    vcpu_asked = (peak_users * int(memory_mb) / LAMBDA_MB_PER_VCPU
                  if isinstance(memory_mb, int) and peak_users else None)
    machine = main.run.get("machine") or {}
    cpus = machine.get("cpus_usable") or machine.get("cpu_count")
    machine_cpus = int(cpus) if isinstance(cpus, int) else None
    if cpu_limited and vcpu_asked is not None and machine_cpus and vcpu_asked > machine_cpus:
        notes.append(
            f"machine-bound: {peak_users} instances x {memory_mb} MB / {LAMBDA_MB_PER_VCPU:,} MB "
            f"asked for {vcpu_asked:.1f} vCPU on a {machine_cpus}-CPU machine also running the "
            "emulator and the load generator, so the machine, not the memory setting, bounded "
            "its throughput at the peak")
    return StackFigures(
        stack=stack,
        language=str(settings.get("language", "?")),
        memory_mb=int(memory_mb) if isinstance(memory_mb, int) else None,
        architecture=architecture,
        strategy=str(settings.get("model_strategy", "?")),
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
        vcpu_asked=vcpu_asked,
        machine_cpus=machine_cpus,
        time_scale=main.time_scale,
        notes=notes,
    )


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
                "requests, or without a cost (no REPORT lines), are not candidates")


def recommend(
    figures: Sequence[StackFigures], rule: RecommendationRule | None = None
) -> tuple[StackFigures | None, float | None, str]:
    """(the stack, the tolerance used, the rule in words); (None, None, why) if none qualifies."""
    rule = rule or RecommendationRule()
    candidates = [f for f in figures
                  if f.cost is not None and f.cost.per_million_predictions_usd is not None
                  and f.warm_p99_ms is not None and f.hits_per_s_mean
                  and f.requests and sum(f.errors.values()) <= MAX_ERROR_RATE * f.requests]
    if not candidates:
        return None, None, ("no stack qualifies: each needs a scenario 2 run with at most "
                        f"{MAX_ERROR_RATE:.0%} errors, warm "
                            "latencies and a cost (REPORT lines)")
    best_p99 = min(f.warm_p99_ms for f in candidates if f.warm_p99_ms is not None)
    best_rate = max(f.hits_per_s_mean or 0.0 for f in candidates)
    for tolerance in (rule.tolerance, *rule.widen):
        near = [f for f in candidates
                if f.warm_p99_ms is not None and f.warm_p99_ms <= best_p99 * (1 + tolerance)
                and (f.hits_per_s_mean or 0.0) >= best_rate * (1 - tolerance)]
        if near:
            chosen = min(near, key=lambda f: (f.cost.per_million_predictions_usd, f.stack))  # type: ignore[union-attr]
            return chosen, tolerance, rule.describe(tolerance)
    return None, None, rule.describe(rule.widen[-1]) + "; none met it"
