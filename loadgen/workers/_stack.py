"""The worker stack: where the workers' function and bucket are, from endpoints.json or Pulumi."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from resultfiles import ResultsError as FileResultsError
from resultfiles import read_endpoints

from .._errors import TargetError

__all__ = ["WorkerStack", "resolve_worker_stack"]


@dataclass(frozen=True, kw_only=True)
class WorkerStack:
    """Where the workers are: their function, their bucket, and (locally) the endpoints."""

    name: str
    function_name: str
    bucket: str
    #: Key prefix under which each run writes (``PREFIX/RUN_ID/wK/``).
    prefix: str = "runs"
    lambda_endpoint: str | None = None
    s3_endpoint: str | None = None
    #: "emulator" or "pulumi".
    source: str = "pulumi"
    #: the function's region (both sources state it); None: boto3's configured region
    region: str | None = None
    #: the emulator's documented local credentials, when its endpoints file states them (as
    #: for its IAM stacks); None: boto3's standard credential chain
    credentials: tuple[str, str] | None = None
    #: the most workers one run may start (the stack's ``workers_max``); None: not stated
    workers_max: int | None = None

    def client_args(self) -> dict[str, Any]:
        """boto3 client keyword arguments for the stack's region and credentials."""
        args: dict[str, Any] = {}
        if self.region:
            args["region_name"] = self.region
        if self.credentials is not None:
            args["aws_access_key_id"], args["aws_secret_access_key"] = self.credentials
        return args


def _stack_from(
    name: str,
    entry: dict[str, Any],
    source: str,
    where: str,
    credentials: tuple[str, str] | None = None,
) -> WorkerStack:
    missing = [k for k in ("function_name", "bucket") if not isinstance(entry.get(k), str)]
    if missing:
        raise TargetError(
            f"{where} gives stack {name!r} no {' and no '.join(missing)}: is it a "
            "worker stack (Pulumi.loadgen-workers.yaml)?"
        )

    def text(key: str) -> str | None:
        value = entry.get(key)
        return value if isinstance(value, str) and value else None

    workers_max = entry.get("workers_max")
    return WorkerStack(
        name=name,
        function_name=entry["function_name"],
        bucket=entry["bucket"],
        prefix=(text("prefix") or "runs").strip("/"),
        lambda_endpoint=text("lambda_endpoint"),
        s3_endpoint=text("s3_endpoint"),
        source=source,
        region=text("region"),
        credentials=credentials,
        workers_max=(
            workers_max
            if isinstance(workers_max, int) and not isinstance(workers_max, bool)
            else None
        ),
    )


def resolve_worker_stack(
    name: str,
    *,
    endpoints_file: Path,
    cwd: Path = Path("."),
    run: Callable[..., subprocess.CompletedProcess[str]] = subprocess.run,
) -> WorkerStack:
    """The worker stack: the emulator's endpoints file first, else ``pulumi stack output``."""
    try:
        document = read_endpoints(endpoints_file)
    except FileResultsError as exc:
        raise TargetError(str(exc)) from None
    if document is not None and name in document.stacks:
        given = document.credentials or {}
        key_id, secret = given.get("access_key_id"), given.get("secret_access_key")
        keys = (key_id, secret) if isinstance(key_id, str) and isinstance(secret, str) else None
        return _stack_from(
            name, dict(document.stacks[name].entry), "emulator", str(endpoints_file), keys
        )
    if shutil.which("pulumi") is None and run is subprocess.run:
        raise TargetError(
            f"cannot find worker stack {name!r}: it is not in {endpoints_file} and "
            "the pulumi CLI is not installed"
        )
    return _stack_from(
        name,
        _pulumi_outputs(name, cwd=cwd, run=run),
        "pulumi",
        f"pulumi stack output --stack {name}",
    )


def _pulumi_outputs(
    name: str, *, cwd: Path, run: Callable[..., subprocess.CompletedProcess[str]]
) -> dict[str, Any]:
    """``pulumi stack output --json`` of stack ``name``, or TargetError in one line."""
    try:
        done = run(
            ["pulumi", "stack", "output", "--json", "--stack", name],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise TargetError(f"cannot read worker stack {name!r}'s outputs: {exc}") from exc
    if done.returncode != 0:
        raise TargetError(
            f"pulumi stack output --json --stack {name} failed: {done.stderr.strip()[:300]}"
        )
    try:
        outputs = json.loads(done.stdout)
    except ValueError as exc:
        raise TargetError(f"pulumi stack output --json --stack {name} is not JSON") from exc
    if not isinstance(outputs, dict):
        raise TargetError(f"pulumi stack output --json --stack {name} is not an object")
    return outputs
