"""What a run would cost on AWS: Lambda requests and GB-seconds, API Gateway requests.

The prices are dated constants with their source, overridable (``Prices(...)`` or
``--price-*`` options of ``python -m report write``). They are list prices of the first tier in
us-east-1; other regions and volume tiers differ, free tiers are ignored (a study should
compare stacks, not a given account's bill).
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: When the constants below were last checked, and where.
PRICES_AS_OF = "2026-11-28"
PRICES_SOURCE = (
    "aws.amazon.com/lambda/pricing and aws.amazon.com/api-gateway/pricing, us-east-1, "
    "first tier (Lambda x86_64 $0.0000166667/GB-s, arm64 $0.0000133334/GB-s, "
    "$0.20 per 1M requests; HTTP API $1.00 per 1M requests)"
)


@dataclass(frozen=True, kw_only=True)
class Prices:
    """Unit prices in US dollars."""

    #: Lambda compute, per GB-second, by architecture
    gb_second_usd: dict[str, float] = field(
        default_factory=lambda: {"x86_64": 0.0000166667, "arm64": 0.0000133334}
    )
    #: Lambda, per request
    lambda_request_usd: float = 0.20 / 1_000_000
    #: API Gateway HTTP API, per request (first 300 million a month)
    api_request_usd: float = 1.00 / 1_000_000
    as_of: str = PRICES_AS_OF
    source: str = PRICES_SOURCE

    def per_gb_second(self, architecture: str) -> float:
        try:
            return self.gb_second_usd[architecture]
        except KeyError:
            known = ", ".join(sorted(self.gb_second_usd))
            raise ValueError(
                f"no GB-second price for architecture {architecture!r}; known: {known}"
            ) from None


def gb_seconds(memory_mb: int, billed_duration_ms: float) -> float:
    """Memory in GB (1 GB = 1,024 MB, as AWS counts) times billed seconds."""
    return (memory_mb / 1024.0) * (billed_duration_ms / 1000.0)


@dataclass(frozen=True, kw_only=True)
class CostEstimate:
    requests: int
    predictions: int
    gb_seconds: float
    lambda_requests_usd: float
    lambda_compute_usd: float
    api_requests_usd: float

    @property
    def total_usd(self) -> float:
        return self.lambda_requests_usd + self.lambda_compute_usd + self.api_requests_usd

    @property
    def per_million_predictions_usd(self) -> float | None:
        if self.predictions <= 0:
            return None
        return self.total_usd / self.predictions * 1_000_000


def estimate_cost(
    *,
    requests: int,
    predictions: int,
    total_gb_seconds: float,
    architecture: str,
    prices: Prices | None = None,
) -> CostEstimate:
    """Cost of ``requests`` invocations that were billed ``total_gb_seconds`` in all."""
    if requests < 0 or predictions < 0 or total_gb_seconds < 0:
        raise ValueError("requests, predictions and GB-seconds cannot be negative")
    p = prices or Prices()
    return CostEstimate(
        requests=requests,
        predictions=predictions,
        gb_seconds=total_gb_seconds,
        lambda_requests_usd=requests * p.lambda_request_usd,
        lambda_compute_usd=total_gb_seconds * p.per_gb_second(architecture),
        api_requests_usd=requests * p.api_request_usd,
    )
