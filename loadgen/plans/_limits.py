"""Whether a plan fits what its target admits: the stage throttle and the function's concurrency.

A stack states its limits (the emulator's endpoints.json, a Pulumi stack's outputs):
API Gateway's stage throttle (``api_throttle_rate`` requests/s refilling a bucket of
``api_throttle_burst``) and the function's ``reserved_concurrency`` (its ceiling of instances
in flight) and ``provisioned_concurrency``. A plan past them would measure 429s, not the
function, so the load generator compares them with the plan's peak offered load before it
sends anything, and refuses (``--exceed-limits`` runs anyway, and says so in run.json).

The rule, per kind of plan (the whole plan: a run on workers is checked before it is split):

- **closed loop** (``scenario2``): N users have at most N requests in flight: N must fit
  the reserved concurrency (the worst case, which a fast round trip, in the region or on the
  emulator, reaches). Users a stage starts in one instant (no ramp-up) send their first
  requests together: that many must fit the throttle's burst (certain). Their rate is at most
  N / (round trip + think time); the round trip is not known beforehand, so the rule takes
  the shortest plausible one, :data:`MIN_ROUND_TRIP_S` (API Gateway and Lambda's invoke path
  add a few ms to even an empty function), or the emulator's network path when it adds more,
  or what ``--round-trip`` says, and refuses when that worst-case rate exceeds the throttle's
  rate. A ``--throughput`` cap at or below the throttle's rate fits whatever the round trip.
- **open model** (``rate``): the arrival rate is known: its peak step must fit the throttle's
  rate. Its concurrency is rate × invocation time, unknown beforehand: it is refused only when
  certain, at :data:`MIN_INVOCATION_S` per invocation; otherwise a note says at which
  invocation time the reserved concurrency would be reached.
- **scenario 1** sends one request at a time: it always fits.

A function without reserved concurrency shares the account's unreserved concurrency: where
the target states it (the emulator's ``--account-concurrency`` less the reservations), a plan
is held to it as to a reservation.

Provisioned concurrency limits nothing (requests beyond it go to on-demand instances, up to
the reserved concurrency): a plan with more users than provisioned instances gets a note.
A URL target states no limits: nothing is checked or said.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .._errors import LimitsError
from ._idle_plan import IdlePlan
from ._rate_plan import RatePlan
from ._staged_plan import StagedPlan

__all__ = [
    "MIN_INVOCATION_S",
    "MIN_ROUND_TRIP_S",
    "LimitsCheck",
    "OfferedLoad",
    "TargetLimits",
    "check_limits",
    "offered_load",
]

#: The shortest round trip a closed-loop user is taken to have through API Gateway and Lambda
#: (18 users offer 3,600 req/s at it, under the stacks' default 4,000 req/s throttle).
MIN_ROUND_TRIP_S = 0.005
#: The shortest invocation an open-model plan's concurrency is reckoned with.
MIN_INVOCATION_S = 0.001

#: A stack file's settings, as ``Pulumi.<stack>.yaml`` names them (the messages say which to
#: raise).
_SETTING = "lambda-model-study:{}"


def _count(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _rate(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) and value > 0 else None


@dataclass(frozen=True, kw_only=True)
class TargetLimits:
    """What a stack admits, as its description states it; None: not stated (no limit known)."""

    #: API Gateway stage throttle: steady requests per second.
    api_throttle_rate: float | None = None
    #: API Gateway stage throttle: requests admitted at once (the bucket).
    api_throttle_burst: int | None = None
    #: The function's reserved concurrency: instances in flight at most.
    reserved_concurrency: int | None = None
    #: Without a reservation: the account's unreserved concurrency the function shares (the
    #: emulator states its ``--account-concurrency`` less the reservations; AWS's outputs
    #: do not state the account's).
    unreserved_concurrency: int | None = None
    #: Instances kept initialised (cold-start free); limits nothing.
    provisioned_concurrency: int | None = None
    #: Where they were read: ``endpoints.json`` or ``pulumi stack output``.
    source: str = ""

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], *, source: str) -> TargetLimits | None:
        """The limits a stack entry or a stack's outputs state; None when it states none."""
        limits = cls(
            api_throttle_rate=_rate(data.get("api_throttle_rate")),
            api_throttle_burst=_count(data.get("api_throttle_burst")),
            reserved_concurrency=_count(data.get("reserved_concurrency")),
            unreserved_concurrency=_count(data.get("unreserved_concurrency")),
            provisioned_concurrency=_count(data.get("provisioned_concurrency")),
            source=source,
        )
        if (
            limits.api_throttle_rate is None
            and limits.api_throttle_burst is None
            and limits.reserved_concurrency is None
            and limits.unreserved_concurrency is None
        ):
            return None
        return limits

    def describe(self) -> dict[str, Any]:
        return {
            "api_throttle_rate": self.api_throttle_rate,
            "api_throttle_burst": self.api_throttle_burst,
            "reserved_concurrency": self.reserved_concurrency,
            "unreserved_concurrency": self.unreserved_concurrency,
            "provisioned_concurrency": self.provisioned_concurrency,
            "source": self.source,
        }


