"""Typed writers of ``summary.json`` (docs/results.md): a run's, a merge's and a sweep size's.

Each type's ``to_json`` is the file's content exactly as the load generator and the study have
always written it (same keys, same types, same rounding: the values are computed by the writer
and carried unchanged); ``from_json`` reads a file written that way back into an equal value.
Keys a writer adds only in some cases (a failed write, a merge's sources, scenario 1's gaps)
are None here and absent from the file. The report reads these files through the tolerant
reader :func:`resultfiles.read_summary`.

The parts the load generator's components describe in their own words (the self-check's
``generator``, ``host_cpu``, scenario 1's gaps, the workers) stay JSON objects: their keys are
documented with the file, their producer is one class each.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ._atomic import write_json_atomic
from ._errors import ResultsError
from ._fields import (
    JsonObject,
    need,
    object_at,
    optional_float,
    optional_int,
    optional_str,
    req_bool,
    req_float,
    req_int,
    strs,
)
from ._scenario1_figures import Scenario1Figures
from ._summary_figures import (
    GeneratorFigures,
    HitsPerSecond,
    HostCpuFigures,
    RequestTotals,
    StageRow,
)

__all__ = ["RunSummary", "SummaryExtra", "SweepSummary", "write_summary"]

_WHERE = "summary.json"


@dataclass(frozen=True, kw_only=True)
class SummaryExtra:
    """What a run or a merge adds to the totals: always ``generator_saturated``, ``dropped``
    and ``notes``; the rest when the writer has it (None: absent from the file)."""

    generator_saturated: bool = False
    #: open-model arrivals that could not be sent
    dropped: int = 0
    notes: tuple[str, ...] = ()
    # A run's.
    #: the generator's self-check
    generator: GeneratorFigures | None = None
    #: the host's busy share per second
    host_cpu: HostCpuFigures | None = None
    plan_duration_s: float | None = None
    folder: str | None = None
    #: scenario 1's gaps and bracket (``loadgen.plans._idle_probes``)
    scenario1: Scenario1Figures | None = None
    #: a failed write: which file and why, and the records it cost
    write_error: str | None = None
    records_lost: int | None = None
    # A merge's.
    #: each source's ``generator`` (None where a source had none)
    generators: tuple[object, ...] | None = None
    merged_from: tuple[str, ...] | None = None
    data_problems: tuple[str, ...] | None = None
    #: the workers the sources came from (as the controller described them)
    workers: JsonObject | None = None
    #: each source's ``scenario1`` (when any had one)
    scenario1_by_source: tuple[object, ...] | None = None

    def to_json(self) -> dict[str, object]:
        # A run's extras first, then a merge's, each in the order its writer always used.
        out: dict[str, object] = {}
        optional: dict[str, object] = {
            "generator": None if self.generator is None else self.generator.to_json(),
            "host_cpu": None if self.host_cpu is None else self.host_cpu.to_json(),
            "generators": _listed(self.generators),
            "generator_saturated": self.generator_saturated,
            "dropped": self.dropped,
            "notes": list(self.notes),
            "plan_duration_s": self.plan_duration_s,
            "folder": self.folder,
            "merged_from": _listed(self.merged_from),
            "data_problems": _listed(self.data_problems),
            "workers": _copy(self.workers),
            "scenario1": None if self.scenario1 is None else self.scenario1.to_json(),
            "scenario1_by_source": _listed(self.scenario1_by_source),
            "write_error": self.write_error,
            "records_lost": self.records_lost,
        }
        for key, value in optional.items():
            if value is not None:
                out[key] = value
        return out

    @classmethod
    def from_json(cls, data: JsonObject) -> SummaryExtra:
        def obj(key: str) -> JsonObject | None:
            return object_at(data, key, _WHERE) if data.get(key) is not None else None

        def texts(key: str) -> tuple[str, ...] | None:
            return strs(data, key, _WHERE) if key in data else None

        def values(key: str) -> tuple[object, ...] | None:
            if key not in data:
                return None
            listed = need(data, key, _WHERE)
            return tuple(listed) if isinstance(listed, list) else None

        return cls(
            generator_saturated=req_bool(data, "generator_saturated", _WHERE),
            dropped=req_int(data, "dropped", _WHERE),
            notes=strs(data, "notes", _WHERE),
            generator=(
                None
                if (generator := obj("generator")) is None
                else GeneratorFigures.from_json(generator)
            ),
            host_cpu=(
                None if (host := obj("host_cpu")) is None else HostCpuFigures.from_json(host)
            ),
            plan_duration_s=(
                req_float(data, "plan_duration_s", _WHERE)
                if data.get("plan_duration_s") is not None
                else None
            ),
            folder=optional_str(data, "folder", _WHERE) if "folder" in data else None,
            scenario1=(
                None if (s1 := obj("scenario1")) is None else Scenario1Figures.from_json(s1)
            ),
            write_error=(
                optional_str(data, "write_error", _WHERE) if "write_error" in data else None
            ),
            records_lost=(
                optional_int(data, "records_lost", _WHERE) if "records_lost" in data else None
            ),
            generators=values("generators"),
            merged_from=texts("merged_from"),
            data_problems=texts("data_problems"),
            workers=obj("workers"),
            scenario1_by_source=values("scenario1_by_source"),
        )


def _copy(value: JsonObject | None) -> dict[str, object] | None:
    return None if value is None else dict(value)


def _listed(value: tuple[object, ...] | None) -> list[object] | None:
    return None if value is None else list(value)


@dataclass(frozen=True, kw_only=True)
class RunSummary:
    """``summary.json`` of a load generator's run or of a merge of runs."""

    schema_version: int
    complete: bool
    #: why the run stopped early, in words; None when complete or still running
    interrupted: str | None
    # Copied from run.json (None where it has none).
    scenario: str | None
    #: the target's name
    target: str | None
    run_id: str | None
    time_scale: float | None
    started_at: str | None
    #: seconds in the timeline (the last, partial one included)
    seconds: int
    totals: RequestTotals
    hits_per_s: HitsPerSecond
    stages: tuple[StageRow, ...]
    extra: SummaryExtra = field(default_factory=SummaryExtra)

    def to_json(self) -> dict[str, object]:
        return {
            "schema_version": self.schema_version,
            "complete": self.complete,
            "interrupted": self.interrupted,
            "scenario": self.scenario,
            "target": self.target,
            "run_id": self.run_id,
            "time_scale": self.time_scale,
            "started_at": self.started_at,
            "seconds": self.seconds,
            **self.totals.to_json(),
            "hits_per_s": self.hits_per_s.to_json(),
            "stages": [row.to_json() for row in self.stages],
            **self.extra.to_json(),
        }

    @classmethod
    def from_json(cls, data: JsonObject) -> RunSummary:
        rows = need(data, "stages", _WHERE)
        if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
            raise ResultsError(f"{_WHERE}: 'stages' is not a list of JSON objects")
        return cls(
            schema_version=req_int(data, "schema_version", _WHERE),
            complete=req_bool(data, "complete", _WHERE),
            interrupted=optional_str(data, "interrupted", _WHERE),
            scenario=optional_str(data, "scenario", _WHERE),
            target=optional_str(data, "target", _WHERE),
            run_id=optional_str(data, "run_id", _WHERE),
            time_scale=optional_float(data, "time_scale", _WHERE),
            started_at=optional_str(data, "started_at", _WHERE),
            seconds=req_int(data, "seconds", _WHERE),
            totals=RequestTotals.from_json(data),
            hits_per_s=HitsPerSecond.from_json(object_at(data, "hits_per_s", _WHERE)),
            stages=tuple(StageRow.from_json(row) for row in rows),
            extra=SummaryExtra.from_json(data),
        )


