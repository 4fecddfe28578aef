"""The sweep's analysis: percentiles, the median's interval, cost, the strategies and the SLO.

The strategy cases marked "Power Tuning" are the cases of alexcasalboni/aws-lambda-power-tuning's
own unit tests (test/unit/test-lambda.js, analyzer, at 262ecc2): averages there, exact points
(zero-width intervals) here, same answers.
"""

from __future__ import annotations

import pytest

from report import Prices
from report._intervals import Estimate, median_estimate
from study.sweep._samples import Invocation
from study.sweep._stats import (
    Candidate,
    Strategy,
    SweepInputError,
    best_and_ties,
    candidates,
    choose,
    choose_by_slo,
    parse_slo,
    parse_strategy,
    size_stats,
)


def point(value: float) -> Estimate:
    return Estimate(value=value, low=value, high=value, coverage=1.0, n=1)


def cands(rows: list[tuple[int, float, float]]) -> list[Candidate]:
    """(memory_mb, cost, duration) rows, as Power Tuning's tests give them."""
    return [Candidate(memory_mb=m, cost=point(c), duration=point(d)) for m, c, d in rows]


# --- Power Tuning's own cases ---------------------------------------------------------------


def test_cost_picks_the_cheapest_power_tuning() -> None:
    pool = cands([(128, 100, 100), (256, 200, 300), (512, 30, 200)])
    assert choose(pool, Strategy(name="cost")).memory_mb == 512


def test_cost_tie_goes_to_the_faster_power_tuning() -> None:
    pool = cands([(128, 100, 100), (256, 100, 90), (512, 300, 200)])
    choice = choose(pool, Strategy(name="cost"))
    assert choice.memory_mb == 256
    assert choice.ties == (128,)


def test_speed_picks_the_fastest_power_tuning() -> None:
    pool = cands([(128, 100, 300), (256, 200, 200), (512, 300, 100)])
    assert choose(pool, Strategy(name="speed")).memory_mb == 512


def test_speed_tie_goes_to_the_cheaper_power_tuning() -> None:
    pool = cands([(128, 100, 200), (256, 90, 200), (512, 300, 400)])
    assert choose(pool, Strategy(name="speed")).memory_mb == 256


@pytest.mark.parametrize(
    ("weight", "rows", "expected"),
    [
        (1.0, [(128, 100, 100), (256, 200, 300), (512, 30, 200)], 512),
        (0.0, [(128, 100, 300), (256, 200, 200), (512, 300, 100)], 512),
        (0.5, [(128, 101, 300), (256, 200, 200), (512, 300, 101)], 256),
        (0.3, [(128, 100, 300), (256, 200, 200), (512, 300, 100), (1024, 1000, 50)], 512),
    ],
)
def test_balanced_power_tuning(
    weight: float, rows: list[tuple[int, float, float]], expected: int
) -> None:
    assert choose(cands(rows), Strategy(name="balanced", weight=weight)).memory_mb == expected


def test_balanced_score_is_power_tunings_formula_by_hand() -> None:
    # w=0.3: 512 MB scores 0.3*300/1000 + 0.7*100/300 = 0.09 + 0.2333 = 0.3233
    choice = choose(
        cands([(128, 100, 300), (256, 200, 200), (512, 300, 100), (1024, 1000, 50)]),
        Strategy(name="balanced", weight=0.3),
    )
    assert choice.scores[512] == pytest.approx(0.09 + 0.7 / 3)
    assert choice.scores[1024] == pytest.approx(0.3 + 0.7 * 50 / 300)


# --- intervals: overlapping is a tie, toward the faster size ----------------------------------


def interval(value: float, low: float, high: float) -> Estimate:
    return Estimate(value=value, low=low, high=high, coverage=0.95, n=50)


