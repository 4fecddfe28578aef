"""What a memory sweep on AWS changes on the function, noted as it goes, and undone when it
ends (Power Tuning's cleaner): the configuration it read first and restores, the versions and
aliases it makes and deletes, and any a signal kept off the list."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError, WaiterError

from ._errors import AwsSweepError

__all__ = ["SWEEP_ENV", "FunctionChanges", "said"]

#: the environment variable a sweep sets to force new environments (removed when it ends)
SWEEP_ENV = "STUDY_SWEEP_RUN"
#: a configuration update or a new version must be done within this (Power Tuning: minutes)
_WAIT_MAX_S = 300


@dataclass
class _Made:
    """What the sweep created on the function, and so must delete (the cleaner's list)."""

    aliases: list[str] = field(default_factory=list)
    versions: list[str] = field(default_factory=list)
    configuration_changed: bool = False


class FunctionChanges:
    """The sweep's changes to ``function_name`` (through ``client``, boto3's ``lambda``), each
    noted as it is made, so that :meth:`clean_up` undoes them; ``run`` names this sweep's
    versions and aliases, so that any a signal kept off the notes are found too."""

    def __init__(self, *, function_name: str, client: Any, progress: Callable[[str], None]) -> None:
        self.fn = function_name
        self.client = client
        self.progress = progress
        self.run = uuid.uuid4().hex[:8]
        self.made = _Made()
        self.original: dict[str, Any] = {}

    def read_original(self) -> None:
        try:
            self.original = self.client.get_function_configuration(FunctionName=self.fn)
        except ClientError as exc:
            raise AwsSweepError(
                f"cannot read the configuration of {self.fn}: {said(exc)}; "
                "check the function name, the region and that your credentials "
                "allow lambda:GetFunctionConfiguration"
            ) from None
        except BotoCoreError as exc:
            raise AwsSweepError(f"cannot reach Lambda to read {self.fn}: {exc}") from None
        if self.original.get("LastUpdateStatus") == "InProgress":
            # The sweep's first update would be refused (ResourceConflictException): wait.
            self._wait("function_updated", "the update already in progress")
            self.original = self.client.get_function_configuration(FunctionName=self.fn)

    @property
    def original_variables(self) -> dict[str, str]:
        variables = (self.original.get("Environment") or {}).get("Variables") or {}
        return {k: v for k, v in variables.items() if k != SWEEP_ENV}

    def _wait(self, waiter_name: str, what: str, **params: Any) -> None:
        try:
            self.client.get_waiter(waiter_name).wait(
                FunctionName=self.fn,
                WaiterConfig={"Delay": 1, "MaxAttempts": _WAIT_MAX_S},
                **params,
            )
        except WaiterError as exc:
            raise AwsSweepError(f"{what} of {self.fn} did not succeed: {exc}") from None

    def new_version(self, size: int, alias: str, marker: str) -> str:
        """Configure ``size`` with a new marker, publish, point ``alias`` at the version."""
        variables = {**self.original_variables, SWEEP_ENV: marker}
        self.made.configuration_changed = True
        self.client.update_function_configuration(
            FunctionName=self.fn, MemorySize=size, Environment={"Variables": variables}
        )
        self._wait("function_updated", f"the update to {size} MB")
        version = str(
            self.client.publish_version(
                FunctionName=self.fn, Description=f"memory sweep {self.run}: {size} MB"
            )["Version"]
        )
        self.made.versions.append(version)
        if alias in self.made.aliases:
            self.client.update_alias(FunctionName=self.fn, Name=alias, FunctionVersion=version)
        else:
            self.client.create_alias(
                FunctionName=self.fn,
                Name=alias,
                FunctionVersion=version,
                Description=f"memory sweep {self.run}",
            )
            self.made.aliases.append(alias)
        self._wait("published_version_active", f"version {version}", Qualifier=version)
        return version

    def delete_version(self, version: str) -> None:
        _ignore_missing(
            lambda: self.client.delete_function(FunctionName=self.fn, Qualifier=version)
        )
        self.made.versions.remove(version)

    def delete_alias(self, alias: str) -> None:
        _ignore_missing(lambda: self.client.delete_alias(FunctionName=self.fn, Name=alias))
        self.made.aliases.remove(alias)

    def clean_up(self) -> list[str]:
        """Restore the configuration, delete what the sweep made; what could not be undone."""
        left: list[str] = []
        if self.made.configuration_changed:
            self.progress(
                f"restoring {self.fn}: {self.original.get('MemorySize')} MB and its environment"
            )
            try:
                self._wait("function_updated", "the update in progress")
                self.client.update_function_configuration(
                    FunctionName=self.fn,
                    MemorySize=self.original["MemorySize"],
                    Environment={"Variables": self.original_variables},
                )
                self._wait("function_updated", "the restore")
                self.made.configuration_changed = False
            except (ClientError, BotoCoreError, AwsSweepError) as exc:
                left.append(
                    f"the configuration (restore MemorySize "
                    f"{self.original.get('MemorySize')} and remove {SWEEP_ENV}: {exc})"
                )
        for alias in list(self.made.aliases):
            try:
                self.delete_alias(alias)
            except (ClientError, BotoCoreError) as exc:
                left.append(f"alias {alias} ({said(exc)})")
        for version in list(self.made.versions):
            try:
                self.delete_version(version)
            except (ClientError, BotoCoreError) as exc:
                left.append(f"version {version} ({said(exc)})")
        if not left:
            left += self._clean_strays()
        return left

    def _clean_strays(self) -> list[str]:
        """Aliases and versions of this run that a signal kept off the lists (created, but
        interrupted before being noted): found by their name and description."""
        left: list[str] = []
        try:
            aliases = [
                a["Name"]
                for page in self.client.get_paginator("list_aliases").paginate(FunctionName=self.fn)
                for a in page.get("Aliases", [])
                if a["Name"].startswith(f"sweep-{self.run}-")
            ]
            for alias in aliases:
                _ignore_missing(
                    lambda a=alias: self.client.delete_alias(  # type: ignore[misc]
                        FunctionName=self.fn, Name=a
                    )
                )
            mine = f"memory sweep {self.run}:"
            versions = [
                v["Version"]
                for page in self.client.get_paginator("list_versions_by_function").paginate(
                    FunctionName=self.fn
                )
                for v in page.get("Versions", [])
                if v["Version"] != "$LATEST" and str(v.get("Description", "")).startswith(mine)
            ]
            for version in versions:
                _ignore_missing(
                    lambda v=version: self.client.delete_function(  # type: ignore[misc]
                        FunctionName=self.fn, Qualifier=v
                    )
                )
        except (ClientError, BotoCoreError) as exc:
            left.append(f"the check for leftovers of run {self.run} ({said(exc)})")
        return left


def said(exc: BaseException) -> str:
    """What AWS said, in one line: its error code and message."""
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        return f"{error.get('Code', 'error')}: {error.get('Message', '')}".rstrip(": ")
    return str(exc)


def _ignore_missing(call: Callable[[], object]) -> None:
    try:
        call()
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
            raise
