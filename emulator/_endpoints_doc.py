"""``build/endpoints.json``'s document built from the running emulator: each hosted stack's URL,
settings, limits, package, log and samples, and what hosts the functions (typed: resultfiles)."""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from resultfiles import (
    DependencyFolder,
    EndpointsFile,
    HostedStack,
    InitCpuModel,
    MemoryLimitModel,
    PackageFacts,
    PythonInstances,
    RequestSet,
    StackLimits,
    WorkerStack,
    log_path,
)

from ._emulator import Emulator
from ._spec import INIT_BURST_VCPU
from ._stacks import worker_bucket
from .gateway._sigv4 import DEFAULT_CREDENTIALS
from .instance._pyruntime import DIFFERENCES_FROM_AWS, distributions_in

if TYPE_CHECKING:
    from stack import FunctionPackage, StackSettings, WorkerPackage
    from stack.package import Package

__all__ = [
    "endpoints_document",
    "function_package_entry",
    "hosted_by",
    "init_cpu_model",
    "limits_entry",
    "package_entry",
    "worker_entry",
    "worker_package_entry",
]


def _json_default(value: object) -> object:
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"cannot write {type(value).__name__} to JSON")


def _java_version() -> str | None:
    """The local JVM's version (``java -version`` prints it on stderr), or None without one."""
    java = shutil.which("java")
    if java is None:
        return None
    try:
        done = subprocess.run(
            [java, "-version"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = re.search(r'version "([^"]+)"', done.stderr)
    return match.group(1) if match else None


def hosted_by(settings: Mapping[str, StackSettings]) -> dict[str, str | None]:
    """What really runs the functions here: the stacks' ``runtime`` names AWS's, not these."""
    languages = {s.language for s in settings.values()}
    return {
        "python": platform.python_version() if "python" in languages else None,
        "java": _java_version() if "java" in languages else None,
    }


def function_package_entry(package: FunctionPackage) -> PackageFacts:
    """A function stack's package as endpoints.json states it."""
    return PackageFacts(
        kind="image" if package.is_image else "zip",
        code_bytes=package.size_bytes,
        unzipped_bytes=package.unzipped_bytes,
        layer_bytes=package.layer_bytes,
        function=True,
        handler=package.handler,
        requirements=tuple(package.requirements) or None,
    )


def package_entry(package: Package | FunctionPackage) -> PackageFacts:
    """What a stack deploys, in bytes, as endpoints.json states it (the report shows it).

    An image's own size is not known here (no image is built: the emulator hosts its context's
    function folder), so ``code_bytes`` and ``unzipped_bytes`` are the function and model it
    holds, and ``requirements`` the pins the image installs on AWS's base image.
    """
    from stack.package import Package

    if not isinstance(package, Package):
        return function_package_entry(package)
    return PackageFacts(
        kind="image" if package.is_image else "zip",
        code_bytes=package.size_bytes,
        unzipped_bytes=package.unzipped_bytes,
        layer_bytes=package.layer_size_bytes,
        model_runtime=package.model_runtime,
        requirements=tuple(package.requirements) or None,
    )


def limits_entry(settings: StackSettings) -> StackLimits:
    """What the stack admits, as the emulator enforces it and the load generator checks a plan
    against it (the same keys as the AWS stack's outputs; None: no reserved concurrency)."""
    return StackLimits(
        api_throttle_rate=settings.api_throttle_rate,
        api_throttle_burst=settings.api_throttle_burst,
        reserved_concurrency=settings.reserved_concurrency,
        provisioned_concurrency=(
            settings.provisioned_concurrency
            if settings.cold_start_mitigation == "provisioned"
            else None
        ),
    )


def worker_package_entry(package: WorkerPackage) -> PackageFacts:
    """A worker stack's zip as endpoints.json states it."""
    return PackageFacts(
        kind="zip",
        code_bytes=package.size_bytes,
        unzipped_bytes=package.unzipped_bytes,
        requirements=tuple(package.requirements),
    )


def _dependencies(emu: Emulator, name: str) -> DependencyFolder | None:
    deps = emu.dependency_dirs.get(name)
    if deps is None:
        return None
    return DependencyFolder(folder=str(deps), distributions=distributions_in(deps))


def worker_entry(
    emu: Emulator, settings: StackSettings, root: Path, package: WorkerPackage | None
) -> WorkerStack:
    """A worker stack in endpoints.json: what ``--worker-stack NAME`` resolves (docs/results.md,
    "Workers"), plus the settings, the log and the samples as a model stack has them."""
    from contract import WORKER_RUNS_PREFIX

    name = settings.name
    samples = emu.sampler.describe(name)
    return WorkerStack(
        kind=settings.kind,
        function_name=name,
        bucket=worker_bucket(settings),
        prefix=WORKER_RUNS_PREFIX.strip("/"),
        lambda_endpoint=emu.lambda_url,
        s3_endpoint=emu.buckets_url,
        region=settings.region,
        memory_mb=settings.memory_mb,
        timeout_s=settings.timeout_s,
        workers_max=settings.workers_max,
        settings=_settings_dict(settings),
        log=_shown(log_path(emu.options.log_dir, name), root),
        cpu_samples=_shown(samples["cpu_samples"], root),
        access_log=_shown(samples["access_log"], root),
        dependencies=_dependencies(emu, name),
        package=None if package is None else worker_package_entry(package),
    )


def _hosted_stack(
    emu: Emulator,
    name: str,
    settings: StackSettings,
    root: Path,
    package: Package | FunctionPackage | None,
) -> HostedStack:
    samples = emu.sampler.describe(name)
    return HostedStack(
        url=emu.urls[name],
        authorization=settings.authorization,
        settings=_settings_dict(settings),
        log=_shown(log_path(emu.options.log_dir, name), root),
        limits=limits_entry(settings),
        cpu_samples=_shown(samples["cpu_samples"], root),
        access_log=_shown(samples["access_log"], root),
        # The account concurrency (--account-concurrency) less the reservations, shared by
        # the stacks without one: the load generator checks a plan against it too.
        unreserved_concurrency=(
            emu.concurrency_limit(name) if settings.reserved_concurrency is None else None
        ),
        dependencies=_dependencies(emu, name),
        package=None if package is None else package_entry(package),
        requests=_request_entry(settings, root) if settings.is_function else None,
    )


def endpoints_document(
    emu: Emulator,
    settings: Mapping[str, StackSettings],
    root: Path,
    packages: Mapping[str, Package | FunctionPackage] | None = None,
    worker_packages: Mapping[str, WorkerPackage] | None = None,
) -> EndpointsFile:
    """What ``build/endpoints.json`` states (the load generator reads it)."""
    stacks: dict[str, HostedStack | WorkerStack] = {
        name: _hosted_stack(emu, name, settings[name], root, (packages or {}).get(name))
        for name in emu.urls
    }
    for name, s in settings.items():
        if s.is_worker:
            stacks[name] = worker_entry(emu, s, root, (worker_packages or {}).get(name))
    credentials = emu.options.credentials or DEFAULT_CREDENTIALS
    return EndpointsFile(
        stacks=stacks,
        # Whom the iam stacks admit, so the load generator signs as that principal; the
        # secret is written only for the documented (public) local default.
        credentials=credentials.describe(),
        # Lambda's Invoke API for every hosted function (boto3: endpoint_url), signed for
        # service "lambda" with the credentials above; moto's S3 of the worker stacks, if any.
        lambda_endpoint=emu.lambda_url,
        s3_endpoint=emu.buckets_url,
        cpu_limited=emu.cpu_limited,
        cpu_limit_reason=emu.cpu_limit_reason,
        init_cpu=init_cpu_model(emu.options.init_cpu, limited=emu.cpu_limited),
        memory_limit=MemoryLimitModel(
            mode=emu.memory_limit.mode, description=emu.memory_limit.description
        ),
        python_instances=_python_instances(emu),
        time_scale=emu.options.time_scale,
        # What every request crosses besides the function (docs/emulator.md, "The network path").
        network_path=emu.options.network_path(),
        hosted_by=hosted_by(settings),
        started_at=datetime.now(UTC).isoformat(timespec="seconds"),
        pid=os.getpid(),
    )


def _request_entry(settings: StackSettings, root: Path) -> RequestSet:
    """What the load generator sends a function stack (``--stack NAME`` finds it here)."""
    from stack import function_paths

    paths = function_paths({"code": settings.code, "requests": settings.requests}, root)
    return RequestSet(
        file=str(paths["requests"]) if paths["requests"] else None,
        expect_field=settings.expect_field or None,
    )


def _shown(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


def init_cpu_model(mode: str, *, limited: bool) -> InitCpuModel:
    """The init phase's CPU as endpoints.json (and so each run's run.json) states it."""
    if not limited:
        return InitCpuModel(
            mode=mode,
            applied=False,
            description="instances run unthrottled (no cgroup): init and invocations alike",
        )
    if mode == "burst":
        return InitCpuModel(
            mode=mode,
            applied=True,
            burst_vcpu=INIT_BURST_VCPU,
            description=f"init runs with up to {INIT_BURST_VCPU:g} vCPU (or the memory "
            "share, if larger), then the memory share (1,769 MB = 1 vCPU) from the first "
            "invocation on; calibrated on lambda-perf's Init Durations, flat from 128 to "
            "1,024 MB (docs/emulator.md)",
        )
    return InitCpuModel(
        mode=mode,
        applied=True,
        description="init runs under the memory share (1,769 MB = 1 vCPU), as "
        "invocations do: slower than AWS at small memory (docs/emulator.md)",
    )


def _python_instances(emu: Emulator) -> PythonInstances | None:
    if emu.python_runtime_dir is None:
        return None
    return PythonInstances(
        interpreter=f"{sys.executable} -S (Python {platform.python_version()})",
        sees="its package, the layers' /opt/python, its dependency folder (framework "
        "runtimes), and the runtime folder: nothing of the emulator's virtualenv",
        runtime=DependencyFolder(
            folder=str(emu.python_runtime_dir),
            distributions=distributions_in(emu.python_runtime_dir),
        ),
        differs_from_aws=tuple(DIFFERENCES_FROM_AWS),
    )


def _settings_dict(settings: StackSettings) -> dict[str, object]:
    result: dict[str, object] = json.loads(json.dumps(asdict(settings), default=_json_default))
    return result
