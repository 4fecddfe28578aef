"""Emulator benchmark: cold start of each study stack vs a hello-world function of the same
runtime and memory, the warm round trip at 1 user, and the emulator's own overhead per request
at 1 and 18 users behind the study's network path.

    .venv/bin/python bench/bench_emulator.py [--rounds 5] [--warm-requests 2000] [--overhead-only]
                                             [--overhead-repeats 3] [--stacks python-512 ...]
                                             [--init-cpu burst|share]

The overhead is what the emulator adds to a request beyond what it is told to add and what the
function itself takes: per request, client latency - the configured network path - the
function's Duration from its REPORT line; its p50 at 1 and 18 closed-loop users, with a
hello-world Python function at 1,769 MB (one full vCPU: its CPU share is not what is measured).
Each user count runs ``--overhead-repeats`` times and the run during which the host's CPUs were
least busy is kept (every run's p50 is reported as the spread). Beside it: a per-hop breakdown
(every process stamps CLOCK_MONOTONIC: the client, the emulator through wrappers at its hop
points, the function in a response header) and the host's own wake-up floor (a trivial asyncio
sleep loop, and a process woken through a pipe after an idle wait), which no emulator can go
below.

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
import os
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
HELLO_PY = """
def handler(event, context):
    return {"statusCode": 200, "headers": {"content-type": "text/plain"}, "body": "hello"}
"""
HELLO_JAVA = """
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
"""


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
        raise SystemExit(
            "javac not found: install a JDK 17+ to run the Java half of this benchmark"
        )
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


def _serve(
    specs: list[Any],
    work: str,
    conn: Any,
    cpu_limits: bool,
    init_cpu: str = "burst",
    network: dict[str, float] | None = None,
    hop_probes: bool = False,
) -> None:
    """The emulator process: host the specs, answer 'reclaim', 'hops' and 'stop' commands."""
    from emulator import Emulator, EmulatorOptions, FunctionSpec

    specs = [FunctionSpec(**fields) for fields in specs]
    hops = _install_hop_probes() if hop_probes else ({}, {})

    path = network or NO_PATH

    async def main() -> None:
        options = EmulatorOptions(
            work_dir=Path(work) / "work",
            log_dir=Path(work) / "logs",
            cpu_limits=cpu_limits,
            init_cpu=init_cpu,
            client_rtt_ms=path["client_rtt_ms"],
            gateway_latency_ms=path["gateway_latency_ms"],
        )
        async with Emulator(specs, options) as emu:
            conn.send(
                {"urls": emu.urls, "cpu_limited": emu.cpu_limited, "reason": emu.cpu_limit_reason}
            )
            loop = asyncio.get_running_loop()
            while True:
                command = await loop.run_in_executor(None, conn.recv)
                if command == "stop":
                    break
                if command == "hops":
                    conn.send(hops)
                    continue
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
    if parts.hostname is None:
        raise ValueError(f"not an http://HOST:PORT URL: {url!r}")
    return http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


#: the study's network path (emulator up's defaults): the overhead is measured on top of it
OVERHEAD_PATH = {"client_rtt_ms": 80.0, "gateway_latency_ms": 10.0}
NO_PATH = {"client_rtt_ms": 0.0, "gateway_latency_ms": 0.0}

#: the overhead runs' hello world: it also names its Lambda request id (which REPORT line is its
#: own) and says when its handler ran (hop E of the breakdown; every process reads the same
#: CLOCK_MONOTONIC)
HELLO_TIMED = """
import time


def handler(event, context):
    ran = time.monotonic()
    return {"statusCode": 200, "body": "hello",
            "headers": {"content-type": "text/plain", "x-request-id": context.aws_request_id,
                        "x-handler-monotonic": repr(ran)}}
