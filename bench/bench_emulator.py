"""Emulator benchmark: cold start of each study stack vs a hello-world function of the same
runtime and memory, the warm round trip at 1 user, and the emulator's own overhead per request
at 1 and 18 users behind the study's network path.

    .venv/bin/python bench/bench_emulator.py [--rounds 5] [--warm-requests 2000] [--overhead-only]
                                             [--stacks python-512 ...] [--init-cpu burst|share]

The overhead is what a request costs beyond the network path it is given: client latency minus
the stated path (front door + Runtime API + runtime client + the client itself), with a
hello-world Python function at 1,769 MB (one full vCPU: its CPU share is not what is measured).

The emulator runs in its own process (so the client does not share its event loop); the client
is a keep-alive ``http.client`` connection. Cold starts are forced by reclaiming idle instances
between rounds. Prints a table and writes bench/results-emulator.json.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import http.client
import json
import multiprocessing as mp
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

STUDY = ["python-256", "python-512", "python-1024", "java-256", "java-512", "java-1024"]

# Hello-world functions of each runtime, used when bench/hello/ does not provide them.
HELLO_PY = '''
def handler(event, context):
    return {"statusCode": 200, "headers": {"content-type": "text/plain"}, "body": "hello"}
'''
HELLO_JAVA = '''
package hello;

import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

public class Handler {
    public void handleRequest(InputStream in, OutputStream out) throws Exception {
        in.readAllBytes();
        out.write("{\\"statusCode\\":200,\\"body\\":\\"hello\\"}".getBytes(StandardCharsets.UTF_8));
    }
}
'''


def _hello_python(tmp: Path) -> tuple[Path, str]:
    source = REPO / "bench" / "hello" / "python" / "app.py"
    out = tmp / "hello-python.zip"
    with zipfile.ZipFile(out, "w") as archive:
        if source.is_file():
            archive.write(source, "app.py")
        else:
            archive.writestr("app.py", HELLO_PY)
    return out, "app.handler"


def _hello_java(tmp: Path) -> tuple[Path, str]:
    classes = tmp / "hello-classes"
    classes.mkdir()
    # The function's sources only (bench/hello/java/launcher is a stand-alone launcher).
    provided = sorted((REPO / "bench" / "hello" / "java" / "src").rglob("*.java"))
    handler = "hello.Handler::handleRequest"
    if provided:
        sources = [str(p) for p in provided]
    else:
        src = tmp / "Handler.java"
        src.write_text(HELLO_JAVA)
        sources = [str(src)]
    javac = shutil.which("javac")
    if javac is None:
        raise SystemExit("javac not found: install a JDK 17+ to run the Java half of this "
                         "benchmark")
    subprocess.run([javac, "--release", "17", "-d", str(classes), *sources], check=True)
    out = tmp / "hello-java.zip"
    with zipfile.ZipFile(out, "w") as archive:
        for path in sorted(classes.rglob("*.class")):
            archive.write(path, path.relative_to(classes).as_posix())
    return out, handler


def _artifact(tmp: Path) -> Path:
    built = REPO / "build" / "model.zip"
    if built.is_file():
        return built
    model = json.loads((REPO / "tests" / "vectors" / "http.json").read_text())["model"]
    from model import write_artifact

    return write_artifact(tmp / "model.zip", model)


def _receive(parent: Any, proc: Any, timeout_s: float = 300.0) -> Any:
    """The emulator process's next message; a clear error, not a hang, if it died or stalled."""
    if not parent.poll(timeout_s):
        state = "exited with " + str(proc.exitcode) if not proc.is_alive() else "is stalled"
        raise SystemExit(f"the emulator process {state}: no answer in {timeout_s:g} s")
    return parent.recv()


