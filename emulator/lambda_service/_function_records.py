"""What the control plane records of a hosted function: ``$LATEST``'s configuration, its
published versions (each with its own host) and its aliases."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

from .._spec import FunctionSpec
from ._host import FunctionHost

__all__ = ["Alias", "Config", "Function", "Version"]


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "+0000"


@dataclass
class Config:
    """What a version froze, or what ``$LATEST`` is now."""

    spec: FunctionSpec
    description: str
    revision_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    last_modified: str = field(default_factory=_now)


@dataclass
class Version:
    """A published version: its number, its own instances' host, its frozen configuration."""

    number: str
    host: FunctionHost
    config: Config


@dataclass
class Alias:
    """An alias: a name pointing at one version (or ``$LATEST``)."""

    name: str
    version: str
    description: str
    revision_id: str = field(default_factory=lambda: str(uuid.uuid4()))


@dataclass
class Function:
    """One hosted function as the control plane sees it."""

    latest: FunctionHost
    config: Config
    versions: dict[str, Version] = field(default_factory=dict)
    aliases: dict[str, Alias] = field(default_factory=dict)
    #: version numbers are never reused, even after a version is deleted
    next_version: int = 1
    #: ``$LATEST``'s revision when the last version was published, and that version
    published_from: tuple[str, str] | None = None
    code_sha256: str | None = None

    @property
    def arn(self) -> str:
        return self.latest.arn
