"""The figures of one stack, computed from the raw files, never copied from a summary:

- client figures from ``requests.jsonl`` (every attempt; percentiles exact, nearest rank);
- server figures from ``REPORT`` lines (the emulator's log or CloudWatch's), joined to the
  client's records by the Lambda request id the functions return in ``x-request-id``;
- derived figures (GB-seconds, cost) from those two, by stated rules.

Reading the folders is ``_reading``'s job; choosing a stack is ``_recommend``'s.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from resultfiles import Record, hits_per_s_figures, percentile

from ._cost import CostEstimate, Prices, estimate_cost, gb_seconds
from ._reading import ScenarioRun
from ._reportline import ReportLine
from ._saturation import Saturation, saturation

__all__ = ["StackFigures", "percentile", "stack_figures", "start_kind"]


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
    network_path: Mapping[str, float] | None
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


def _ok_latencies_ms(
    records: Iterable[Record], reports: dict[str, ReportLine], *, kind: str
) -> list[float]:
    return [
        r.latency_us / 1000.0 for r in records if r.error is None and start_kind(r, reports) == kind
    ]


def strategy_words(settings: Mapping[str, object]) -> str:
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
        notes.append(
            f"{main.scenario} only: read in the cold-start and model-runtime sections, "
            "not under load"
        )
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
    mean, peak = hits.mean, hits.peak

    joined = [reports[r.join_id] for r in records if r.join_id in reports]
    billed_gb_s: float | None = None
    cost: CostEstimate | None = None
    memory_mb = settings.get("memory_mb")
    architecture = str(settings.get("architecture", "x86_64"))
    if joined:
        billed_gb_s = sum(gb_seconds(rep.memory_size_mb, rep.billed_duration_ms) for rep in joined)
        batch = main.run.batch
        cost = estimate_cost(
            requests=len(records),
            predictions=ok * batch,
            total_gb_seconds=billed_gb_s,
            architecture=architecture,
            prices=prices,
        )
        if len(joined) < len(records):
            notes.append(
                f"{len(records) - len(joined)} of {len(records)} requests have no REPORT "
                "line (throttled or failed before the function, or logs missing)"
            )
    elif records:
        notes.append(
            "no REPORT lines joined: billed GB-seconds and cost unknown (pass the server logs)"
        )

    for run in runs:
        note = _limits_note(run)
        if note is not None:
            notes.append(note)
    cpu_limited = main.run.target.cpu_limited
    saturated = any(r.summary.generator_saturated for r in runs)
    bounds = saturation(main.folder, main.run, main.summary, stack, records)
    if main.scenario == "scenario1":
        # A few idle probes have no throughput to bound: what matters is which of them other
        # work slowed, and the cold-start table marks those.
        if bounds.requests_exposed:
            notes.append(
                f"{bounds.requests_exposed} of its {bounds.requests} scenario 1 requests "
                "were in flight while other work saturated the host (the cold-start "
                f"table counts the cold ones): {bounds.host_words()}"
            )
    elif bounds.host_bound:
        notes.append(
            f"host-bound (⚙): {bounds.host_words()}, so the machine, not the memory "
            "setting, bounded its throughput and warm tail latency"
        )
    if bounds.throttled:
        notes.append(
            f"throttled by its CPU share (what {memory_mb} MB buys): {bounds.throttle_words()}"
        )
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
        batch=main.run.batch,
        network_path=main.run.network_path,
        time_scale=main.time_scale,
        load_scenario=main.scenario,
        incomplete=[f"{run.scenario} ({run.interrupted})" for run in runs if not run.complete],
        data_problems=[p for run in runs for p in run.problems],
        notes=notes,
    )


def _limits_note(run: ScenarioRun) -> str | None:
    """What a run past its target's limits (``--exceed-limits``) measured, in words: its
    throttles are the stack's settings' doing, not the function's."""
    check = run.run.target.limits_check
    if check is None or not check.run_anyway:
        return None
    exceeded = check.exceeded
    return (
        f"{run.scenario} ran past the stack's limits (--exceed-limits): "
        + "; ".join(exceeded)
        + ". Its throttles measure those settings, not the function"
    )
