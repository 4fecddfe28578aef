"""The memory sweep on AWS before anything runs: what it will invoke and cost, and the
question it asks first."""

from __future__ import annotations

from typing import Any

import pytest

from report import Prices
from study.sweep.aws._estimate import confirm_aws_sweep, estimate_aws_sweep


def test_the_estimate_is_invocations_times_sizes_times_the_expected_duration() -> None:
    prices = Prices()
    estimate = estimate_aws_sweep(
        function_name="fn",
        memory_sizes=[128, 1024],
        cold=1,
        warm=2,
        expected_duration_ms=100.0,
        expected_init_ms=200.0,
        prices=prices,
    )
    # Reference 128 MB: at both sizes 1 cold (100 + 200 ms billed) + 2 warm (100 ms) = 500 ms;
    # 0.125 GB x 0.5 s + 1 GB x 0.5 s.
    assert estimate.invocations == 6
    assert estimate.gb_seconds == pytest.approx(0.5625)
    assert estimate.lambda_compute_usd == pytest.approx(0.5625 * 0.0000166667)
    assert estimate.lambda_requests_usd == pytest.approx(6 * 0.20 / 1_000_000)
    # Measured at 1,024 MB, the duration is taken 8 times longer at 128 MB (CPU-bound), so
    # 4,000 ms billed at 128 MB: 0.5 GB-s, and 0.5 GB-s at 1,024 MB as before.
    upper = estimate_aws_sweep(
        function_name="fn",
        memory_sizes=[128, 1024],
        cold=1,
        warm=2,
        expected_duration_ms=100.0,
        expected_init_ms=200.0,
        reference_memory_mb=1024,
    )
    assert upper.gb_seconds == pytest.approx(1.0)
    arm = estimate_aws_sweep(
        function_name="fn",
        memory_sizes=[128, 1024],
        cold=1,
        warm=2,
        expected_duration_ms=100.0,
        expected_init_ms=200.0,
        architecture="arm64",
    )
    assert arm.lambda_compute_usd == pytest.approx(0.5625 * 0.0000133334)
    # Per size an update and a version per batch of cold starts, and the alias; the restore.
    assert estimate.configuration_changes == 2 * (2 * 1 + 1) + 1
    batched = estimate_aws_sweep(
        function_name="fn",
        memory_sizes=[128, 1024],
        cold=5,
        warm=2,
        expected_duration_ms=100.0,
        parallelism=2,
    )
    assert batched.configuration_changes == 2 * (2 * 3 + 1) + 1


def test_the_caller_is_asked_before_anything_runs_unless_told_yes() -> None:
    estimate = estimate_aws_sweep(
        function_name="my-fn",
        memory_sizes=[128, 256, 512],
        cold=5,
        warm=50,
        expected_duration_ms=20.0,
        expected_init_ms=300.0,
    )
    printed: list[str] = []
    asked: list[str] = []

    def answer(text: str) -> Any:
        def ask(prompt: str) -> str:
            asked.append(prompt)
            return text

        return ask

    assert confirm_aws_sweep(
        estimate, assume_yes=False, input_fn=answer("y"), print_fn=printed.append
    )
    assert not confirm_aws_sweep(
        estimate, assume_yes=False, input_fn=answer(""), print_fn=printed.append
    )
    assert not confirm_aws_sweep(
        estimate, assume_yes=False, input_fn=answer("no"), print_fn=printed.append
    )
    assert len(asked) == 3 and f"${estimate.total_usd:.4f}" in asked[0]

    def closed(prompt: str) -> str:
        raise EOFError

    assert not confirm_aws_sweep(
        estimate, assume_yes=False, input_fn=closed, print_fn=printed.append
    )
    asked.clear()
    assert confirm_aws_sweep(
        estimate, assume_yes=True, input_fn=answer("n"), print_fn=printed.append
    )
    assert asked == []
    text = "\n".join(printed)
    assert "my-fn" in text and "165 invocations" in text and f"${estimate.total_usd:.4f}" in text
