"""The command line: ``python -m emulator up [STACK ...] [options]``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from contract import DEFAULT_KEEP_ALIVE_S
from resultfiles import ENDPOINTS, ResultsError, log_path, read_endpoints, write_endpoints

from ._emulator import Emulator
from ._errors import EmulatorError
from ._lock import BuildDirLock
from ._spec import (
    DEFAULT_ACCOUNT_CONCURRENCY,
    DEFAULT_CLIENT_RTT_MS,
    DEFAULT_GATEWAY_LATENCY_MS,
    INIT_BURST_VCPU,
    INIT_CPU_MODES,
    EmulatorOptions,
    FunctionSpec,
)
from ._stacks import (
    spec_from_function_stack,
    spec_from_stack,
    spec_from_worker_stack,
    worker_bucket,
)
from .gateway._sigv4 import DEFAULT_CREDENTIALS, StaticCredentials, credentials_from
from .instance._pyruntime import DIFFERENCES_FROM_AWS, distributions_in
from .logs._samples import parse_ms

if TYPE_CHECKING:
    from stack import FunctionPackage, StackSettings, WorkerPackage
    from stack.package import Package


def _duration_ms(text: str) -> float:
    try:
        return parse_ms(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_network_options(parser: argparse.ArgumentParser) -> None:
    """``--rtt`` and ``--gateway-latency``: the study takes the very same options."""
    parser.add_argument("--rtt", type=_duration_ms, default=DEFAULT_CLIENT_RTT_MS, metavar="MS",
                        help="the client's round trip to the region, added to every request "
                        f"(default {DEFAULT_CLIENT_RTT_MS:g}ms: a client outside AWS over the "
                        "internet; 2ms: a client inside the region; 0: none)")
    parser.add_argument("--gateway-latency", type=_duration_ms, default=DEFAULT_GATEWAY_LATENCY_MS,
                        metavar="MS", help="API Gateway HTTP API's own latency per request "
                        f"(default {DEFAULT_GATEWAY_LATENCY_MS:g}ms; 0: none)")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m emulator", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser(
        "up",
        help="build and host stacks locally until Ctrl-C or SIGTERM (exit 130 or 143)",
        description="Build each stack's package and host it behind a local HTTP API "
        "(127.0.0.1) with Lambda's semantics. Writes build/endpoints.json for the load generator.",
    )
    up.add_argument("stacks", nargs="*", metavar="STACK",
                    help="stack names (Pulumi.<stack>.yaml), model or loadgen-worker stacks; "
                    "default: every model stack file")
    up.add_argument("--time-scale", type=float, default=1.0, metavar="K",
                    help="run the keep-alive clock K times faster (timeouts stay real); default 1")
    up.add_argument("--keep-alive-s", type=float, default=DEFAULT_KEEP_ALIVE_S, metavar="S",
                    help="idle seconds (scaled) before an instance is reclaimed; default 600")
    up.add_argument("--idle-policy", choices=("fixed", "sebs"), default="fixed",
                    help="fixed keep-alive, or SeBS's: half of the idle instances every 6 min")
    up.add_argument("--account-concurrency", type=int, default=DEFAULT_ACCOUNT_CONCURRENCY,
                    metavar="N", help="requests in flight across all stacks; a stack's reserved "
                    "concurrency is carved out of it, the others share the rest "
                    f"(AWS: 1,000; default here {DEFAULT_ACCOUNT_CONCURRENCY})")
    up.add_argument("--port-base", type=int, default=0, metavar="P",
                    help="front door of the i-th stack on port P+i; default: free ports")
    up.add_argument("--root", type=Path, default=None,
                    help="project root (stack files, build/, runtime/ if it has one); default: "
                         "this "
                    "checkout, else the nearest directory holding Pulumi.yaml")
    up.add_argument("--build-dir", type=Path, default=None,
                    help="where endpoints.json, logs and instance dirs go; default <root>/build")
    up.add_argument("--artifact", type=Path, default=None,
                    help="model artifact to package; default <root>/build/model.zip")
    up.add_argument("--no-cpu-limits", action="store_true",
                    help="run instances unthrottled even where cgroups are writable")
    up.add_argument("--init-cpu", choices=INIT_CPU_MODES, default="burst",
                    help=f"the init phase's CPU: burst (up to {INIT_BURST_VCPU:g} vCPU, then the "
                    "memory share from the first invocation: the model calibrated on AWS's "
                    "measurements) or share (the memory share throughout); default burst "
                    "(docs/emulator.md)")
    up.add_argument("--credentials", metavar="KEY_ID:SECRET", default=None,
                    help="the credentials IAM-authorised stacks check signatures against; default "
                    "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY when both are set, else the local "
                    "study's documented ones (docs/emulator.md)")
    add_network_options(up)
    return parser


def _repo_root() -> Path:
    from stack import project_root  # the checkout, or the user's Pulumi project

    return project_root()


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
        done = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=30,
                              check=False)
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


def function_package_entry(package: FunctionPackage, settings: StackSettings) -> dict[str, Any]:
    """A function stack's package as endpoints.json states it, and what the load generator
    sends it: the request file and what counts as a correct answer."""
    entry: dict[str, Any] = {
        "kind": "image" if package.is_image else "zip",
        "code_bytes": package.size_bytes,
        "unzipped_bytes": package.unzipped_bytes,
        "layer_bytes": package.layer_bytes,
        "function": True,
        "handler": package.handler,
    }
    if package.requirements:
        entry["requirements"] = list(package.requirements)
    return entry


def package_entry(package: Package | FunctionPackage,
                  settings: StackSettings | None = None) -> dict[str, Any]:
    """What a stack deploys, in bytes, as endpoints.json states it (the report shows it).

    An image's own size is not known here (no image is built: the emulator hosts its context's
    function folder), so ``code_bytes`` and ``unzipped_bytes`` are the function and model it
    holds, and ``requirements`` the pins the image installs on AWS's base image.
    """
    from stack.package import Package

    if not isinstance(package, Package):
        assert settings is not None
        return function_package_entry(package, settings)
    entry: dict[str, Any] = {
        "kind": "image" if package.is_image else "zip",
        "code_bytes": package.size_bytes,
        "unzipped_bytes": package.unzipped_bytes,
        "layer_bytes": package.layer_size_bytes,
        "model_runtime": package.model_runtime,
    }
    if package.requirements:
        entry["requirements"] = list(package.requirements)
    return entry


def limits_entry(settings: StackSettings) -> dict[str, Any]:
    """What the stack admits, as the emulator enforces it and the load generator checks a plan
    against it (the same keys as the AWS stack's outputs; None: no reserved concurrency)."""
    return {"api_throttle_rate": settings.api_throttle_rate,
            "api_throttle_burst": settings.api_throttle_burst,
            "reserved_concurrency": settings.reserved_concurrency,
            "provisioned_concurrency": (settings.provisioned_concurrency
                                        if settings.cold_start_mitigation == "provisioned"
                                        else None)}


def worker_package_entry(package: WorkerPackage) -> dict[str, Any]:
    """A worker stack's zip as endpoints.json states it."""
    return {"kind": "zip", "code_bytes": package.size_bytes,
            "unzipped_bytes": package.unzipped_bytes, "requirements": list(package.requirements)}


def worker_entry(emu: Emulator, settings: StackSettings, root: Path,
                 package: WorkerPackage | None) -> dict[str, Any]:
    """A worker stack in endpoints.json: what ``--worker-stack NAME`` resolves (docs/results.md,
    "Workers"), plus the settings, the log and the samples as a model stack has them."""
    from contract import WORKER_RUNS_PREFIX

    name = settings.name
    entry: dict[str, Any] = {
        "kind": settings.kind, "function_name": name, "bucket": worker_bucket(settings),
        "prefix": WORKER_RUNS_PREFIX.strip("/"), "lambda_endpoint": emu.lambda_url,
        "s3_endpoint": emu.buckets_url, "region": settings.region,
        "memory_mb": settings.memory_mb, "timeout_s": settings.timeout_s,
        "workers_max": settings.workers_max, "settings": _settings_dict(settings),
        "log": _shown(log_path(emu.options.log_dir, name), root),
        **{key: _shown(path, root) for key, path in emu.sampler.describe(name).items()},
    }
    deps = emu.dependency_dirs.get(name)
    if deps is not None:
        entry["dependencies"] = {"folder": str(deps), "distributions": distributions_in(deps)}
    if package is not None:
        entry["package"] = worker_package_entry(package)
    return entry


def endpoints_document(emu: Emulator, settings: Mapping[str, StackSettings], root: Path,
                       packages: Mapping[str, Package | FunctionPackage] | None = None,
                       worker_packages: Mapping[str, WorkerPackage] | None = None
                       ) -> dict[str, Any]:
    """The shape ``build/endpoints.json`` has (the load generator reads it)."""
    stacks: dict[str, Any] = {}
    for name, url in emu.urls.items():
        log = log_path(emu.options.log_dir, name)
        try:
            shown = log.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            shown = str(log)
        samples = {key: _shown(path, root) for key, path in emu.sampler.describe(name).items()}
        stacks[name] = {"url": url, "authorization": settings[name].authorization,
                        "settings": _settings_dict(settings[name]), "log": shown,
                        **limits_entry(settings[name]), **samples}
        if settings[name].reserved_concurrency is None:
            # The account concurrency (--account-concurrency) less the reservations, shared
            # by the stacks without one: the load generator checks a plan against it too.
            stacks[name]["unreserved_concurrency"] = emu.concurrency_limit(name)
        deps = emu.dependency_dirs.get(name)
        if deps is not None:
            stacks[name]["dependencies"] = {"folder": str(deps),
                                            "distributions": distributions_in(deps)}
        if packages is not None and name in packages:
            stacks[name]["package"] = package_entry(packages[name], settings[name])
        if settings[name].is_function:
            stacks[name]["requests"] = _request_entry(settings[name], root)
    for name, s in settings.items():
        if s.is_worker:
            stacks[name] = worker_entry(emu, s, root, (worker_packages or {}).get(name))
    credentials = emu.options.credentials or DEFAULT_CREDENTIALS
    return {
        "stacks": stacks,
        # Whom the iam stacks admit, so the load generator signs as that principal; the
        # secret is written only for the documented (public) local default.
        "credentials": credentials.describe(),
        # Lambda's Invoke API for every hosted function (boto3: endpoint_url), signed for
        # service "lambda" with the credentials above; moto's S3 of the worker stacks, if any.
        "lambda_endpoint": emu.lambda_url,
        "s3_endpoint": emu.buckets_url,
        "cpu_limited": emu.cpu_limited,
        "cpu_limit_reason": emu.cpu_limit_reason,
        "init_cpu": init_cpu_model(emu.options.init_cpu, limited=emu.cpu_limited),
        "memory_limit": {"mode": emu.memory_limit.mode,
                         "description": emu.memory_limit.description},
        "python_instances": _python_instances(emu),
        "time_scale": emu.options.time_scale,
        # What every request crosses besides the function (docs/emulator.md, "The network path").
        "network_path": emu.options.network_path(),
        "hosted_by": hosted_by(settings),
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "pid": os.getpid(),
    }


def _request_entry(settings: StackSettings, root: Path) -> dict[str, Any]:
    """What the load generator sends a function stack (``--stack NAME`` finds it here)."""
    from stack import function_paths

    paths = function_paths({"code": settings.code, "requests": settings.requests}, root)
    return {"file": str(paths["requests"]) if paths["requests"] else None,
            "expect_field": settings.expect_field or None}


def _shown(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


def init_cpu_model(mode: str, *, limited: bool) -> dict[str, Any]:
    """The init phase's CPU as endpoints.json (and so each run's run.json) states it."""
    if not limited:
        return {"mode": mode, "applied": False,
                "description": "instances run unthrottled (no cgroup): init and invocations alike"}
    if mode == "burst":
        return {"mode": mode, "applied": True, "burst_vcpu": INIT_BURST_VCPU,
                "description": f"init runs with up to {INIT_BURST_VCPU:g} vCPU (or the memory "
                "share, if larger), then the memory share (1,769 MB = 1 vCPU) from the first "
                "invocation on; calibrated on lambda-perf's Init Durations, flat from 128 to "
                "1,024 MB (docs/emulator.md)"}
    return {"mode": mode, "applied": True,
            "description": "init runs under the memory share (1,769 MB = 1 vCPU), as "
            "invocations do: slower than AWS at small memory (docs/emulator.md)"}


def _python_instances(emu: Emulator) -> dict[str, Any] | None:
    if emu.python_runtime_dir is None:
        return None
    return {
        "interpreter": f"{sys.executable} -S (Python {platform.python_version()})",
        "sees": "its package, the layers' /opt/python, its dependency folder (framework "
                "runtimes), and the runtime folder: nothing of the emulator's virtualenv",
        "runtime": {"folder": str(emu.python_runtime_dir),
                    "distributions": distributions_in(emu.python_runtime_dir)},
        "differs_from_aws": list(DIFFERENCES_FROM_AWS),
    }


def _settings_dict(settings: StackSettings) -> dict[str, Any]:
    raw = asdict(settings)
    result: dict[str, Any] = json.loads(json.dumps(raw, default=_json_default))
    return result


def _table(emu: Emulator, settings: Mapping[str, StackSettings]) -> str:
    rows = [("stack", "language", "memory", "strategy", "mitigation", "auth", "url")]
    for name, url in emu.urls.items():
        s = settings[name]
        rows.append((name, s.language, f"{s.memory_mb} MB",
                     f"function {s.handler}" if s.is_function else s.model_strategy,
                     s.cold_start_mitigation, s.authorization, url))
    for name, s in settings.items():
        if s.is_worker:
            rows.append((name, s.language, f"{s.memory_mb} MB", "loadgen worker", "-", "iam",
                         f"Lambda API {emu.lambda_url}"))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
                     for r in rows)


def _prepare(
    args: argparse.Namespace, root: Path
) -> tuple[dict[str, StackSettings], list[FunctionSpec], dict[str, Package | FunctionPackage],
           dict[str, WorkerPackage]]:
    from stack import (
        build_function_package,
        build_package,
        build_worker_package,
        host_dependencies,
        list_stacks,
        load_stack,
        runtime_root,
    )

    names = list(args.stacks) or list_stacks(root)
    if not names:
        raise EmulatorError(f"no Pulumi.<stack>.yaml under {root}: nothing to host")
    settings: dict[str, StackSettings] = {}
    specs: list[FunctionSpec] = []
    packages: dict[str, Package | FunctionPackage] = {}
    worker_packages: dict[str, WorkerPackage] = {}
    loaded = [load_stack(name, root) for name in names]  # every stack file checked first
    for s in loaded:
        name = s.name  # ``<stack>@<MB>`` is hosted as ``<stack>-at-<MB>``
        settings[name] = s
        if s.is_worker:
            # The zip AWS would run (its wheels from pip's cache after the first build).
            worker = build_worker_package(s, root=root)
            worker_packages[s.name] = worker
            specs.append(spec_from_worker_stack(s, worker))
            continue
        if s.is_function:
            # The zip AWS would run (wheels for Lambda's platform), and the same requirements
            # for this host's Python, both cached under build/deps by the file's content.
            function_package = build_function_package(s, root=root)
            packages[name] = function_package
            specs.append(spec_from_function_stack(
                s, function_package, host_dependencies(s, root=root)))
            continue
        package = build_package(s, artifact=args.artifact, root=root, runtime=runtime_root(root))
        packages[s.name] = package
        specs.append(spec_from_stack(s, package))
    return settings, specs, packages, worker_packages


def stack_specs(names: Sequence[str], *, root: Path, artifact: Path | None = None
                ) -> tuple[dict[str, StackSettings], list[FunctionSpec]]:
    """What ``python -m emulator up NAMES`` would host: each stack's settings, keyed by its own
    name (``python-512@1024`` is ``python-512-at-1024``), and its function spec, the packages
    built. Raises StackError or EmulatorError as ``up`` does."""
    settings, specs, _packages, _workers = _prepare(
        argparse.Namespace(stacks=list(names), artifact=artifact), root)
    return settings, specs


async def _serve(args: argparse.Namespace, root: Path) -> int:
    credentials = credentials_from(args.credentials)
    build = (args.build_dir or root / "build").resolve()
    # Before anything is built or written: a second emulator on this build dir is refused.
    with BuildDirLock(build):
        return await _serve_locked(args, root, build, credentials)


async def _serve_locked(args: argparse.Namespace, root: Path, build: Path,
                        credentials: StaticCredentials) -> int:
    settings, specs, packages, worker_packages = _prepare(args, root)
    options = EmulatorOptions(
        time_scale=args.time_scale,
        keep_alive_s=args.keep_alive_s,
        idle_policy=args.idle_policy,
        account_concurrency=args.account_concurrency,
        port_base=args.port_base,
        cpu_limits=not args.no_cpu_limits,
        init_cpu=args.init_cpu,
        credentials=credentials,
        client_rtt_ms=args.rtt,
        gateway_latency_ms=args.gateway_latency,
        work_dir=build / "emulator",
        log_dir=build / "emulator" / "logs",
        # Kept under the project's build/ whatever --build-dir says: the study gives every run
        # its own build dir, and the framework folders are copies (GBs for TensorFlow stacks).
        python_env_dir=root / "build" / "emulator" / "python-runtime",
    )
    endpoints = build / ENDPOINTS
    stop = asyncio.Event()
    received: list[int] = []

    def on_signal(signum: int) -> None:
        received.append(signum)
        stop.set()

    loop = asyncio.get_running_loop()
    # SIGTERM (kill, timeout, CI cancellation) stops as cleanly as Ctrl-C does.
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, on_signal, sig)
    async with Emulator(specs, options) as emu:
        document = endpoints_document(emu, settings, root, packages, worker_packages)
        write_endpoints(endpoints, document)
        _say(_table(emu, settings))
        if any(s.authorization == "iam" for s in settings.values()):
            creds = options.credentials or DEFAULT_CREDENTIALS
            _say(f"iam stacks admit requests SigV4-signed by {creds.access_key_id} "
                 f"({creds.source} credentials)")
            for name, worker in settings.items():
                if worker.is_worker:
                    _say(f"{name}'s instances sign with their own role's keys, admitted by "
                         f"{', '.join(worker.target_stacks) or 'no stack'} (its "
                         "invoke_targets)")
        if emu.cpu_limited:
            _say(f"CPU limited by memory (1,769 MB = 1 vCPU): {emu.cpu_limit_reason}; init CPU: "
                 + init_cpu_model(options.init_cpu, limited=True)["description"])
        else:
            _say(f"note: instances run WITHOUT CPU limits: {emu.cpu_limit_reason}")
        _say(f"memory limit: {emu.memory_limit.description}")
        path = options.network_path()
        _say(f"network path: client round trip {path['client_rtt_ms']:g} ms + API Gateway "
             f"{path['gateway_latency_ms']:g} ms added to every request")
        if emu.buckets_url is not None:
            _say(f"worker stacks: Lambda API {emu.lambda_url}, their buckets on moto's S3 "
                 f"{emu.buckets_url}")
        _say(f"endpoints: {endpoints}; logs: {options.log_dir}; Ctrl-C stops")
        try:
            await stop.wait()
        finally:
            _say("stopping: ending every instance")
            try:
                written = read_endpoints(endpoints)
                if written is not None and written.pid == os.getpid():
                    endpoints.unlink()
            except (OSError, ResultsError):
                pass
    # The shell's convention for "ended by signal N": 128 + N (130 for SIGINT, 143 for SIGTERM).
    return 128 + received[0] if received else 0


def _say(text: str) -> None:
    """One line on the console. A closed stdout (``| head``, a terminal gone) stops nothing:
    the emulator serves on and still stops cleanly (endpoints.json removed), silently."""
    try:
        print(text, flush=True)
    except (BrokenPipeError, ValueError):  # ValueError: stdout was closed by this process
        # Later writes (and the interpreter's flush at exit) go nowhere instead of failing.
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    root = (args.root or _repo_root()).resolve()
    try:
        from stack import StackError
    except ImportError as exc:  # pragma: no cover - the stack package is part of this repo
        print(f"error: cannot import the stack package ({exc}); run from the repository",
              file=sys.stderr)
        return 2
    try:
        return asyncio.run(_serve(args, root))
    except (EmulatorError, StackError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
