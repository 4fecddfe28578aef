"""``summary.json``'s ``scenario1`` as written (docs/results.md): the idle gaps, the eviction
bracket and its bisection; ``to_json`` as written, a strict ``from_json`` (read back equal, or
one line naming the key). The report reads it through the tolerant ``Scenario1Facts``."""

from __future__ import annotations

from dataclasses import dataclass

from ._errors import ResultsError
from ._fields import (
    JsonObject,
    as_object,
    need,
    object_at,
    optional_float,
    optional_str,
    req_bool,
    req_float,
    req_int,
    req_str,
)

__all__ = ["BisectedBracket", "EvictionBracket", "IdleGap", "Scenario1Figures"]

_WHERE = "summary.json scenario1"


def _optional_bool(data: JsonObject, key: str, where: str) -> bool | None:
    return None if need(data, key, where) is None else req_bool(data, key, where)


@dataclass(frozen=True, kw_only=True)
class IdleGap:
    """One idle gap: the probe after it, and whether its instance was kept or evicted."""

    seq: int
    #: ``probe`` (the plan's offsets) or ``bisect``
    phase: str | None
    #: the idle time asked for and measured, in the run's (scaled) seconds
    planned_s: float
    idle_s: float
    #: ``idle_s`` in the plan's seconds (unscaled)
    idle_plan_s: float
    latency_ms: float
    cold_start: bool | None
    instance_id: str | None
    previous_instance_id: str | None
    init_ms: float | None
    error: str | None
    #: ``kept``, ``evicted`` or ``unknown`` (either request failed)
    outcome: str

    def to_json(self) -> dict[str, object]:
        return {
            "seq": self.seq,
            "phase": self.phase,
            "planned_s": self.planned_s,
            "idle_s": self.idle_s,
            "idle_plan_s": self.idle_plan_s,
            "latency_ms": self.latency_ms,
            "cold_start": self.cold_start,
            "instance_id": self.instance_id,
            "previous_instance_id": self.previous_instance_id,
            "init_ms": self.init_ms,
            "error": self.error,
            "outcome": self.outcome,
        }

    @classmethod
    def from_json(cls, data: JsonObject, where: str = f"{_WHERE} gaps") -> IdleGap:
        return cls(
            seq=req_int(data, "seq", where),
            phase=optional_str(data, "phase", where),
            planned_s=req_float(data, "planned_s", where),
            idle_s=req_float(data, "idle_s", where),
            idle_plan_s=req_float(data, "idle_plan_s", where),
            latency_ms=req_float(data, "latency_ms", where),
            cold_start=_optional_bool(data, "cold_start", where),
            instance_id=optional_str(data, "instance_id", where),
            previous_instance_id=optional_str(data, "previous_instance_id", where),
            init_ms=optional_float(data, "init_ms", where),
            error=optional_str(data, "error", where),
            outcome=req_str(data, "outcome", where),
        )


@dataclass(frozen=True, kw_only=True)
class EvictionBracket:
    """The longest idle seen kept and the shortest seen evicted (None: none seen)."""

    kept_s: float | None
    evicted_s: float | None
    #: False when an instance was kept after a longer idle than one evicted
    consistent: bool

    def to_json(self) -> dict[str, object]:
        return {"kept_s": self.kept_s, "evicted_s": self.evicted_s, "consistent": self.consistent}

    @classmethod
    def from_json(cls, data: JsonObject, where: str = f"{_WHERE} bracket") -> EvictionBracket:
        return cls(
            kept_s=optional_float(data, "kept_s", where),
            evicted_s=optional_float(data, "evicted_s", where),
            consistent=req_bool(data, "consistent", where),
        )


@dataclass(frozen=True, kw_only=True)
class BisectedBracket:
    """The bracket after bisecting it down to ``precision_s`` (or ``probes`` ran out)."""

    kept_s: float
    evicted_s: float
    probes: int
    precision_s: float
    narrow_enough: bool

    def to_json(self) -> dict[str, object]:
        return {
            "kept_s": self.kept_s,
            "evicted_s": self.evicted_s,
            "probes": self.probes,
            "precision_s": self.precision_s,
            "narrow_enough": self.narrow_enough,
        }

    @classmethod
    def from_json(cls, data: JsonObject, where: str = f"{_WHERE} bisected") -> BisectedBracket:
        return cls(
            kept_s=req_float(data, "kept_s", where),
            evicted_s=req_float(data, "evicted_s", where),
            probes=req_int(data, "probes", where),
            precision_s=req_float(data, "precision_s", where),
            narrow_enough=req_bool(data, "narrow_enough", where),
        )


@dataclass(frozen=True, kw_only=True)
class Scenario1Figures:
    """``scenario1``: as far as the run got (no bracket before the probes are done, no
    bisection unless asked for and possible)."""

    gaps: tuple[IdleGap, ...] = ()
    bracket: EvictionBracket | None = None
    bisected: BisectedBracket | None = None

    def to_json(self) -> dict[str, object]:
        return {
            "gaps": [gap.to_json() for gap in self.gaps],
            "bracket": None if self.bracket is None else self.bracket.to_json(),
            "bisected": None if self.bisected is None else self.bisected.to_json(),
        }

    @classmethod
    def from_json(cls, data: JsonObject) -> Scenario1Figures:
        gaps = need(data, "gaps", _WHERE)
        if not isinstance(gaps, list):
            raise ResultsError(
                f"{_WHERE}: 'gaps' is not a list; the file was not written by "
                "this version's writer (rewrite it, or read it with read_summary)"
            )
        bracket = need(data, "bracket", _WHERE)
        bisected = need(data, "bisected", _WHERE)
        return cls(
            gaps=tuple(IdleGap.from_json(as_object(gap, _WHERE, "gaps")) for gap in gaps),
            bracket=(
                None
                if bracket is None
                else EvictionBracket.from_json(object_at(data, "bracket", _WHERE))
            ),
            bisected=(
                None
                if bisected is None
                else BisectedBracket.from_json(object_at(data, "bisected", _WHERE))
            ),
        )