def _serve(specs: list[Any], work: str, conn: Any, cpu_limits: bool, init_cpu: str = "burst",
           network: dict[str, float] | None = None) -> None:
    """The emulator process: host the specs, answer 'reclaim' and 'stop' commands."""
    from emulator import Emulator, EmulatorOptions, FunctionSpec

    specs = [FunctionSpec(**fields) for fields in specs]

    async def main() -> None:
        options = EmulatorOptions(work_dir=Path(work) / "work", log_dir=Path(work) / "logs",
                                  cpu_limits=cpu_limits, init_cpu=init_cpu, **(network or {}))
        async with Emulator(specs, options) as emu:
            conn.send({"urls": emu.urls, "cpu_limited": emu.cpu_limited,
                       "reason": emu.cpu_limit_reason})
            loop = asyncio.get_running_loop()
            while True:
                command = await loop.run_in_executor(None, conn.recv)
                if command == "stop":
                    break
                emu.reclaim_idle()
                await emu.wait_gone()
                conn.send("ok")

    asyncio.run(main())


def _request(conn: http.client.HTTPConnection, path: str) -> tuple[float, dict[str, str]]:
    started = time.perf_counter()
    conn.request("GET", path)
    response = conn.getresponse()
    response.read()
    elapsed_ms = (time.perf_counter() - started) * 1000.0
    if response.status != 200:
        raise RuntimeError(f"GET {path} answered {response.status}")
    return elapsed_ms, {k.lower(): v for k, v in response.getheaders()}


def _connect(url: str) -> http.client.HTTPConnection:
    parts = urlsplit(url)
    return http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


#: the study's network path (emulator up's defaults): the overhead is measured on top of it
OVERHEAD_PATH = {"client_rtt_ms": 80.0, "gateway_latency_ms": 10.0}
NO_PATH = {"client_rtt_ms": 0.0, "gateway_latency_ms": 0.0}