@dataclass(frozen=True, kw_only=True)
class OfferedLoad:
    """The plan's peak offered load (after ``--time-scale``, the whole plan across workers)."""

    #: requests in flight at most (closed loop: its peak users); None: not bounded by the plan
    concurrency: int | None
    #: requests arriving at once at most (closed loop: its peak users; open model: 1)
    at_once: int
    #: requests per second at most (closed loop: at :data:`MIN_ROUND_TRIP_S`, or its cap)
    rate_rps: float
    #: how ``rate_rps`` was found, in words
    rate_basis: str

    def describe(self) -> dict[str, Any]:
        return {
            "concurrency": self.concurrency,
            "at_once": self.at_once,
            "rate_rps": round(self.rate_rps, 3),
            "rate_basis": self.rate_basis,
        }


def _think_min_s(plan: StagedPlan) -> float:
    if plan.layout == "stages":
        return plan.think_s
    return min(plan.think_s if s.think_s is None else s.think_s for s in plan.stages)


def _cap_rps(plan: StagedPlan) -> float | None:
    """The highest request-rate cap the plan ever allows (None: somewhere uncapped)."""
    if plan.throughput_rps is not None:
        return plan.throughput_rps
    caps = [s.throughput_rps for s in plan.stages]
    if any(cap is None for cap in caps):
        return None
    # Concurrent executions run their caps side by side; otherwise one stage at a time.
    numbers = [float(cap) for cap in caps if cap is not None]
    return sum(numbers) if plan.layout == "concurrent" else max(numbers)


def _started_together(plan: StagedPlan) -> int:
    """The most users the plan starts in one instant (a stage without ramp-up starts them
    all at once; a ramp adds them one by one, or in ``steps``)."""
    jumps, before = [0], 0
    for _, users in plan.changes():
        jumps.append(users - before)
        before = users
    return max(jumps)


def offered_load(
    plan: StagedPlan | RatePlan | IdlePlan,
    *,
    time_scale: float = 1.0,
    round_trip_s: float = MIN_ROUND_TRIP_S,
) -> OfferedLoad:
    """The peak of what ``plan`` offers its target (see the module doc for the rule).

    ``round_trip_s``: the shortest round trip a closed-loop user can have (at least
    :data:`MIN_ROUND_TRIP_S`; more where it is known, as the emulator's network path).
    """
    if isinstance(plan, IdlePlan):
        return OfferedLoad(
            concurrency=1, at_once=1, rate_rps=1.0, rate_basis="one request at a time"
        )
    if isinstance(plan, RatePlan):
        peak = max(step.rate_rps for step in plan.steps)
        return OfferedLoad(
            concurrency=None, at_once=1, rate_rps=peak, rate_basis="the plan's peak arrival rate"
        )
    scaled = plan.scaled(time_scale)
    users = scaled.max_users
    round_trip_s = max(round_trip_s, MIN_ROUND_TRIP_S)
    think_s = _think_min_s(scaled)
    loop_rps = users / (round_trip_s + think_s)
    basis = f"{users} users at a {round_trip_s * 1000:g} ms round trip" + (
        f" + {think_s:g} s think time" if think_s else ""
    )
    at_once = _started_together(scaled)
    cap = _cap_rps(scaled)
    if cap is not None and cap < loop_rps:
        # The cap paces every request on one schedule: none arrive together.
        loop_rps, basis, at_once = cap, "the plan's --throughput cap", 1
    return OfferedLoad(concurrency=users, at_once=at_once, rate_rps=loop_rps, rate_basis=basis)


@dataclass(frozen=True, kw_only=True)
class LimitsCheck:
    """A plan against its target's limits: what exceeds them (refused), and what to know."""

    limits: TargetLimits
    offered: OfferedLoad
    #: one sentence per limit the plan exceeds, naming the setting to raise
    exceeded: list[str] = field(default_factory=list)
    #: what the plan is close to, or what cannot be known beforehand
    notes: list[str] = field(default_factory=list)
    #: ``--exceed-limits`` was given: the run went ahead past ``exceeded``
    run_anyway: bool = False

    def describe(self) -> dict[str, Any]:
        """run.json's ``target.limits_check``."""
        return {
            "limits": self.limits.describe(),
            "offered": self.offered.describe(),
            "exceeded": list(self.exceeded),
            "notes": list(self.notes),
            "run_anyway": self.run_anyway,
        }

    def refusal(self) -> str:
        """The one line a refused plan prints."""
        return (
            "the plan exceeds what the target admits: "
            + "; ".join(self.exceeded)
            + " (or pass --exceed-limits to run anyway and measure the throttling)"
        )