@dataclass(frozen=True, kw_only=True)
class SweepSummary:
    """``summary.json`` of one memory size of a sweep (``<run>/<variant>/sweep/``)."""

    schema_version: int = 1
    complete: bool = True
    interrupted: str | None = None
    requests: int
    error_total: int
    notes: tuple[str, ...] = ()

    def to_json(self) -> dict[str, object]:
        return {
            "schema_version": self.schema_version,
            "complete": self.complete,
            "interrupted": self.interrupted,
            "requests": self.requests,
            "error_total": self.error_total,
            "notes": list(self.notes),
        }

    @classmethod
    def from_json(cls, data: JsonObject) -> SweepSummary:
        return cls(
            schema_version=req_int(data, "schema_version", _WHERE),
            complete=req_bool(data, "complete", _WHERE),
            interrupted=optional_str(data, "interrupted", _WHERE),
            requests=req_int(data, "requests", _WHERE),
            error_total=req_int(data, "error_total", _WHERE),
            notes=strs(data, "notes", _WHERE),
        )


def write_summary(folder: Path, summary: RunSummary | SweepSummary) -> None:
    """Replace ``folder``'s summary.json with ``summary`` (atomically: never half a file)."""
    from ._layout import SUMMARY

    write_json_atomic(folder / SUMMARY, summary.to_json())
