"""Typed writers of ``run.json`` (docs/results.md): a run's, a merge's and a sweep size's.

Each type's ``to_json`` is the file's content exactly as the load generator and the study have
always written it; ``from_json`` reads such a file back into an equal value. Optional keys
(None here) are absent from the file, except ``network_path`` of a run, which a run always
states (null: the target did not describe its network path). The report and the study read
run.json through the tolerant reader :func:`resultfiles.read_run_info`.

A run's plan, target, health answer and request set are JSON objects described by the load
generator's classes that produce them (``dataclasses.asdict`` of the plan, ``Target.describe``,
the function's ``GET /health``): the format documents their keys, their producer owns them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ._atomic import write_json_atomic
from ._errors import ResultsError
from ._facts import Machine
from ._fields import (
    JsonObject,
    as_object,
    need,
    object_at,
    optional_int,
    optional_object,
    optional_str,
    req_bool,
    req_float,
    req_int,
    req_str,
    strs,
)

__all__ = [
    "MERGE_COPIED",
    "MergedRunFile",
    "MergedSource",
    "RunFile",
    "SweepRunFile",
    "SweepTarget",
    "machine_from_json",
    "machine_to_json",
    "write_run_file",
]

_WHERE = "run.json"


def machine_to_json(machine: Machine) -> dict[str, object]:
    """``machine`` as run.json holds it."""
    return {
        "hostname": machine.hostname,
        "platform": machine.platform,
        "cpu_model": machine.cpu_model,
        "cpu_count": machine.cpu_count,
        "cpus_usable": machine.cpus_usable,
    }


def machine_from_json(data: JsonObject) -> Machine:
    w = f"{_WHERE} machine"
    return Machine(
        hostname=optional_str(data, "hostname", w),
        platform=optional_str(data, "platform", w),
        cpu_model=optional_str(data, "cpu_model", w),
        cpu_count=optional_int(data, "cpu_count", w),
        cpus_usable=optional_int(data, "cpus_usable", w),
    )


@dataclass(frozen=True, kw_only=True)
class RunFile:
    """``run.json`` of one load generator run: written at the start, completed at the end."""

    schema_version: int
    run_id: str
    scenario: str
    #: the plan as given and as run (time-scaled): ``dataclasses.asdict`` of the plan
    plan: JsonObject
    plan_scaled: JsonObject
    plan_duration_s: float
    time_scale: float
    #: ``Target.describe()``: name, url, source, the stack's settings, ...
    target: JsonObject
    #: the function's ``GET /health`` answer
    health: JsonObject
    features: tuple[str, ...]
    batch: int
    timeout_s: float
    payload: str
    payload_rows: int
    #: distribution -> version (python, anyio, ..., loadgen)
    versions: Mapping[str, str]
    machine: Machine
    command: tuple[str, ...]
    notes: tuple[str, ...]
    latency_unit: str
    #: what sends the requests, in words
    client: str
    #: what the emulator adds to every request; None (written as null) for a bare URL
    network_path: JsonObject | None
    # Added before the run starts.
    request_set: JsonObject | None = None
    start_epoch_s: float | None = None
    started_at: str | None = None
    # Added at the end.
    ended_at: str | None = None
    duration_s: float | None = None
    #: which file could not be written, and why
    write_error: str | None = None
    #: True when even the last try could not write summary.json
    summary_missing: bool = False

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {
            "schema_version": self.schema_version,
            "run_id": self.run_id,
            "scenario": self.scenario,
            "plan": dict(self.plan),
            "plan_scaled": dict(self.plan_scaled),
            "plan_duration_s": self.plan_duration_s,
            "time_scale": self.time_scale,
            "target": dict(self.target),
            "health": dict(self.health),
            "features": list(self.features),
            "batch": self.batch,
            "timeout_s": self.timeout_s,
            "payload": self.payload,
            "payload_rows": self.payload_rows,
            "versions": dict(self.versions),
            "machine": machine_to_json(self.machine),
            "command": list(self.command),
            "notes": list(self.notes),
            "latency_unit": self.latency_unit,
            "client": self.client,
            "network_path": None if self.network_path is None else dict(self.network_path),
        }
        later: dict[str, object] = {
            "request_set": None if self.request_set is None else dict(self.request_set),
            "start_epoch_s": self.start_epoch_s,
            "started_at": self.started_at,
            "ended_at": self.ended_at,
            "duration_s": self.duration_s,
            "write_error": self.write_error,
            "summary_missing": self.summary_missing or None,
        }
        out.update((key, value) for key, value in later.items() if value is not None)
        return out

    @property
    def target_name(self) -> str | None:
        name = self.target.get("name")
        return name if isinstance(name, str) else None

    @classmethod
    def from_json(cls, data: JsonObject) -> RunFile:
        w = _WHERE

        def later_float(key: str) -> float | None:
            return req_float(data, key, w) if key in data else None

        def later_str(key: str) -> str | None:
            return req_str(data, key, w) if key in data else None

        versions = object_at(data, "versions", w)
        return cls(
            schema_version=req_int(data, "schema_version", w),
            run_id=req_str(data, "run_id", w),
            scenario=req_str(data, "scenario", w),
            plan=object_at(data, "plan", w),
            plan_scaled=object_at(data, "plan_scaled", w),
            plan_duration_s=req_float(data, "plan_duration_s", w),
            time_scale=req_float(data, "time_scale", w),
            target=object_at(data, "target", w),
            health=object_at(data, "health", w),
            features=strs(data, "features", w),
            batch=req_int(data, "batch", w),
            timeout_s=req_float(data, "timeout_s", w),
            payload=req_str(data, "payload", w),
            payload_rows=req_int(data, "payload_rows", w),
            versions={name: req_str(versions, name, f"{w} versions") for name in versions},
            machine=machine_from_json(object_at(data, "machine", w)),
            command=strs(data, "command", w),
            notes=strs(data, "notes", w),
            latency_unit=req_str(data, "latency_unit", w),
            client=req_str(data, "client", w),
            network_path=optional_object(data, "network_path", w),
            request_set=object_at(data, "request_set", w) if "request_set" in data else None,
            start_epoch_s=later_float("start_epoch_s"),
            started_at=later_str("started_at"),
            ended_at=later_str("ended_at"),
            duration_s=later_float("duration_s"),
            write_error=later_str("write_error"),
            summary_missing=req_bool(data, "summary_missing", w)
            if "summary_missing" in data
            else False,
        )


@dataclass(frozen=True, kw_only=True)
class MergedSource:
    """One entry of a merged run.json's ``merged_from``: a source folder and its facts, as the
    source's run.json stated them (copied, so any JSON value)."""

    folder: str
    run_id: object = None
    machine: object = None
    start_epoch_s: object = None
    time_scale: object = None
    target: object = None

    def to_json(self) -> dict[str, object]:
        return {
            "folder": self.folder,
            "run_id": self.run_id,
            "machine": self.machine,
            "start_epoch_s": self.start_epoch_s,
            "time_scale": self.time_scale,
            "target": self.target,
        }

    @classmethod
    def from_json(cls, data: JsonObject) -> MergedSource:
        w = f"{_WHERE} merged_from"
        return cls(
            folder=req_str(data, "folder", w),
            run_id=need(data, "run_id", w),
            machine=need(data, "machine", w),
            start_epoch_s=need(data, "start_epoch_s", w),
            time_scale=need(data, "time_scale", w),
            target=need(data, "target", w),
        )