def test_overlapping_cost_intervals_are_a_tie_won_by_the_faster_size() -> None:
    pool = [
        Candidate(memory_mb=256, cost=interval(1.00, 0.95, 1.10), duration=point(40.0)),
        Candidate(memory_mb=512, cost=interval(1.05, 1.00, 1.12), duration=point(20.0)),
        Candidate(memory_mb=1024, cost=interval(2.0, 1.9, 2.1), duration=point(10.0)),
    ]
    choice = choose(pool, Strategy(name="cost"))
    assert choice.memory_mb == 512
    assert choice.ties == (256,)
    assert "indistinguishable" in choice.reason


def test_median_interval_order_statistics_by_hand() -> None:
    # n = 10: P(B <= 1) = 11/1024, so [x(2), x(9)] covers 1 - 22/1024 = 97.85 %;
    # [x(3), x(8)] would cover 1 - 2*56/1024 = 89.1 % < 95 %.
    est = median_estimate([float(v) for v in range(10, 0, -1)])
    assert est is not None
    assert (est.value, est.low, est.high) == (5.0, 2.0, 9.0)
    assert est.coverage == pytest.approx(1 - 22 / 1024)


def test_median_interval_with_five_samples_is_min_max_and_says_its_coverage() -> None:
    est = median_estimate([3.0, 1.0, 2.0, 5.0, 4.0])
    assert est is not None
    assert (est.value, est.low, est.high) == (3.0, 1.0, 5.0)
    assert est.coverage == pytest.approx(0.9375)


def test_median_interval_of_fifty_reaches_95_percent() -> None:
    est = median_estimate([float(v) for v in range(1, 51)])
    assert est is not None
    assert est.coverage >= 0.95
    # the 95 % rank for n = 50 is 18 (P(B <= 17) = 0.0164, P(B <= 18) = 0.0325)
    assert (est.low, est.high) == (18.0, 33.0)


# --- one size from its invocations --------------------------------------------------------------


def inv(
    *,
    mb: int = 1024,
    cold: bool = False,
    duration: float = 10.0,
    init: float | None = None,
    client: float | None = 12.0,
    failure: str | None = None,
    billed: int | None = None,
) -> Invocation:
    return Invocation(
        memory_mb=mb,
        forced_cold=cold,
        cold=cold,
        client_ms=client,
        duration_ms=None if failure else duration,
        billed_ms=billed,
        init_ms=init,
        max_memory_mb=60,
        failure=failure,
    )


def test_size_cost_includes_init_and_api_gateway_by_hand() -> None:
    invs = [inv(cold=True, duration=10.0, init=190.0, client=300.0, billed=200)] + [
        inv(duration=10.0, billed=10) for _ in range(9)
    ]
    prices = Prices()
    s = size_stats(1024, invs, prices=prices, cold_share=0.5)
    per_warm = 0.2e-6 + 1.0e-6 + 1.0 * 0.010 * 0.0000166667
    per_cold = 0.2e-6 + 1.0e-6 + 1.0 * 0.200 * 0.0000166667
    assert s.warm_cost_usd is not None and s.cold_cost_usd is not None
    assert s.warm_cost_usd.value == pytest.approx(per_warm)
    assert s.cold_cost_usd.value == pytest.approx(per_cold)
    assert s.cost_per_million_usd is not None
    assert s.cost_per_million_usd.value == pytest.approx((per_warm + per_cold) / 2 * 1e6)
    assert s.billed_gb_s == pytest.approx(0.200 + 9 * 0.010)
    assert s.init_p50_ms == 190.0
    assert s.cold_latency is not None and s.cold_latency.value == 300.0


def test_out_of_memory_is_that_sizes_answer_not_a_sweep_error() -> None:
    oom = size_stats(
        128,
        [inv(mb=128, cold=True, failure="out_of_memory", init=None)]
        + [inv(mb=128, failure="out_of_memory") for _ in range(4)],
    )
    fine = size_stats(256, [inv(mb=256, cold=True, init=100.0)] + [inv(mb=256) for _ in range(4)])
    assert oom.failures == {"out_of_memory": 5}
    assert not oom.usable
    assert [c.memory_mb for c in candidates([oom, fine])] == [256]
    assert choose(candidates([oom, fine]), Strategy(name="cost")).memory_mb == 256


