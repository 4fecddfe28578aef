"""Reading ``endpoints.json``: the running emulator's stacks, where each listens, what it hosts.

Written by the emulator (``python -m emulator``) through the typed writer in ``_endpoints_file``,
read by the load generator (``--stack NAME``), the study and the report through
:func:`read_endpoints`; docs/results.md describes the format. Free-form parts (a stack's
settings, its package, the emulator's models) stay read-only mappings of JSON values;
``StackEndpoint.entry`` keeps the whole entry for the keys that belong to other owners (the
stack's limits, a worker stack's bucket and function).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ._errors import ResultsError
from ._facts import json_object

__all__ = ["Endpoints", "RequestSet", "StackEndpoint", "read_endpoints"]


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None


@dataclass(frozen=True, kw_only=True)
class RequestSet:
    """A function stack's requests (``requests``): the file to send and the answer's field."""

    #: the request file (``requests.json`` or ``.jsonl``); None: the stack names none
    file: str | None = None
    #: the field a correct answer holds; None: any 2xx JSON answer is correct
    expect_field: str | None = None


@dataclass(frozen=True, kw_only=True)
class StackEndpoint:
    """One entry of ``stacks``: a hosted stack (a worker stack has no ``url``)."""

    name: str
    url: str | None = None
    #: ``NONE`` or ``AWS_IAM``
    authorization: str | None = None
    settings: Mapping[str, object] | None = None
    #: the stack's log, relative to the emulator's root or absolute
    log: str | None = None
    cpu_samples: str | None = None
    access_log: str | None = None
    #: what the stack deploys, in bytes (``kind``, ``code_bytes``, ``requirements``, ...)
    package: Mapping[str, object] | None = None
    #: a function stack's requests; None for the model's stacks
    requests: RequestSet | None = None
    #: the entry as written (limits, a worker stack's keys)
    entry: Mapping[str, object] = field(default_factory=dict)

    @classmethod
    def from_json(cls, name: str, entry: Mapping[str, object]) -> StackEndpoint:
        requests = json_object(entry.get("requests"))
        return cls(
            name=name,
            url=_str(entry.get("url")),
            authorization=_str(entry.get("authorization")),
            settings=json_object(entry.get("settings")),
            log=_str(entry.get("log")),
            cpu_samples=_str(entry.get("cpu_samples")),
            access_log=_str(entry.get("access_log")),
            package=json_object(entry.get("package")),
            requests=None
            if requests is None
            else RequestSet(
                file=_str(requests.get("file")), expect_field=_str(requests.get("expect_field"))
            ),
            entry=entry,
        )


@dataclass(frozen=True, kw_only=True)
class Endpoints:
    """The whole ``endpoints.json``."""

    stacks: Mapping[str, StackEndpoint]
    #: whom the IAM stacks admit (``access_key_id``, ...); the secret only for the local default
    credentials: Mapping[str, object] | None = None
    lambda_endpoint: str | None = None
    s3_endpoint: str | None = None
    cpu_limited: bool | None = None
    cpu_limit_reason: str | None = None
    #: the init phase's CPU model (``mode``, ``description``)
    init_cpu: Mapping[str, object] | None = None
    #: the memory-limit model (``mode``, ``description``)
    memory_limit: Mapping[str, object] | None = None
    #: what every request crosses besides the function (``added_ms``, ...)
    network_path: Mapping[str, object] | None = None
    #: the interpreters that really run the functions here (``python``, ``java``: a version)
    hosted_by: Mapping[str, str | None] | None = None
    started_at: str | None = None
    #: the emulator's process id (a reader waits for its own emulator's file)
    pid: int | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, object], *, source: str) -> Endpoints:
        stacks = json_object(data.get("stacks"))
        if stacks is None:
            raise ResultsError(
                f"{source} has no 'stacks' mapping; is it the emulator's endpoints file?"
            )
        hosted = json_object(data.get("hosted_by"))
        cpu_limited, pid = data.get("cpu_limited"), data.get("pid")
        return cls(
            stacks={
                name: StackEndpoint.from_json(name, entry)
                for name, raw in stacks.items()
                if (entry := json_object(raw)) is not None
            },
            credentials=json_object(data.get("credentials")),
            lambda_endpoint=_str(data.get("lambda_endpoint")),
            s3_endpoint=_str(data.get("s3_endpoint")),
            cpu_limited=cpu_limited if isinstance(cpu_limited, bool) else None,
            cpu_limit_reason=_str(data.get("cpu_limit_reason")),
            init_cpu=json_object(data.get("init_cpu")),
            memory_limit=json_object(data.get("memory_limit")),
            network_path=json_object(data.get("network_path")),
            hosted_by=None if hosted is None else {k: _str(v) for k, v in hosted.items()},
            started_at=_str(data.get("started_at")),
            pid=pid if isinstance(pid, int) and not isinstance(pid, bool) else None,
        )


def read_endpoints(path: Path) -> Endpoints | None:
    """The emulator's endpoints file; None when there is none (no emulator wrote it).

    A file that is not JSON, or has no ``stacks`` mapping, raises :class:`ResultsError` naming
    it.
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise ResultsError(f"cannot read the emulator's endpoints file {path}: {exc}") from exc
    document = json_object(data)
    if document is None:
        raise ResultsError(f"{path} has no 'stacks' mapping; is it the emulator's endpoints file?")
    return Endpoints.from_json(document, source=str(path))