def check_limits(
    plan: StagedPlan | RatePlan | IdlePlan,
    limits: TargetLimits,
    *,
    time_scale: float = 1.0,
    round_trip_s: float = MIN_ROUND_TRIP_S,
    exceed: bool = False,
    on_workers: bool = False,
) -> LimitsCheck:
    """Compare ``plan`` with ``limits``; LimitsError (one line) when it exceeds them and
    ``exceed`` is False, else the check (stated in run.json). ``on_workers``: the plan runs on
    workers, which cannot share a ``--throughput`` cap, so the fix offered is think time."""
    offered = offered_load(plan, time_scale=time_scale, round_trip_s=round_trip_s)
    exceeded: list[str] = []
    notes: list[str] = []
    reserved, burst = limits.reserved_concurrency, limits.api_throttle_burst
    rate, provisioned = limits.api_throttle_rate, limits.provisioned_concurrency
    users = offered.concurrency
    if reserved is not None and users is not None and users > reserved:
        exceeded.append(
            f"{users} users can have {users} requests in flight but the function's "
            f"reserved concurrency is {reserved}: raise "
            f"{_SETTING.format('reserved_concurrency')} to {users} or more, or run "
            f"at most {reserved} users"
        )
    if reserved is not None and users is None:
        certain = offered.rate_rps * MIN_INVOCATION_S
        if certain > reserved:
            exceeded.append(
                f"{offered.rate_rps:g} req/s keep {math.ceil(certain)} invocations "
                f"in flight even at {MIN_INVOCATION_S * 1000:g} ms each but the "
                f"function's reserved concurrency is {reserved}: raise "
                f"{_SETTING.format('reserved_concurrency')} or lower the rate"
            )
        elif offered.rate_rps > 0:
            notes.append(
                f"at {offered.rate_rps:g} req/s the reserved concurrency {reserved} is "
                f"reached when an invocation lasts {reserved / offered.rate_rps:.3g} s "
                "or more (Lambda answers 429 beyond it)"
            )
    unreserved = limits.unreserved_concurrency if reserved is None else None
    if unreserved is not None and users is not None and users > unreserved:
        exceeded.append(
            f"{users} users can have {users} requests in flight but the account "
            f"concurrency leaves {unreserved} for functions without reserved "
            f"concurrency: raise the emulator's --account-concurrency by "
            f"{users - unreserved} or more, or run at most {unreserved} users"
        )
    if unreserved is not None and users is None:
        certain = offered.rate_rps * MIN_INVOCATION_S
        if certain > unreserved:
            exceeded.append(
                f"{offered.rate_rps:g} req/s keep {math.ceil(certain)} invocations "
                f"in flight even at {MIN_INVOCATION_S * 1000:g} ms each but the "
                f"account concurrency leaves {unreserved} for functions without "
                "reserved concurrency: raise the emulator's --account-concurrency "
                "or lower the rate"
            )
    if burst is not None and offered.at_once > burst:
        exceeded.append(
            f"the plan starts {offered.at_once} users at once (a stage without "
            f"ramp-up), whose first requests arrive together, but the stage's "
            f"throttle burst is {burst}: raise "
            f"{_SETTING.format('api_throttle_burst')} to {offered.at_once} or more, "
            "or give the stage a ramp-up"
        )
    # A plan at exactly the rate fits: N / (round trip + think) is computed in floating point.
    if rate is not None and offered.rate_rps > rate * (1 + 1e-9):
        fix = (
            f"raise {_SETTING.format('api_throttle_rate')} to {math.ceil(offered.rate_rps)} or more"
        )
        if users is not None and on_workers:
            fix += ", or give the users think time (--think)"
        elif users is not None:
            fix += f", or cap the plan with --throughput {rate:g} (or add --think)"
        else:
            fix += f", or offer at most {rate:g} req/s"
        exceeded.append(
            f"the plan offers up to {offered.rate_rps:,.0f} req/s "
            f"({offered.rate_basis}) but the stage throttles at {rate:g} req/s: " + fix
        )
    if provisioned is not None and users is not None and users > provisioned:
        notes.append(
            f"{users} users, {provisioned} provisioned instances: requests beyond them "
            "go to on-demand instances, which start cold"
        )
    check = LimitsCheck(
        limits=limits,
        offered=offered,
        exceeded=exceeded,
        notes=notes,
        run_anyway=bool(exceeded) and exceed,
    )
    if exceeded and not exceed:
        raise LimitsError(check.refusal())
    return check