# --- SLO ------------------------------------------------------------------------------------------


def test_slo_picks_the_cheapest_meeting_it_or_names_the_closest() -> None:
    slow = size_stats(
        128,
        [inv(mb=128, cold=True, init=500, client=900)]
        + [inv(mb=128, duration=80.0, client=200.0) for _ in range(5)],
    )
    mid = size_stats(
        512,
        [inv(mb=512, cold=True, init=200, client=400)]
        + [inv(mb=512, duration=20.0, client=120.0) for _ in range(5)],
    )
    fast = size_stats(
        2048,
        [inv(mb=2048, cold=True, init=100, client=300)]
        + [inv(mb=2048, duration=10.0, client=100.0) for _ in range(5)],
    )
    chosen = choose_by_slo([slow, mid, fast], parse_slo("warm-p99=150ms,cold-p99=1s"))
    assert chosen.memory_mb == 512
    none = choose_by_slo([slow, mid, fast], parse_slo("warm-p99=50ms"))
    assert none.memory_mb is None
    assert none.closest_mb == 2048
    assert "none meets it" in none.reason


@pytest.mark.parametrize("text", ["warm-p99=150", "p99=1s", "warm-p99=fast", ""])
def test_bad_slo_says_how_to_write_it(text: str) -> None:
    with pytest.raises(SweepInputError, match="warm-p99"):
        parse_slo(text)


@pytest.mark.parametrize("text", ["cheap", "balanced:2", "cost:0.5", "balanced:x"])
def test_bad_strategy_says_how_to_write_it(text: str) -> None:
    with pytest.raises(SweepInputError, match="balanced"):
        parse_strategy(text)


def test_strategy_parsing() -> None:
    assert parse_strategy("balanced:0.3") == Strategy(name="balanced", weight=0.3)
    assert parse_strategy("speed") == Strategy(name="speed")
    assert str(parse_strategy("balanced")) == "balanced:0.5"


def test_a_warm_phase_request_that_met_a_new_instance_is_in_no_warm_figure() -> None:
    unforced = Invocation(
        memory_mb=512,
        forced_cold=False,
        cold=True,
        client_ms=300.0,
        duration_ms=50.0,
        billed_ms=200,
        init_ms=150.0,
        max_memory_mb=60,
    )
    s = size_stats(512, [inv(mb=512, duration=10.0) for _ in range(5)] + [unforced])
    assert s.unforced_cold == 1 and s.warm_requests == 5
    assert s.warm_duration is not None and s.warm_duration.high == 10.0


def test_sizes_whose_intervals_overlap_the_best_are_named_indistinguishable() -> None:
    a = size_stats(512, [inv(mb=512, duration=d) for d in (10.0, 11.0, 12.0, 13.0, 14.0)])
    b = size_stats(1024, [inv(mb=1024, duration=d) for d in (8.0, 9.0, 10.5, 11.0, 12.0)])
    c = size_stats(2048, [inv(mb=2048, duration=d) for d in (20.0, 21.0, 22.0, 23.0, 24.0)])
    assert best_and_ties([a, b, c], "warm_duration") == (1024, [512])


def test_warm_duration_mean_beside_the_median() -> None:
    s = size_stats(128, [inv(mb=128, duration=d) for d in (5.0, 5.0, 5.0, 95.0)])
    assert s.warm_duration is not None and s.warm_duration.value == 5.0
    assert s.warm_duration_mean_ms == 27.5


def test_median_interval_of_many_samples_is_exact_integer_arithmetic() -> None:
    # 5,000 samples: 2**5000 overflows a float; the normal approximation puts the 95 % rank
    # near 2,500 - 1.96·sqrt(5,000)/2 ≈ 2,431
    est = median_estimate([float(v) for v in range(1, 5001)])
    assert est is not None
    assert est.coverage >= 0.95
    assert 2425 <= est.low <= 2435 and est.high == 5001 - est.low
