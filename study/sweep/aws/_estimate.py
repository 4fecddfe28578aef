"""What a memory sweep on AWS will invoke and cost, worked out before it runs, and the
question asked before it does (``--yes`` answers it)."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from contract import billed_duration_ms
from report import Prices

from ._errors import AwsSweepError, check_counts, checked_sizes

__all__ = ["AwsSweepEstimate", "confirm_aws_sweep", "estimate_aws_sweep"]


@dataclass(frozen=True, kw_only=True)
class AwsSweepEstimate:
    """What a sweep on AWS will invoke and cost, before it runs (an upper bound, see
    :func:`estimate_aws_sweep`)."""

    function_name: str
    memory_sizes: tuple[int, ...]
    #: forced cold starts and warm invocations per size
    cold: int
    warm: int
    #: the duration and init duration the estimate starts from, at ``reference_memory_mb``
    expected_duration_ms: float
    expected_init_ms: float
    reference_memory_mb: int
    architecture: str
    #: billed GB-seconds of every invocation of every size (cold ones with their init)
    gb_seconds: float
    lambda_requests_usd: float
    lambda_compute_usd: float
    #: configuration updates, versions and aliases the sweep creates (and deletes)
    configuration_changes: int
    prices_as_of: str

    @property
    def invocations(self) -> int:
        return (self.cold + self.warm) * len(self.memory_sizes)

    @property
    def total_usd(self) -> float:
        return self.lambda_requests_usd + self.lambda_compute_usd

    def lines(self) -> list[str]:
        """What the caller prints before asking."""
        sizes = ", ".join(f"{m:,}" for m in self.memory_sizes)
        return [
            (
                f"Memory sweep on AWS of {self.function_name}: {len(self.memory_sizes)} sizes "
                f"({sizes} MB) x ({self.cold} cold + {self.warm} warm) = {self.invocations:,} "
                "invocations"
            ),
            (
                f"  it changes the function's configuration {self.configuration_changes} times "
                "(memory, an environment variable, versions, aliases) and restores it at the end"
            ),
            (
                f"  expected: {self.expected_duration_ms:,.0f} ms per invocation and "
                f"{self.expected_init_ms:,.0f} ms per init at {self.reference_memory_mb:,} MB, "
                "not falling with more memory and growing in proportion below it"
            ),
            (
                f"  at most {self.gb_seconds:,.2f} GB-s: ${self.lambda_compute_usd:.4f} compute + "
                f"${self.lambda_requests_usd:.4f} requests = ${self.total_usd:.4f} "
                f"({self.architecture}, list prices of {self.prices_as_of}, free tier ignored)"
            ),
        ]


def estimate_aws_sweep(
    *,
    function_name: str,
    memory_sizes: Sequence[int],
    cold: int,
    warm: int,
    expected_duration_ms: float,
    expected_init_ms: float = 0.0,
    reference_memory_mb: int | None = None,
    architecture: str = "x86_64",
    parallelism: int = 1,
    prices: Prices | None = None,
) -> AwsSweepEstimate:
    """Invocations x sizes x the expected duration, priced per GB-second and per request.

    ``expected_duration_ms`` (and ``expected_init_ms``, billed on each cold start since
    August 2025) are what the function takes at ``reference_memory_mb`` (default: the
    smallest size). The estimate is an upper bound: at a smaller size the duration is taken
    to grow in inverse proportion to memory (a CPU-bound function), at a larger one not to
    fall at all (a function that does not use the CPU it is given).
    """
    sizes = checked_sizes(memory_sizes)
    check_counts(cold, warm)
    for label, value in (
        ("expected duration", expected_duration_ms),
        ("expected init duration", expected_init_ms),
    ):
        if not (math.isfinite(value) and value >= 0):
            raise AwsSweepError(f"{label} {value!r} ms must be a finite number >= 0")
    reference = reference_memory_mb if reference_memory_mb is not None else min(sizes)
    p = prices or Prices()
    try:
        per_gb_s = p.per_gb_second(architecture)
    except ValueError as exc:
        raise AwsSweepError(str(exc)) from None
    gb_s = 0.0
    for size in sizes:
        stretch = max(1.0, reference / size)
        duration_ms, init_ms = expected_duration_ms * stretch, expected_init_ms * stretch
        billed_ms = cold * billed_duration_ms(duration_ms, init_ms) + warm * billed_duration_ms(
            duration_ms
        )
        gb_s += size / 1024.0 * billed_ms / 1000.0
    invocations = (cold + warm) * len(sizes)
    return AwsSweepEstimate(
        function_name=function_name,
        memory_sizes=sizes,
        cold=cold,
        warm=warm,
        expected_duration_ms=expected_duration_ms,
        expected_init_ms=expected_init_ms,
        reference_memory_mb=reference,
        architecture=architecture,
        gb_seconds=gb_s,
        lambda_requests_usd=invocations * p.lambda_request_usd,
        lambda_compute_usd=gb_s * per_gb_s,
        # per size: an update and a version per batch of cold starts (at least one), the
        # alias; then the restore
        configuration_changes=len(sizes) * (2 * max(-(-cold // max(parallelism, 1)), 1) + 1) + 1,
        prices_as_of=p.as_of,
    )


def confirm_aws_sweep(
    estimate: AwsSweepEstimate,
    *,
    assume_yes: bool,
    input_fn: Callable[[str], str] = input,
    print_fn: Callable[[str], None] = print,
) -> bool:
    """Print the estimate; True to go on: ``assume_yes`` (``--yes``) or an answer of y/yes.
    No answer (end of input, a closed terminal) is a no."""
    for line in estimate.lines():
        print_fn(line)
    if assume_yes:
        print_fn("  going ahead (--yes)")
        return True
    try:
        answer = input_fn(f"Run it, for about ${estimate.total_usd:.4f}? [y/N] ")
    except EOFError:
        return False
    return answer.strip().lower() in ("y", "yes")
