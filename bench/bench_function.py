"""Function benchmark: what the emulator adds to the cold start of a team's own function with
scikit-learn dependencies (examples/sklearn-joblib), and what a second study of the same
function saves by reusing its built dependencies.

    .venv/bin/python bench/bench_function.py [--cold-starts 5] [--memory 1024]

- Bare import on the host: ``python -S`` importing the function's module (joblib loading the
  model, scikit-learn with it) from the very folders an instance gets (its package and the
  host's dependency folder), page cache warm, median of ``--cold-starts`` runs.
- Emulator cold start: the function hosted at ``--memory`` MB (CPU limited by memory where
  cgroups allow, init burst as ``emulator up``'s default, no network path), one request, then
  the instance reclaimed, ``--cold-starts`` times: the REPORT line's Init Duration and the
  client's latency. Their difference from the bare import is the emulator's overhead per cold
  start (process start, awslambdaric, the Runtime API, the page cache an instance reads cold).
  The package is unpacked once per emulator run, before the first cold start's runtime
  starts: its time is reported apart (``package_unpacks_ms``).
- Time to first request: ``build_function_package`` plus the host's dependency folder, in a
  fresh project (pip installs the wheels: from PyPI or pip's cache) and again (both cached).
Prints a table and writes bench/results-function.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
EXAMPLE = REPO / "examples" / "sklearn-joblib"


def _stack_file(root: Path, memory_mb: int) -> Path:
    from stack._function import function_stack_text

    (root / "Pulumi.yaml").write_text("name: lambda-model-study\nruntime: python\n")
    stack_file = root / "Pulumi.sklearn.yaml"
    stack_file.write_text(
        function_stack_text(
            code=str(EXAMPLE),
            handler="app.lambda_handler",
            runtime="python3.12",
            memory_mb=memory_mb,
            authorization="none",
        )
    )
    return stack_file


def _prepare(root: Path, memory_mb: int) -> tuple[Any, Any, Path | None, float]:
    from stack import load_stack_file
    from stack._functionpackage import build_function_package, host_dependencies

    settings = load_stack_file(_stack_file(root, memory_mb))
    started = time.perf_counter()
    package = build_function_package(settings, root=root)
    deps = host_dependencies(settings, root=root)
    return settings, package, deps, time.perf_counter() - started


def bare_import_ms(deps: Path | None, runs: int) -> float:
    probe = (
        "import sys, time; t = time.perf_counter(); import app; "
        "print((time.perf_counter() - t) * 1000)"
    )
    path = os.pathsep.join(str(p) for p in (deps, EXAMPLE) if p is not None)
    times = []
    for _ in range(runs):
        done = subprocess.run(
            [sys.executable, "-S", "-c", probe],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONPATH": path},
            cwd=EXAMPLE,
        )
        times.append(float(done.stdout.strip()))
    return statistics.median(times)


async def emulator_cold_starts(
    settings: Any, package: Any, deps: Path | None, work: Path, runs: int
) -> list[dict[str, Any]]:
    import httpx

    from emulator import Emulator, EmulatorOptions, read_events
    from emulator._stacks import spec_from_function_stack
    from report._reportline import read_report_lines

    spec = spec_from_function_stack(settings, package, deps)
    options = EmulatorOptions(
        work_dir=work / "emulator", log_dir=work / "logs", python_env_dir=work / "python-runtime"
    )
    body = json.loads((EXAMPLE / "requests.json").read_text())[0]["body"]
    found: list[dict[str, Any]] = []
    async with Emulator([spec], options) as emu, httpx.AsyncClient(timeout=60) as client:
        for _ in range(runs):
            started = time.perf_counter()
            answer = await client.post(f"{emu.urls[spec.name]}/predict", json=body)
            latency_ms = (time.perf_counter() - started) * 1000
            emu.reclaim_idle()
            await emu.wait_gone()
            # A failed cold start (on a loaded host, init can pass Lambda's 10 s limit) is
            # counted, not fatal: the others still measure.
            found.append({"client_ms": latency_ms, "status": answer.status_code})
        log = (options.log_dir / f"{spec.name}.log").read_text().splitlines()
    # Unpacked once per run, before the first cold start's runtime starts (docs/emulator.md).
    unpacks = [
        e
        for e in read_events(options.log_dir / f"{spec.name}.events.jsonl")
        if e["event"] == "package_unpacked"
    ]
    inits = [r.init_duration_ms for r in read_report_lines(log) if r.init_duration_ms]
    served = [entry for entry in found if entry["status"] == 200]
    if len(inits) == len(served):
        for entry, init_ms in zip(served, inits, strict=True):
            entry["init_duration_ms"] = init_ms
    else:
        found.append({"init_durations_ms": inits})  # not one per request: listed apart
    found.append({"package_unpacks_ms": [e.get("elapsed_ms") for e in unpacks]})
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cold-starts", type=int, default=5)
    parser.add_argument("--memory", type=int, default=1024)
    args = parser.parse_args()
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="bench-function-") as scratch:
        root = Path(scratch)
        settings, package, deps, first_s = _prepare(root, args.memory)
        _settings, _package, _deps, second_s = _prepare(root, args.memory)
        bare_ms = bare_import_ms(deps, args.cold_starts)
        colds = asyncio.run(emulator_cold_starts(settings, package, deps, root, args.cold_starts))
    inits = [c["init_duration_ms"] for c in colds if c.get("init_duration_ms") is not None]
    inits = inits or next((c["init_durations_ms"] for c in colds if "init_durations_ms" in c), [])
    clients = [c["client_ms"] for c in colds if c.get("status") == 200]
    failed = sum(1 for c in colds if c.get("status") not in (None, 200))
    init_ms = statistics.median(inits) if inits else None
    result = {
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "function": "examples/sklearn-joblib",
        "memory_mb": args.memory,
        "package_bytes": package.size_bytes,
        "unzipped_bytes": package.unzipped_bytes,
        "bare_import_ms": round(bare_ms, 1),
        "init_duration_ms": round(init_ms, 1) if init_ms is not None else None,
        "cold_client_ms": round(statistics.median(clients), 1) if clients else None,
        "overhead_ms": round(init_ms - bare_ms, 1) if init_ms is not None else None,
        "cold_starts": [c for c in colds if "package_unpacks_ms" not in c],
        # the package unpacked once per run (docs/emulator.md): its first cold start waited
        "package_unpacks_ms": next(
            (c["package_unpacks_ms"] for c in colds if "package_unpacks_ms" in c), []
        ),
        "failed_cold_starts": failed,
        "first_build_s": round(first_s, 2),
        "second_build_s": round(second_s, 3),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}",
        # The host is shared: its 1-minute load average before and after says how much.
        "load_average_1m": [round(load_before[0], 2), round(os.getloadavg()[0], 2)],
    }
    print(f"bare import on the host      {result['bare_import_ms']} ms (median)")
    print(
        f"emulator Init Duration       {result['init_duration_ms']} ms (median of "
        f"{len(inits)}), cold request {result['cold_client_ms']} ms, {failed} failed"
    )
    print(f"emulator overhead per cold   {result['overhead_ms']} ms")
    print(f"package unpacked (once)      {result['package_unpacks_ms']} ms")
    print(
        f"build (package + host deps)  first {result['first_build_s']} s, "
        f"again {result['second_build_s']} s"
    )
    print(f"load average (1 min)         {result['load_average_1m']} (before, after)")
    (REPO / "bench" / "results-function.json").write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
