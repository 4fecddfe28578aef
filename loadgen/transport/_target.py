"""Where requests go: a URL, or a stack's URL from the emulator's endpoints file or Pulumi."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from contract import HEALTH_PATH, PREDICT_PATH
from resultfiles import ResultsError, read_endpoints

from .._errors import TargetError
from ..plans._limits import TargetLimits
from ._sign import RequestSigner, signer_for

__all__ = ["Target", "fetch_health", "resolve_stack", "sign_target", "target_from_url"]

DEFAULT_ENDPOINTS = Path("build/endpoints.json")


@dataclass(frozen=True, kw_only=True)
class Target:
    #: Base URL; requests go to ``{url}/predict`` and ``{url}/health``.
    url: str
    #: Folder name in the results: the stack name, or host-port for a bare URL.
    name: str
    scheme: str
    host: str
    port: int
    #: Path prefix before /predict ("" for a URL without one).
    base_path: str
    #: How the URL was found: "url", "emulator" or "pulumi".
    source: str = "url"
    stack: str | None = None
    #: The stack's settings as the emulator's endpoints file gives them.
    settings: dict[str, Any] | None = None
    cpu_limited: bool | None = None
    #: The emulator's init-phase CPU model (endpoints.json's ``init_cpu``): what Init Durations
    #: measured here mean.
    init_cpu: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    #: What the stack admits (stage throttle, reserved concurrency), as endpoints.json or the
    #: stack's outputs state it; None for a URL (no limit known, nothing checked).
    limits: TargetLimits | None = None
    #: The plan checked against ``limits`` (``loadgen.plans._limits.LimitsCheck.describe``), set by
    #: the command before the run; run.json states it.
    limits_check: dict[str, Any] | None = None
    #: Signs each request (SigV4) for an IAM-authorised endpoint; None sends them unsigned.
    signer: RequestSigner | None = field(default=None, compare=False, repr=False)

    @property
    def request_file(self) -> tuple[Path | None, str | None]:
        """The request file and expected field the target's stack names (a function stack in
        the emulator's endpoints file), else (None, None)."""
        named = self.extra.get("requests") or {}
        file, field_name = named.get("file"), named.get("expect_field")
        return (
            Path(file) if isinstance(file, str) else None,
            field_name if isinstance(field_name, str) else None,
        )

    @property
    def predict_path(self) -> str:
        return f"{self.base_path}{PREDICT_PATH}"

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "url": self.url,
            "source": self.source,
            "stack": self.stack,
            "settings": self.settings,
            "cpu_limited": self.cpu_limited,
            "init_cpu": self.init_cpu,
            # How the emulator holds an instance to its memory size (cgroup or watchdog).
            "memory_limit": self.extra.get("memory_limit"),
            "signing": self.signer.describe() if self.signer is not None else None,
            "network_path": self.extra.get("network_path"),
            "cpu_samples": self.extra.get("cpu_samples"),
            # What the stack deploys (zip or image, bytes) as the emulator built it; None for a
            # URL or a Pulumi stack, whose package this side never saw.
            "package": self.extra.get("package"),
            "limits": self.limits.describe() if self.limits is not None else None,
            "limits_check": self.limits_check,
        }


def _safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-") or "target"