#: The keys a merged run.json copies from its first source (as written there, null if absent).
MERGE_COPIED = (
    "schema_version",
    "scenario",
    "plan",
    "plan_scaled",
    "plan_duration_s",
    "time_scale",
    "target",
    "features",
    "batch",
    "timeout_s",
    "latency_unit",
)


@dataclass(frozen=True, kw_only=True)
class MergedRunFile:
    """``run.json`` of a merged folder (``loadgen merge``, or a workers' run collected)."""

    #: :data:`MERGE_COPIED` keys, from the first source (or the workers' description)
    copied: Mapping[str, object]
    start_epoch_s: float
    #: the earliest source's ``started_at``
    started_at: str
    merged_from: tuple[MergedSource, ...]
    #: the workers the sources came from (without their plan and target, which are copied)
    workers: JsonObject | None = None
    run_id: str = "merged"

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {key: self.copied.get(key) for key in MERGE_COPIED}
        out.update(
            run_id=self.run_id,
            start_epoch_s=self.start_epoch_s,
            started_at=self.started_at,
            merged_from=[source.to_json() for source in self.merged_from],
        )
        if self.workers is not None:
            out["workers"] = dict(self.workers)
        return out

    @property
    def target_name(self) -> str | None:
        target = self.copied.get("target")
        name = target.get("name") if isinstance(target, dict) else None
        return name if isinstance(name, str) else None

    @classmethod
    def from_json(cls, data: JsonObject) -> MergedRunFile:
        w = _WHERE
        sources = need(data, "merged_from", w)
        if not isinstance(sources, list):
            raise ResultsError(f"{w}: 'merged_from' is not a list of source folders")
        return cls(
            copied={key: need(data, key, w) for key in MERGE_COPIED},
            start_epoch_s=req_float(data, "start_epoch_s", w),
            started_at=req_str(data, "started_at", w),
            merged_from=tuple(
                MergedSource.from_json(as_object(s, w, "merged_from")) for s in sources
            ),
            workers=object_at(data, "workers", w) if "workers" in data else None,
            run_id=req_str(data, "run_id", w),
        )