def _overhead(tmp: Path, *, requests_per_user: int, cpu_limits: bool,
              path: dict[str, float] = OVERHEAD_PATH) -> dict[str, Any]:
    """Client latency beyond the network path, and the emulator's CPU, at 1 and 18 users."""
    import threading

    from emulator import FunctionSpec

    hello_py, handler = _hello_python(tmp)
    spec = FunctionSpec(name="hello-overhead", language="python", memory_mb=1769, timeout_s=30.0,
                        handler=handler, code_zip=hello_py, routes=None)
    plain = [{f.name: getattr(spec,
                              f.name) for f in dataclasses.fields(spec)} | {"environment": {}}]
    added_ms = path["client_rtt_ms"] + path["gateway_latency_ms"]
    out: dict[str, Any] = {"network_path_ms": added_ms}
    for users in (1, 18):
        work = tmp / f"overhead-{users}"
        parent, child = mp.get_context("spawn").Pipe()
        proc = mp.get_context("spawn").Process(target=_serve,
                                               args=(plain, str(work), child, cpu_limits,
                                                     "burst", path),
                                               daemon=True)
        proc.start()
        url = _receive(parent, proc)["urls"]["hello-overhead"]
        samples: list[float] = []
        lock = threading.Lock()

        def user(count: int, url: str = url, samples: list[float] = samples,
                 lock: threading.Lock = lock) -> None:
            conn = _connect(url)
            _request(conn, "/")  # this user's instance, cold, out of the way
            mine = [_request(conn, "/")[0] for _ in range(count)]
            conn.close()
            with lock:
                samples.extend(mine)

        threads = [threading.Thread(target=user, args=(requests_per_user,)) for _ in range(users)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        parent.send("stop")
        proc.join(timeout=60)
        lines = [json.loads(line)
                 for line in (work / "logs" / "hello-overhead.cpu.jsonl").read_text().splitlines()]
        # The seconds that served requests: start-up, the cold start and shutdown are not per
        # request.
        busy = [line for line in lines if line["requests"] > 0][1:]
        cpu_ms = sum(line["emulator_cpu_ms"] for line in busy)
        served = sum(line["requests"] for line in busy)
        beyond = [s - added_ms for s in samples]
        out[str(users)] = {
            "requests": len(samples),
            "overhead_p50_ms": round(_pct(beyond, 0.5), 3),
            "overhead_p90_ms": round(_pct(beyond, 0.9), 3),
            "overhead_p99_ms": round(_pct(beyond, 0.99), 3),
            "emulator_cpu_us_per_request": round(cpu_ms * 1000.0 / served, 1) if served else None,
        }
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="cold starts per function")
    parser.add_argument("--warm-requests", type=int, default=2000, help="requests per warm run")
    parser.add_argument("--no-cpu-limits", action="store_true",
                        help="run instances unthrottled (shows the emulator's own overhead)")
    parser.add_argument("--overhead-requests", type=int, default=300,
                        help="requests per user in the overhead runs (default 300)")
    parser.add_argument("--no-network-path", action="store_true",
                        help="measure the overhead with no network path (the emulator as before "
                             "it)")
    parser.add_argument("--overhead-only", action="store_true",
                        help="run only the overhead part (updates it in the results file)")
    parser.add_argument("--stacks", nargs="+", default=STUDY, metavar="STACK",
                        help="study stacks to measure (default: the six)")
    parser.add_argument("--init-cpu", choices=("burst", "share"), default="burst",
                        help="the emulator's init-phase CPU model (docs/emulator.md)")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results-emulator.json")
    args = parser.parse_args()

    if args.overhead_only:
        tmp = Path(tempfile.mkdtemp(prefix="bench-emulator-"))
        try:
            overhead = _overhead(tmp, requests_per_user=args.overhead_requests,
                                 cpu_limits=not args.no_cpu_limits,
                                 path=NO_PATH if args.no_network_path else OVERHEAD_PATH)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        previous = json.loads(
            args.out.read_text()) if args.out.is_file() else {"benchmark": "emulator"}
        previous["overhead_no_network_path" if args.no_network_path
                 else "overhead"] = overhead | {"date": time.strftime(
                     "%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        args.out.write_text(json.dumps(previous, indent=2) + "\n")
        _print_overhead(overhead)
        return 0

    from emulator import FunctionSpec
    from emulator._stacks import spec_from_stack
    from report._reportline import read_report_lines
    from stack import build_package, load_stack

    tmp = Path(tempfile.mkdtemp(prefix="bench-emulator-"))
    try:
        artifact = _artifact(tmp)
        hello_py, hello_py_handler = _hello_python(tmp)
        hello_java, hello_java_handler = _hello_java(tmp)
        specs: list[Any] = []
        paths: dict[str, str] = {}
        pairs: list[tuple[str, str]] = []
        for name in args.stacks:
            settings = load_stack(name, REPO)
            package = build_package(settings, artifact=artifact, out_dir=tmp / "packages",
                                    root=REPO)
            # An open gateway: the hello-world pairs have none, and the signature check's own
            # cost is measured apart (bench_signing.py).
            specs.append(dataclasses.replace(spec_from_stack(settings, package),
                                             authorization="none"))
            paths[name] = "/health"
            hello = f"hello-{settings.language}-{settings.memory_mb}"
            zip_path, handler = ((hello_py, hello_py_handler) if settings.language == "python"
                                 else (hello_java, hello_java_handler))
            specs.append(FunctionSpec(name=hello, language=settings.language,
                                      memory_mb=settings.memory_mb,
                                      timeout_s=30.0, handler=handler, code_zip=zip_path,
                                      routes=None))
            paths[hello] = "/"
            pairs.append((name, hello))

        parent, child = mp.get_context("spawn").Pipe()
        # Specs cross the process boundary as plain fields (their environment is read-only).
        plain = [{f.name: getattr(s, f.name) for f in dataclasses.fields(s)}
                 | {"environment": dict(s.environment)}
                 for s in specs]
        proc = mp.get_context("spawn").Process(target=_serve,
                                               args=(plain, str(tmp), child,
                                                     not args.no_cpu_limits, args.init_cpu),
                                               daemon=True)
        proc.start()
        info = _receive(parent, proc)
        urls: dict[str, str] = info["urls"]
        cold_client: dict[str, list[float]] = {n: [] for n in urls}
        for _ in range(args.rounds):
            for name, url in urls.items():
                parent.send("reclaim")
                _receive(parent, proc)
                conn = _connect(url)
                elapsed_ms, _headers = _request(conn, paths[name])
                conn.close()
                cold_client[name].append(elapsed_ms)
        warm: dict[str, dict[str, float]] = {}
        for name in [n for n in ("python-512", "hello-python-512", "java-512", "hello-java-512")
                     if n in urls]:
            conn = _connect(urls[name])
            for _ in range(200):
                _request(conn, paths[name])
            samples = [_request(conn, paths[name])[0] for _ in range(args.warm_requests)]
            conn.close()
            warm[name] = {"p50_ms": round(_pct(samples, 0.5), 3),
                          "p90_ms": round(_pct(samples, 0.9), 3),
                          "p99_ms": round(_pct(samples, 0.99), 3),
                          "mean_ms": round(statistics.fmean(samples), 3)}
        parent.send("stop")
        proc.join(timeout=60)
        overhead = _overhead(tmp, requests_per_user=args.overhead_requests,
                             cpu_limits=not args.no_cpu_limits)

        init: dict[str, list[float]] = {}
        for name in urls:
            lines = (tmp / "logs" / f"{name}.log").read_text().splitlines()
            init[name] = [r.init_duration_ms for r in read_report_lines(lines)
                          if r.init_duration_ms is not None]

        def med(values: list[float]) -> float:
            return round(statistics.median(values), 2) if values else float("nan")

        rows = []
        for stack_name, hello in pairs:
            rows.append({
                "stack": stack_name,
                "hello": hello,
                "init_ms_p50": med(init[stack_name]),
                "hello_init_ms_p50": med(init[hello]),
                "init_ratio": round(med(init[stack_name]) / med(init[hello]), 2),
                "cold_client_ms_p50": med(cold_client[stack_name]),
                "hello_cold_client_ms_p50": med(cold_client[hello]),
            })
        result = {
            "benchmark": "emulator",
            "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "machine": {"platform": platform.platform(), "cpus": mp.cpu_count(),
                        "python": platform.python_version()},
            "cpu_limited": info["cpu_limited"],
            "cpu_limit_reason": info["reason"],
            "init_cpu": args.init_cpu,
            "rounds": args.rounds,
            "cold_starts": rows,
            "warm_round_trip_1_user": warm,
            "warm_goal_python_p50_ms": 1.0,
            "overhead": overhead,
        }
        args.out.write_text(json.dumps(result, indent=2) + "\n")
        print(f"cold starts (median of {args.rounds}; Init Duration from REPORT lines, client = "
              "first request):")
        print(f"{'stack':<12} {'init ms':>9} {'hello init':>11} {'ratio':>6} {'client ms':>10} "
              f"{'hello client':>13}")
        for r in rows:
            print(f"{r['stack']:<12} {r['init_ms_p50']:>9} {r['hello_init_ms_p50']:>11} "
                  f"{r['init_ratio']:>6} {r['cold_client_ms_p50']:>10} "
                  f"{r['hello_cold_client_ms_p50']:>13}")
        print(f"warm round trip, 1 user, {args.warm_requests} requests (client side, ms):")
        for name, w in warm.items():
            print(f"{name:<18} p50 {w['p50_ms']:>7}  p90 {w['p90_ms']:>7}  p99 {w['p99_ms']:>7}")
        _print_overhead(overhead)
        print(f"CPU limited: {info['cpu_limited']} ({info['reason']}); init CPU: {args.init_cpu}; "
              f"wrote {args.out}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


def _print_overhead(overhead: dict[str, Any]) -> None:
    print(f"emulator overhead per request beyond the {overhead['network_path_ms']:g} ms network "
          "path "
          "(hello world, 1,769 MB; goal p50 <= 1 ms at 1 user, <= 2 ms at 18):")
    for users in ("1", "18"):
        o = overhead[users]
        print(f"  {users:>2} users: p50 {o['overhead_p50_ms']} ms  p90 {o['overhead_p90_ms']} ms  "
              f"p99 {o['overhead_p99_ms']} ms  emulator CPU {o['emulator_cpu_us_per_request']} "
              "µs/request "
              f"({o['requests']} requests)")


if __name__ == "__main__":
    sys.exit(main())
