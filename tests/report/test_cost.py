from __future__ import annotations

import pytest

from report._cost import Prices, estimate_cost, gb_seconds


def test_gb_seconds_counts_1024_mb_per_gb() -> None:
    # 512 MB for 300 ms = 0.5 GB x 0.3 s
    assert gb_seconds(512, 300) == pytest.approx(0.15)
    assert gb_seconds(1024, 1000) == pytest.approx(1.0)


def test_cost_per_million_predictions_by_hand() -> None:
    # 1,000 requests of 2 instances each, billed 100 ms at 256 MB on x86_64.
    total = 1000 * gb_seconds(256, 100)  # 25 GB-s
    c = estimate_cost(
        requests=1000, predictions=2000, total_gb_seconds=total, architecture="x86_64"
    )
    assert c.gb_seconds == pytest.approx(25.0)
    assert c.lambda_compute_usd == pytest.approx(25.0 * 0.0000166667)
    assert c.lambda_requests_usd == pytest.approx(1000 * 0.20 / 1e6)
    assert c.api_requests_usd == pytest.approx(1000 * 1.00 / 1e6)
    expected_total = 25.0 * 0.0000166667 + 0.0002 + 0.001
    assert c.total_usd == pytest.approx(expected_total)
    assert c.per_million_predictions_usd == pytest.approx(expected_total / 2000 * 1e6)


def test_arm64_is_cheaper_per_gb_second_and_prices_can_be_overridden() -> None:
    x86 = estimate_cost(requests=1, predictions=1, total_gb_seconds=10, architecture="x86_64")
    arm = estimate_cost(requests=1, predictions=1, total_gb_seconds=10, architecture="arm64")
    assert arm.lambda_compute_usd < x86.lambda_compute_usd
    free_api = Prices(api_request_usd=0.0)
    assert (
        estimate_cost(
            requests=10, predictions=10, total_gb_seconds=0, architecture="x86_64", prices=free_api
        ).api_requests_usd
        == 0.0
    )


def test_unknown_architecture_and_no_predictions() -> None:
    with pytest.raises(ValueError, match="known: arm64, x86_64"):
        estimate_cost(requests=1, predictions=1, total_gb_seconds=1, architecture="riscv")
    assert (
        estimate_cost(
            requests=0, predictions=0, total_gb_seconds=0, architecture="arm64"
        ).per_million_predictions_usd
        is None
    )
