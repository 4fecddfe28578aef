"""Typed readers of a result folder's ``run.json`` and ``summary.json`` (docs/results.md).

The report and the study read these files through :func:`read_run_info` and
:func:`read_summary` alone, so that mypy finds every reader of a field and a format change
touches this module. A missing file reads as the empty document (``present`` False); a file
that is not a JSON object raises :class:`ResultsError`. Fields are tolerant: a value of the
wrong type reads as absent (None, or the field's default), as the report always did.

Free-form parts (a stack's settings, the package and the emulator's models that
``endpoints.json`` states) stay read-only mappings of JSON values: their keys belong to the
stack's settings and the emulator, not to the result format.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from ._errors import ResultsError

__all__ = [
    "Bracket",
    "GeneratorCheck",
    "HostCpu",
    "LimitsCheck",
    "Machine",
    "RunInfo",
    "RunTarget",
    "Scenario1Facts",
    "ScenarioGap",
    "Summary",
    "json_object",
    "read_json_object",
    "read_run_info",
    "read_summary",
]

_EMPTY: Mapping[str, object] = MappingProxyType({})


def read_json_object(path: Path) -> Mapping[str, object] | None:
    """The JSON object in ``path``; None when there is no such file."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise ResultsError(f"cannot read {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise ResultsError(f"{path} does not hold a JSON object")
    return data


def json_object(value: object) -> Mapping[str, object] | None:
    """``value`` when it is a JSON object, else None."""
    return value if isinstance(value, dict) else None


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _float(value: object) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


def _numbers(data: Mapping[str, object]) -> dict[str, float]:
    """The numeric entries of ``data``, as written (an int stays an int)."""
    out: dict[str, float] = {}
    for key, raw in data.items():
        if isinstance(raw, int | float) and not isinstance(raw, bool):
            out[key] = raw
    return out


def _bool(value: object) -> bool | None:
    return value if isinstance(value, bool) else None


def _list(value: object) -> list[object]:
    return value if isinstance(value, list) else []


@dataclass(frozen=True, kw_only=True)
class LimitsCheck:
    """``target.limits_check``: the stack's limits a run was checked against."""

    #: the run went ahead past them (``--exceed-limits``)
    run_anyway: bool
    #: each limit exceeded, in words
    exceeded: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class RunTarget:
    """``run.json``'s ``target``: what was measured (a stack, or a URL)."""

    name: str | None = None
    #: the stack's settings as ``Pulumi.<stack>.yaml`` gives them (empty for a bare URL)
    settings: Mapping[str, object] = field(default_factory=dict)
    #: where the target came from (``emulator``, ``pulumi``, ``url``)
    source: str | None = None
    #: whether the emulator limited the instances' CPU by memory size
    cpu_limited: bool | None = None
    #: where the emulator wrote the stack's CPU samples (endpoints.json's ``cpu_samples``)
    cpu_samples: str | None = None
    limits_check: LimitsCheck | None = None
    #: what the stack deploys (endpoints.json's ``package``)
    package: Mapping[str, object] | None = None
    #: the emulator's init-phase CPU model (``mode``, ``description``, ...)
    init_cpu: Mapping[str, object] | None = None
    #: the emulator's memory-limit model (``mode``, ``description``, ...)
    memory_limit: Mapping[str, object] | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> RunTarget:
        check = json_object(data.get("limits_check"))
        return cls(
            name=_str(data.get("name")),
            settings=json_object(data.get("settings")) or _EMPTY,
            source=_str(data.get("source")),
            cpu_limited=_bool(data.get("cpu_limited")),
            cpu_samples=_str(data.get("cpu_samples")),
            limits_check=None
            if check is None
            else LimitsCheck(
                run_anyway=bool(check.get("run_anyway")),
                exceeded=tuple(str(line) for line in _list(check.get("exceeded"))),
            ),
            package=json_object(data.get("package")),
            init_cpu=json_object(data.get("init_cpu")),
            memory_limit=json_object(data.get("memory_limit")),
        )


@dataclass(frozen=True, kw_only=True)
class Machine:
    """``run.json``'s ``machine``: where the load generator ran."""

    hostname: str | None = None
    platform: str | None = None
    cpu_model: str | None = None
    cpu_count: int | None = None
    cpus_usable: int | None = None


@dataclass(frozen=True, kw_only=True)
class RunInfo:
    """``run.json``: what was run, where, how, on what machine."""

    #: False when the folder has no run.json (every field is then its default)
    present: bool = False
    run_id: str | None = None
    scenario: str | None = None
    #: wall-clock time of the run's start (the records' offsets count from it)
    start_epoch_s: float | None = None
    duration_s: float | None = None
    time_scale: float = 1.0
    #: instances per request
    batch: int = 1
    target: RunTarget = field(default_factory=RunTarget)
    #: what the emulator added to every request (``added_ms``, ...); None: not said
    network_path: Mapping[str, float] | None = None
    machine: Machine | None = None
    #: a merged folder's sources (``merged_from``'s ``folder`` paths, e.g. ``workers/w0``)
    merged_from: tuple[str, ...] = ()

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> RunInfo:
        path = json_object(data.get("network_path"))
        machine = json_object(data.get("machine"))
        time_scale = _float(data.get("time_scale"))
        return cls(
            present=True,
            run_id=_str(data.get("run_id")),
            scenario=_str(data.get("scenario")),
            start_epoch_s=_float(data.get("start_epoch_s")),
            duration_s=_float(data.get("duration_s")),
            time_scale=1.0 if time_scale is None else time_scale,
            batch=_int(data.get("batch")) or 1,
            target=RunTarget.from_json(json_object(data.get("target")) or _EMPTY),
            network_path=None if path is None else _numbers(path),
            machine=None
            if not machine
            else Machine(
                hostname=_str(machine.get("hostname")),
                platform=_str(machine.get("platform")),
                cpu_model=_str(machine.get("cpu_model")),
                cpu_count=_int(machine.get("cpu_count")),
                cpus_usable=_int(machine.get("cpus_usable")),
            ),
            merged_from=_merged_sources(data.get("merged_from")),
        )


@dataclass(frozen=True, kw_only=True)
class ScenarioGap:
    """One idle gap of scenario 1 (``summary.json``'s ``scenario1.gaps``)."""

    seq: int | None = None
    phase: str | None = None
    #: the idle time the plan asked for, unscaled
    planned_s: float | None = None
    #: the idle time measured, unscaled
    idle_plan_s: float | None = None
    latency_ms: float | None = None
    cold_start: bool | None = None
    instance_id: str | None = None
    outcome: str | None = None


@dataclass(frozen=True, kw_only=True)
class Bracket:
    """Scenario 1's eviction bracket: the longest idle time seen kept, the shortest evicted."""

    kept_s: float | None = None
    evicted_s: float | None = None
    #: the probes bisecting took (a bisected bracket only)
    probes: int | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> Bracket:
        return cls(
            kept_s=_float(data.get("kept_s")),
            evicted_s=_float(data.get("evicted_s")),
            probes=_int(data.get("probes")),
        )


@dataclass(frozen=True, kw_only=True)
class Scenario1Facts:
    """``summary.json``'s ``scenario1``: the gaps and the eviction bracket."""

    gaps: tuple[ScenarioGap, ...] = ()
    bracket: Bracket = field(default_factory=Bracket)
    bisected: Bracket | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> Scenario1Facts:
        gaps = [gap for raw in _list(data.get("gaps")) if (gap := json_object(raw)) is not None]
        bisected = json_object(data.get("bisected"))
        return cls(
            gaps=tuple(
                ScenarioGap(
                    seq=_int(g.get("seq")),
                    phase=_str(g.get("phase")),
                    planned_s=_float(g.get("planned_s")),
                    idle_plan_s=_float(g.get("idle_plan_s")),
                    latency_ms=_float(g.get("latency_ms")),
                    cold_start=_bool(g.get("cold_start")),
                    instance_id=_str(g.get("instance_id")),
                    outcome=_str(g.get("outcome")),
                )
                for g in gaps
            ),
            bracket=Bracket.from_json(json_object(data.get("bracket")) or _EMPTY),
            bisected=Bracket.from_json(bisected) if bisected else None,
        )


@dataclass(frozen=True, kw_only=True)
class HostCpu:
    """``summary.json``'s ``host_cpu``: the host's busy share, second by second."""

    cores: int | None = None
    busy_share_per_s: tuple[float, ...] = ()


@dataclass(frozen=True, kw_only=True)
class GeneratorCheck:
    """``summary.json``'s ``generator``: the load generator's own cost."""

    cpu_us_per_request: float | None = None
    #: the generator's CPU time over the run
    cpu_s: float | None = None


@dataclass(frozen=True, kw_only=True)
class Summary:
    """``summary.json``: totals and the generator's self-check, as far as readers use them."""

    #: False when the folder has no summary.json (every field is then its default)
    present: bool = False
    #: the run ran its plan to the end
    complete: bool = False
    #: why it stopped early, in words (``stopped by SIGTERM``); None while running or complete
    interrupted: str | None = None
    requests: int | None = None
    error_total: int | None = None
    #: which file could not be written, and why (the run stopped on it)
    write_error: str | None = None
    records_lost: int | None = None
    #: a merged folder's sources' missing or damaged files, in words
    data_problems: tuple[str, ...] = ()
    generator_saturated: bool = False
    generator: GeneratorCheck = field(default_factory=GeneratorCheck)
    host_cpu: HostCpu = field(default_factory=HostCpu)
    scenario1: Scenario1Facts | None = None
    notes: tuple[str, ...] = ()

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> Summary:
        write_error = data.get("write_error")
        host = json_object(data.get("host_cpu")) or _EMPTY
        generator = json_object(data.get("generator")) or _EMPTY
        s1 = json_object(data.get("scenario1"))
        return cls(
            present=True,
            complete=data.get("complete") is True,
            interrupted=_str(data.get("interrupted")) or None,
            requests=_int(data.get("requests")),
            error_total=_int(data.get("error_total")),
            write_error=None if write_error is None else str(write_error),
            records_lost=_int(data.get("records_lost")),
            data_problems=tuple(str(p) for p in _list(data.get("data_problems"))),
            generator_saturated=bool(data.get("generator_saturated")),
            generator=GeneratorCheck(
                cpu_us_per_request=_float(generator.get("cpu_us_per_request")),
                cpu_s=_float(generator.get("cpu_s")),
            ),
            host_cpu=HostCpu(
                cores=_int(host.get("cores")),
                busy_share_per_s=tuple(
                    v
                    for raw in _list(host.get("busy_share_per_s"))
                    if (v := _float(raw)) is not None
                ),
            ),
            scenario1=None if s1 is None else Scenario1Facts.from_json(s1),
            notes=tuple(str(n) for n in _list(data.get("notes"))),
        )


def _merged_sources(value: object) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(
        source["folder"]
        for source in value
        if isinstance(source, dict) and isinstance(source.get("folder"), str)
    )


def read_run_info(folder: Path) -> RunInfo:
    """The ``run.json`` of a result folder (``RunInfo()``, not present, when it has none)."""
    from ._layout import RUN_INFO

    data = read_json_object(folder / RUN_INFO)
    return RunInfo() if data is None else RunInfo.from_json(data)


def read_summary(folder: Path) -> Summary:
    """The ``summary.json`` of a result folder (``Summary()``, not present, when it has none)."""
    from ._layout import SUMMARY

    data = read_json_object(folder / SUMMARY)
    return Summary() if data is None else Summary.from_json(data)