"""

#: the breakdown's segments (hops: A client sends, B front door has the request, C the way-in half
#: ends and the gateway invokes, D the Runtime API answers the runtime's ``next``, E the handler
#: runs, F the runtime has posted its result, G the front door has the response, H the way-out
#: half ends and the reply is written, I the client has it); d is the path, p50 of each
SEGMENTS = (
    ("client send -> front door (B-A)", "B-A"),
    ("way in beyond d/2 (C-B-d/2)", "C-B-h"),
    ("gateway invokes -> next answered (D-C)", "D-C"),
    ("next answered -> handler runs (E-D, in Duration)", "E-D"),
    ("handler -> result posted (F-E, in Duration)", "F-E"),
    ("REPORT Duration (D..F)", "Duration"),
    ("result -> front door has it (G-F)", "G-F"),
    ("way out beyond d/2 from the result (H-F-d/2)", "H-F-h"),
    ("reply written -> client has it (I-H)", "I-H"),
)


def _install_hop_probes() -> tuple[dict[str, dict[str, float]], dict[str, dict[str, float]]]:
    """Wrap the emulator's hop points to stamp each request's times (CLOCK_MONOTONIC).

    Diagnostics only: the wrappers cost a few microseconds per request. Returns the records by
    API Gateway id (B, C, G, H) and by Lambda request id (D, F), filled as requests pass.
    """
    import contextvars

    from emulator.gateway import _frontdoor
    from emulator.lambda_service import _host

    by_apigw: dict[str, dict[str, float]] = {}
    by_lambda: dict[str, dict[str, float]] = {}
    current: contextvars.ContextVar[dict[str, float]] = contextvars.ContextVar("hops")
    door, host = _frontdoor.FrontDoor, _host.FunctionHost
    handle, integrate = door.handle, door._integrate
    handed_off, result_posted = host.handed_off, host.result_posted

    async def traced_handle(self: Any, request: Any) -> Any:
        record = {"B": time.monotonic()}
        current.set(record)
        response = await handle(self, request)
        record["H"] = time.monotonic()
        by_apigw[response.headers.get("apigw-requestid", "")] = record
        return response

    async def traced_integrate(self: Any, payload: bytes, apigw_id: str) -> Any:
        record = current.get()
        record["C"] = time.monotonic()
        answer = await integrate(self, payload, apigw_id)
        record["G"] = time.monotonic()
        return answer

    def traced_handed_off(self: Any, inst: Any, inv: Any) -> Any:
        by_lambda[inv.request_id] = {"D": time.monotonic()}
        return handed_off(self, inst, inv)

    def traced_result_posted(
        self: Any, inst: Any, request_id: str, body: bytes, *, error_type: str | None
    ) -> Any:
        by_lambda.setdefault(request_id, {})["F"] = time.monotonic()
        return result_posted(self, inst, request_id, body, error_type=error_type)

    door.handle = traced_handle  # type: ignore[method-assign]
    door._integrate = traced_integrate  # type: ignore[method-assign]
    host.handed_off = traced_handed_off  # type: ignore[method-assign]
    host.result_posted = traced_result_posted  # type: ignore[method-assign]
    return by_apigw, by_lambda


def _host_floor(idle_s: float, count: int = 60) -> dict[str, float]:
    """What this host itself costs a wake-up after an idle wait, whatever runs on it.

    ``asyncio_sleep_late_ms``: how late a trivial asyncio loop's ``sleep(idle_s)`` returns (the
    selector's whole milliseconds plus the host's timer wake-up); ``process_wake_ms``: how long a
    process blocked on a pipe for ``idle_s`` takes to run after another writes to it (each
    request crosses such hand-offs: client to front door, Runtime API to runtime, and back).
    """
    late: list[float] = []

    async def sleeps() -> None:
        for _ in range(count):
            started = time.monotonic()
            await asyncio.sleep(idle_s)
            late.append((time.monotonic() - started - idle_s) * 1000.0)

    asyncio.run(sleeps())
    echo = (
        "import os, sys, time\n"
        "while os.read(0, 1):\n"
        "    os.write(1, repr(time.monotonic()).encode().ljust(32))\n"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", echo], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    assert child.stdin is not None and child.stdout is not None
    wake: list[float] = []
    try:
        for _ in range(count):
            time.sleep(idle_s)
            sent = time.monotonic()
            os.write(child.stdin.fileno(), b"x")
            woke = float(os.read(child.stdout.fileno(), 32))
            wake.append((woke - sent) * 1000.0)
    finally:
        child.stdin.close()
        child.wait(timeout=10)
    return {
        "idle_ms": idle_s * 1000.0,
        "asyncio_sleep_late_p50_ms": round(_pct(late, 0.5), 3),
        "process_wake_p50_ms": round(_pct(wake, 0.5), 3),
    }


def _overhead_run(
    tmp: Path, *, users: int, requests_per_user: int, cpu_limits: bool, path: dict[str, float]
) -> dict[str, Any]:
    """One run at ``users`` closed-loop users: the overhead per request and its breakdown."""
    import threading

    from emulator import FunctionSpec
    from loadgen.engine._hostcpu import HostCpu
    from report._reportline import read_report_lines

    work = tmp / f"overhead-{users}"
    work.mkdir(parents=True)
    code = work / "hello-timed.zip"
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("app.py", HELLO_TIMED)
    spec = FunctionSpec(
        name="hello-overhead",
        language="python",
        memory_mb=1769,
        timeout_s=30.0,
        handler="app.handler",
        code_zip=code,
        routes=None,
    )
    plain = [
        {f.name: getattr(spec, f.name) for f in dataclasses.fields(spec)} | {"environment": {}}
    ]
    added_ms = path["client_rtt_ms"] + path["gateway_latency_ms"]
    parent, child = mp.get_context("spawn").Pipe()
    proc = mp.get_context("spawn").Process(
        target=_serve, args=(plain, str(work), child, cpu_limits, "burst", path, True), daemon=True
    )
    proc.start()
    url = _receive(parent, proc)["urls"]["hello-overhead"]
    client: list[dict[str, Any]] = []
    lock = threading.Lock()

    def user(count: int) -> None:
        conn = _connect(url)
        _request(conn, "/")  # this user's instance, cold, out of the way
        mine = []
        for _ in range(count):
            sent = time.monotonic()
            _, headers = _request(conn, "/")
            mine.append(
                {
                    "A": sent,
                    "I": time.monotonic(),
                    "apigw": headers["apigw-requestid"],
                    "lambda": headers["x-request-id"],
                    "E": float(headers["x-handler-monotonic"]),
                }
            )
        conn.close()
        with lock:
            client.extend(mine)

    host = HostCpu()
    threads = [threading.Thread(target=user, args=(requests_per_user,)) for _ in range(users)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    host.sample()
    parent.send("hops")
    by_apigw, by_lambda = _receive(parent, proc)
    parent.send("stop")
    proc.join(timeout=60)
    duration_ms = {
        r.request_id: r.duration_ms
        for r in read_report_lines((work / "logs" / "hello-overhead.log").read_text().splitlines())
    }
    lines = [
        json.loads(line)
        for line in (work / "logs" / "hello-overhead.cpu.jsonl").read_text().splitlines()
    ]
    # The seconds that served requests: start-up, the cold start and shutdown are not per request.
    busy = [line for line in lines if line["requests"] > 0][1:]
    cpu_ms = sum(line["emulator_cpu_ms"] for line in busy)
    served = sum(line["requests"] for line in busy)

    half_ms = added_ms / 2
    overhead: list[float] = []
    beyond: list[float] = []
    segments: dict[str, list[float]] = {key: [] for _, key in SEGMENTS}
    for c in client:
        hop = {**c, **by_apigw[c["apigw"]], **by_lambda[c["lambda"]]}
        ms = {k: v * 1000.0 for k, v in hop.items() if isinstance(v, float)}
        duration = duration_ms[c["lambda"]]
        latency = ms["I"] - ms["A"]
        beyond.append(latency - added_ms)
        overhead.append(latency - added_ms - duration)
        for key, value in (
            ("B-A", ms["B"] - ms["A"]),
            ("C-B-h", ms["C"] - ms["B"] - half_ms),
            ("D-C", ms["D"] - ms["C"]),
            ("E-D", ms["E"] - ms["D"]),
            ("F-E", ms["F"] - ms["E"]),
            ("Duration", duration),
            ("G-F", ms["G"] - ms["F"]),
            ("H-F-h", ms["H"] - ms["F"] - half_ms),
            ("I-H", ms["I"] - ms["H"]),
        ):
            segments[key].append(value)
    return {
        "requests": len(client),
        "overhead_p50_ms": round(_pct(overhead, 0.5), 3),
        "overhead_p90_ms": round(_pct(overhead, 0.9), 3),
        "overhead_p99_ms": round(_pct(overhead, 0.99), 3),
        "beyond_path_p50_ms": round(_pct(beyond, 0.5), 3),
        "duration_p50_ms": round(_pct(segments["Duration"], 0.5), 3),
        "breakdown_p50_ms": {key: round(_pct(values, 0.5), 3) for key, values in segments.items()},
        "emulator_cpu_us_per_request": round(cpu_ms * 1000.0 / served, 1) if served else None,
        "host_busy_share": round(host.samples[0], 3) if host.samples else None,
    }


def _overhead(
    tmp: Path,
    *,
    requests_per_user: int,
    cpu_limits: bool,
    repeats: int = 3,
    path: dict[str, float] = OVERHEAD_PATH,
) -> dict[str, Any]:
    """The emulator's overhead per request at 1 and 18 users, the quietest of ``repeats`` runs.

    overhead = client latency - the configured path - the function's own Duration (its REPORT
    line), per request; the figures are its percentiles. "Quietest": the run during which the
    host's CPUs were least busy (other people's work included); every run's p50 is kept as the
    spread. The host's own wake-up floor is measured beside it.
    """
    added_ms = path["client_rtt_ms"] + path["gateway_latency_ms"]
    out: dict[str, Any] = {
        "network_path_ms": added_ms,
        "repeats": repeats,
        "definition": "client latency - network path - REPORT Duration, "
        "per request (hello world at 1,769 MB)",
    }
    floors = []
    for users in (1, 18):
        runs = []
        for repeat in range(repeats):
            runs.append(
                _overhead_run(
                    tmp / f"r{repeat}",
                    users=users,
                    requests_per_user=requests_per_user,
                    cpu_limits=cpu_limits,
                    path=path,
                )
            )
            if users == 1:
                floors.append(_host_floor(max(added_ms / 2, 1.0) / 1000.0))
        quietest = min(range(repeats), key=lambda i: runs[i]["host_busy_share"] or 0.0)
        out[str(users)] = runs[quietest] | {
            "spread_p50_ms": sorted(r["overhead_p50_ms"] for r in runs)
        }
        if users == 1:
            out["host_floor"] = floors[quietest] | {
                "spread_process_wake_p50_ms": sorted(f["process_wake_p50_ms"] for f in floors)
            }
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="cold starts per function")
    parser.add_argument("--warm-requests", type=int, default=2000, help="requests per warm run")
    parser.add_argument(
        "--no-cpu-limits",
        action="store_true",
        help="run instances unthrottled (shows the emulator's own overhead)",
    )
    parser.add_argument(
        "--overhead-requests",
        type=int,
        default=300,
        help="requests per user in the overhead runs (default 300)",
    )
    parser.add_argument(
        "--overhead-repeats",
        type=int,
        default=3,
        help="overhead runs per user count; the quietest is kept (default 3)",
    )
    parser.add_argument(
        "--no-network-path",
        action="store_true",
        help="measure the overhead with no network path (the emulator as before it)",
    )
    parser.add_argument(
        "--overhead-only",
        action="store_true",
        help="run only the overhead part (updates it in the results file)",
    )
    parser.add_argument(
        "--stacks",
        nargs="+",
        default=STUDY,
        metavar="STACK",
        help="study stacks to measure (default: the six)",
    )
    parser.add_argument(
        "--init-cpu",
        choices=("burst", "share"),
        default="burst",
        help="the emulator's init-phase CPU model (docs/emulator.md)",
    )
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results-emulator.json")
    args = parser.parse_args()

    if args.overhead_only:
        tmp = Path(tempfile.mkdtemp(prefix="bench-emulator-"))
        try:
            overhead = _overhead(
                tmp,
                requests_per_user=args.overhead_requests,
                cpu_limits=not args.no_cpu_limits,
                repeats=args.overhead_repeats,
                path=NO_PATH if args.no_network_path else OVERHEAD_PATH,
            )
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        previous = (
            json.loads(args.out.read_text()) if args.out.is_file() else {"benchmark": "emulator"}
        )
        previous["overhead_no_network_path" if args.no_network_path else "overhead"] = overhead | {
            "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        }
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
            package = build_package(
                settings, artifact=artifact, out_dir=tmp / "packages", root=REPO
            )
            # An open gateway: the hello-world pairs have none, and the signature check's own
            # cost is measured apart (bench_signing.py).
            specs.append(
                dataclasses.replace(spec_from_stack(settings, package), authorization="none")
            )
            paths[name] = "/health"
            hello = f"hello-{settings.language}-{settings.memory_mb}"
            zip_path, handler = (
                (hello_py, hello_py_handler)
                if settings.language == "python"
                else (hello_java, hello_java_handler)
            )
            specs.append(
                FunctionSpec(
                    name=hello,
                    language=settings.language,
                    memory_mb=settings.memory_mb,
                    timeout_s=30.0,
                    handler=handler,
                    code_zip=zip_path,
                    routes=None,
                )
            )
            paths[hello] = "/"
            pairs.append((name, hello))

        parent, child = mp.get_context("spawn").Pipe()
        # Specs cross the process boundary as plain fields (their environment is read-only).
        plain = [
            {f.name: getattr(s, f.name) for f in dataclasses.fields(s)}
            | {"environment": dict(s.environment)}
            for s in specs
        ]
        proc = mp.get_context("spawn").Process(
            target=_serve,
            args=(plain, str(tmp), child, not args.no_cpu_limits, args.init_cpu),
            daemon=True,
        )
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
        for name in [
            n for n in ("python-512", "hello-python-512", "java-512", "hello-java-512") if n in urls
        ]:
            conn = _connect(urls[name])
            for _ in range(200):
                _request(conn, paths[name])
            samples = [_request(conn, paths[name])[0] for _ in range(args.warm_requests)]
            conn.close()
            warm[name] = {
                "p50_ms": round(_pct(samples, 0.5), 3),
                "p90_ms": round(_pct(samples, 0.9), 3),
                "p99_ms": round(_pct(samples, 0.99), 3),
                "mean_ms": round(statistics.fmean(samples), 3),
            }
        parent.send("stop")
        proc.join(timeout=60)
        overhead = _overhead(
            tmp,
            requests_per_user=args.overhead_requests,
            cpu_limits=not args.no_cpu_limits,
            repeats=args.overhead_repeats,
        )

        init: dict[str, list[float]] = {}
        for name in urls:
            lines = (tmp / "logs" / f"{name}.log").read_text().splitlines()
            init[name] = [
                r.init_duration_ms
                for r in read_report_lines(lines)
                if r.init_duration_ms is not None
            ]

        def med(values: list[float]) -> float:
            return round(statistics.median(values), 2) if values else float("nan")

        rows = []
        for stack_name, hello in pairs:
            rows.append(
                {
                    "stack": stack_name,
                    "hello": hello,
                    "init_ms_p50": med(init[stack_name]),
                    "hello_init_ms_p50": med(init[hello]),
                    "init_ratio": round(med(init[stack_name]) / med(init[hello]), 2),
                    "cold_client_ms_p50": med(cold_client[stack_name]),
                    "hello_cold_client_ms_p50": med(cold_client[hello]),
                }
            )
        result = {
            "benchmark": "emulator",
            "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "machine": {
                "platform": platform.platform(),
                "cpus": mp.cpu_count(),
                "python": platform.python_version(),
            },
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
        print(
            f"cold starts (median of {args.rounds}; Init Duration from REPORT lines, client = "
            "first request):"
        )
        print(
            f"{'stack':<12} {'init ms':>9} {'hello init':>11} {'ratio':>6} {'client ms':>10} "
            f"{'hello client':>13}"
        )
        for r in rows:
            print(
                f"{r['stack']:<12} {r['init_ms_p50']:>9} {r['hello_init_ms_p50']:>11} "
                f"{r['init_ratio']:>6} {r['cold_client_ms_p50']:>10} "
                f"{r['hello_cold_client_ms_p50']:>13}"
            )
        print(f"warm round trip, 1 user, {args.warm_requests} requests (client side, ms):")
        for name, w in warm.items():
            print(f"{name:<18} p50 {w['p50_ms']:>7}  p90 {w['p90_ms']:>7}  p99 {w['p99_ms']:>7}")
        _print_overhead(overhead)
        print(
            f"CPU limited: {info['cpu_limited']} ({info['reason']}); init CPU: {args.init_cpu}; "
            f"wrote {args.out}"
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


def _print_overhead(overhead: dict[str, Any]) -> None:
    path_ms = overhead["network_path_ms"]
    print(
        f"emulator overhead per request = client latency - the {path_ms:g} ms network path - "
        "REPORT Duration (hello world, 1,769 MB; goal p50 <= 1 ms at 1 user, <= 2 ms at 18; "
        f"quietest of {overhead['repeats']} runs):"
    )
    for users in ("1", "18"):
        o = overhead[users]
        print(
            f"  {users:>2} users: p50 {o['overhead_p50_ms']} ms  p90 {o['overhead_p90_ms']} ms  "
            f"p99 {o['overhead_p99_ms']} ms  (every run's p50: {o['spread_p50_ms']}; host busy "
            f"{o['host_busy_share']}; emulator CPU {o['emulator_cpu_us_per_request']} "
            f"µs/request; {o['requests']} requests)"
        )
    floor = overhead["host_floor"]
    print(
        f"  host floor after {floor['idle_ms']:g} ms idle: a trivial asyncio sleep returns "
        f"{floor['asyncio_sleep_late_p50_ms']} ms late, a process blocked on a pipe runs "
        f"{floor['process_wake_p50_ms']} ms after it is written (p50)"
    )
    print(f"  breakdown, p50 of each hop (ms; d = {path_ms:g} ms):")
    print(f"    {'hop':<52} {'1 user':>8} {'18 users':>9}")
    for label, key in SEGMENTS:
        print(
            f"    {label:<52} {overhead['1']['breakdown_p50_ms'][key]:>8} "
            f"{overhead['18']['breakdown_p50_ms'][key]:>9}"
        )


if __name__ == "__main__":
    sys.exit(main())
