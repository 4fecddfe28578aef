"""When Lambda reclaims idle instances: the keep-alive policies (``--idle-policy``).

AWS documents no keep-alive. ``fixed`` reclaims an instance after ``keep_alive_s`` idle (10
minutes by default, the figure reported since 2019); ``sebs`` reclaims the older half of the idle
instances every 6 minutes, as SeBS (2020) observed. Provisioned instances are never reclaimed.
A policy is a pure choice over the idle instances at a given time; the host acts on it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from .._spec import SEBS_PERIOD_S, EmulatorOptions
from ..instance._instance import Instance, InstanceState


@dataclass(frozen=True, kw_only=True)
class Reclaim:
    """One instance a policy reclaims, and why (the ``reclaimed`` event's reason)."""

    instance: Instance
    reason: str


class KeepAlivePolicy(Protocol):
    @property
    def tick_real_s(self) -> float:
        """How often (real seconds) the host asks the policy what to reclaim."""
        ...

    def reclaims(self, idle: Sequence[Instance], now_s: float) -> list[Reclaim]:
        """The instances of ``idle`` to reclaim at ``now_s`` (``time.monotonic``)."""
        ...


def _reclaimable(idle: Sequence[Instance]) -> list[Instance]:
    return [i for i in idle if i.state is InstanceState.IDLE and not i.provisioned]


@dataclass(frozen=True, kw_only=True)
class FixedKeepAlive:
    """Reclaim each instance once it has been idle ``keep_alive_s`` (scaled seconds)."""

    keep_alive_s: float
    time_scale: float

    @property
    def tick_real_s(self) -> float:
        # Late by a twentieth of the keep-alive at most (or 20 ms, so short ones do not spin).
        return min(1.0, max(0.02, self.keep_alive_s / self.time_scale / 20))

    def reclaims(self, idle: Sequence[Instance], now_s: float) -> list[Reclaim]:
        keep_alive_real_s = self.keep_alive_s / self.time_scale
        out = []
        for inst in _reclaimable(idle):
            idle_real_s = now_s - inst.idle_since_s
            if idle_real_s >= keep_alive_real_s:
                reason = (
                    f"idle {idle_real_s * self.time_scale:.1f} s >= "
                    f"keep-alive {self.keep_alive_s:g} s"
                )
                out.append(Reclaim(instance=inst, reason=reason))
        return out


@dataclass(frozen=True, kw_only=True)
class SebsKeepAlive:
    """Every ``SEBS_PERIOD_S`` (scaled), reclaim the half (rounded up) idle the longest."""

    time_scale: float

    @property
    def tick_real_s(self) -> float:
        return SEBS_PERIOD_S / self.time_scale

    def reclaims(self, idle: Sequence[Instance], now_s: float) -> list[Reclaim]:
        candidates = sorted(_reclaimable(idle), key=lambda i: i.idle_since_s)
        reason = f"sebs: half of {len(candidates)} idle reclaimed"
        return [
            Reclaim(instance=inst, reason=reason)
            for inst in candidates[: math.ceil(len(candidates) / 2)]
        ]


def keep_alive_policy(options: EmulatorOptions) -> KeepAlivePolicy:
    """The policy ``options.idle_policy`` names (the options have validated the name)."""
    if options.idle_policy == "fixed":
        return FixedKeepAlive(keep_alive_s=options.keep_alive_s, time_scale=options.time_scale)
    return SebsKeepAlive(time_scale=options.time_scale)