def target_from_url(
    url: str,
    *,
    name: str | None = None,
    source: str = "url",
    stack: str | None = None,
    settings: dict[str, Any] | None = None,
    cpu_limited: bool | None = None,
) -> Target:
    """A Target from ``http(s)://host[:port][/prefix]``; TargetError says what is wrong."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise TargetError(
            f"target URL {url!r} must look like http://HOST:PORT or https://HOST/prefix"
        )
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise TargetError(f"target URL {url!r} has an invalid port") from exc
    base_path = parts.path.rstrip("/")
    return Target(
        url=f"{parts.scheme}://{parts.netloc}{base_path}",
        name=_safe_name(name or f"{parts.hostname}-{port}"),
        scheme=parts.scheme,
        host=parts.hostname,
        port=port,
        base_path=base_path,
        source=source,
        stack=stack,
        settings=settings,
        cpu_limited=cpu_limited,
    )


Runner = Callable[..., subprocess.CompletedProcess[str]]


def _from_endpoints(stack: str, path: Path) -> Target | None:
    try:
        document = read_endpoints(path)
    except ResultsError as exc:
        raise TargetError(str(exc)) from None
    if document is None:
        return None
    if stack not in document.stacks:
        return None
    entry = document.stacks[stack]
    if entry.url is None:
        raise TargetError(f"{path}: stacks.{stack} has no 'url' string")
    settings = dict(entry.settings) if entry.settings is not None else None
    target = target_from_url(
        entry.url,
        name=stack,
        source="emulator",
        stack=stack,
        settings=settings,
        cpu_limited=document.cpu_limited,
    )
    if entry.authorization is not None and settings is not None:
        settings = {**settings, "authorization": entry.authorization}
    extra: dict[str, Any] = {}
    if document.credentials is not None:
        extra["credentials"] = dict(document.credentials)
    if document.network_path is not None:
        extra["network_path"] = dict(document.network_path)
    if document.memory_limit is not None:
        extra["memory_limit"] = dict(document.memory_limit)
    # Where the emulator writes this stack's CPU samples and access log (paths as it wrote them:
    # relative to the repository root, or absolute).
    if entry.cpu_samples is not None:
        extra["cpu_samples"] = entry.cpu_samples
    if entry.access_log is not None:
        extra["access_log"] = entry.access_log
    if entry.package is not None:
        extra["package"] = dict(entry.package)
    # A function stack's request file and what a correct answer holds (the stack names them).
    if entry.requests is not None:
        extra["requests"] = {
            "file": entry.requests.file,
            "expect_field": entry.requests.expect_field,
        }
    return replace(
        target,
        settings=settings,
        extra=extra,
        init_cpu=dict(document.init_cpu) if document.init_cpu is not None else None,
        limits=TargetLimits.from_mapping(entry.entry, source=str(path)),
    )


def _from_pulumi(stack: str, run: Runner, cwd: Path) -> tuple[Target | None, str]:
    """The stack's ``url`` and limits from ``pulumi stack output --json`` (every output at once;
    stack/aws's ModelStack names them)."""
    if shutil.which("pulumi") is None:
        return None, "the pulumi CLI is not installed"
    command = ["pulumi", "stack", "output", "--json", "--stack", stack]
    try:
        done = run(command, cwd=cwd, capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return None, f"pulumi failed: {exc}"
    if done.returncode != 0:
        return None, f"{' '.join(command)} failed: {done.stderr.strip()[:300]}"
    try:
        outputs = json.loads(done.stdout)
    except ValueError:
        outputs = None
    if not isinstance(outputs, dict):
        return None, f"{' '.join(command)} did not print a JSON object"
    url = outputs.get("url")
    if not isinstance(url, str) or not url.strip():
        return None, f"stack {stack!r} has no 'url' output: is it a model stack, deployed?"
    target = target_from_url(url, name=stack, source="pulumi", stack=stack)
    return replace(
        target,
        limits=TargetLimits.from_mapping(outputs, source=f"pulumi stack output --stack {stack}"),
    ), ""


def resolve_stack(
    stack: str,
    *,
    endpoints_file: Path = DEFAULT_ENDPOINTS,
    cwd: Path = Path("."),
    run: Runner = subprocess.run,
) -> Target:
    """The URL of a stack: the running emulator's endpoints file first, else Pulumi's output.

    The endpoints file is read first because it exists only while the local emulator runs
    and needs no network; Pulumi is asked for stacks it does not list.
    """
    target = _from_endpoints(stack, endpoints_file)
    if target is not None:
        return target
    target, why = _from_pulumi(stack, run, cwd)
    if target is not None:
        return target
    raise TargetError(
        f"cannot find the URL of stack {stack!r}: it is not in {endpoints_file} (is the emulator "
        f"running?) and {why}; pass --target URL instead"
    )


def sign_target(target: Target, mode: str = "auto") -> Target:
    """``target`` with the signer ``--sign MODE`` asks for (see ``loadgen.transport._sign``)."""
    credentials = target.extra.get("credentials")
    signer = signer_for(
        url=target.url,
        mode=mode,
        settings=target.settings,
        source=target.source,
        emulator_credentials=credentials if isinstance(credentials, dict) else None,
    )
    return replace(target, signer=signer)


def fetch_health(
    target: Target, *, timeout_s: float = 30.0, transport: httpx.BaseTransport | None = None
) -> dict[str, Any]:
    """GET /health once (httpx: off the hot path); TargetError if it does not answer JSON."""
    url = f"{target.url}{HEALTH_PATH}"
    headers = target.signer.headers("GET", url) if target.signer is not None else None
    try:
        with httpx.Client(timeout=timeout_s, transport=transport) as client:
            response = client.get(url, headers=headers)
    except httpx.HTTPError as exc:
        raise TargetError(f"GET {url} failed: {exc}; is the target running?") from exc
    if response.status_code == 403 and target.signer is None:
        raise TargetError(
            f"GET {url} answered 403 {response.text[:200]}: the endpoint may be "
            "IAM-authorised; sign the requests with --sign always"
        )
    if response.status_code != 200:
        raise TargetError(f"GET {url} answered {response.status_code}: {response.text[:200]}")
    try:
        health = response.json()
    except ValueError as exc:
        raise TargetError(f"GET {url} did not answer JSON: {response.text[:200]!r}") from exc
    if not isinstance(health, dict):
        raise TargetError(f"GET {url} answered {type(health).__name__}, expected a JSON object")
    return health