@dataclass(frozen=True, kw_only=True)
class SweepTarget:
    """A sweep size's ``target``: the variant, its stack settings and its memory size."""

    name: str
    settings: JsonObject
    memory_mb: int

    def to_json(self) -> dict[str, object]:
        return {"name": self.name, "settings": dict(self.settings), "memory_mb": self.memory_mb}


@dataclass(frozen=True, kw_only=True)
class SweepRunFile:
    """``run.json`` of one memory size of a sweep (``<run>/<variant>/sweep/``)."""

    run_id: str
    start_epoch_s: float
    batch: int
    target: SweepTarget
    #: forced cold starts sent, then warm requests
    cold: int
    warm: int
    #: what the emulator adds to every request; None: absent (AWS, or not described)
    network_path: Mapping[str, float] | None = None
    schema_version: int = 1
    scenario: str = "sweep"
    time_scale: float = 1.0

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {
            "schema_version": self.schema_version,
            "scenario": self.scenario,
            "run_id": self.run_id,
            "start_epoch_s": self.start_epoch_s,
            "time_scale": self.time_scale,
            "batch": self.batch,
            "target": self.target.to_json(),
            "plan": {"cold": self.cold, "warm": self.warm},
        }
        if self.network_path is not None:
            out["network_path"] = dict(self.network_path)
        return out

    @classmethod
    def from_json(cls, data: JsonObject) -> SweepRunFile:
        w = _WHERE
        target, plan = object_at(data, "target", w), object_at(data, "plan", w)
        path = optional_object(data, "network_path", w) if "network_path" in data else None
        return cls(
            schema_version=req_int(data, "schema_version", w),
            scenario=req_str(data, "scenario", w),
            run_id=req_str(data, "run_id", w),
            start_epoch_s=req_float(data, "start_epoch_s", w),
            time_scale=req_float(data, "time_scale", w),
            batch=req_int(data, "batch", w),
            target=SweepTarget(
                name=req_str(target, "name", f"{w} target"),
                settings=object_at(target, "settings", f"{w} target"),
                memory_mb=req_int(target, "memory_mb", f"{w} target"),
            ),
            cold=req_int(plan, "cold", f"{w} plan"),
            warm=req_int(plan, "warm", f"{w} plan"),
            network_path=None
            if path is None
            else {key: req_float(path, key, f"{w} network_path") for key in path},
        )


def write_run_file(folder: Path, run: RunFile | MergedRunFile | SweepRunFile) -> None:
    """Replace ``folder``'s run.json with ``run`` (atomically: never half a file)."""
    from ._layout import RUN_INFO

    write_json_atomic(folder / RUN_INFO, run.to_json())
