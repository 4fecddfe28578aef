"""Benchmarks of the two functions: init against hello world, warm request, batch of 1,000,
package sizes. Prints the figures and writes bench/results-runtime.json.

    python bench/bench_runtime.py [--repeat 20] [--out bench/results-runtime.json]

Init is "process start to ready", measured from outside, in the same run for the function and
for hello world of the same runtime (bench/hello/), interleaved so machine noise hits both:

- Python, bare: ``python -I -S -B -c "import app"`` on a fresh copy without bytecode caches
  (Lambda's /var/task is read-only, so every cold start compiles the sources).
- Python, bare with bytecode: the same with __pycache__ compiled beforehand (what shipping .pyc
  files in the archive would give; informational, the archive holds sources only).
- Python, under awslambdaric (AWS's runtime interface client, as Lambda runs it): spawn to its
  first ``GET /runtime/invocation/next`` on a stub Runtime API on 127.0.0.1.
- Java: a tiny launcher loads the handler class by name and constructs it (what the managed
  runtime does) and exits, with Lambda's default JVM flags (C1 only, serial GC).

Warm request and batch times are taken inside the process (Python: ``handler`` called in this
interpreter; Java: the test harness's ``bench`` loop), after a warm-up.

The Python function's framework model runtimes (``MODEL_RUNTIME=litert|onnx|tensorflow``) are
timed the same way beside hello world, with the virtualenv's site-packages (they need numpy,
LiteRT, ONNX Runtime or TensorFlow): ``python -B -c "import app"`` (interpreter start,
framework import, export load), ``--framework-repeat`` times each (TensorFlow's import takes
seconds), and their warm request. ``--no-frameworks`` skips them.
"""

from __future__ import annotations

import argparse
import http.server
import importlib.util
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import types
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from model import artifact_bytes
from stack._archive import zip_bytes

PYTHON_RUNTIME = REPO / "runtime" / "python"
HELLO = REPO / "bench" / "hello"
VECTORS = REPO / "tests" / "vectors" / "http.json"
FIXTURE = REPO / "tests" / "runtime" / "model_http.json"
JVM_FLAGS = (
    "-XX:+TieredCompilation",
    "-XX:TieredStopAtLevel=1",
    "-XX:+UseSerialGC",
    "-Xshare:auto",
)
GOALS = {
    "init_ratio_max": 1.25,
    "python_batch_1000_ms_max": 5.0,
    "python_package_kb_max": 64,
    "java_package_kb_max": 128,
}
SPAWN_TIMEOUT_S = 60.0


def _load_build() -> types.ModuleType:
    spec = importlib.util.spec_from_file_location(
        "runtime_java_build", REPO / "runtime/java/build.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _model() -> dict[str, Any]:
    source = VECTORS if VECTORS.is_file() else FIXTURE
    doc = json.loads(source.read_text(encoding="utf-8"))
    return dict(doc.get("model", doc))


def _instances(count: int) -> list[dict[str, Any]]:
    if VECTORS.is_file():
        cases = [c["instance"] for c in json.loads(VECTORS.read_text(encoding="utf-8"))["cases"]]
    else:
        cases = [{"duration": 0, "src_bytes": 181, "dst_bytes": 5450}]
    return [cases[i % len(cases)] for i in range(count)]


def _zipped_kb(files: dict[str, bytes]) -> float:
    """KB of these files zipped as the packager zips a function's archive."""
    return len(zip_bytes(files)) / 1024


def _event(body: str) -> dict[str, Any]:
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": "/predict",
        "rawQueryString": "",
        "headers": {"content-type": "application/json"},
        "requestContext": {
            "http": {"method": "POST", "path": "/predict"},
            "requestId": "bench",
            "stage": "$default",
        },
        "body": body,
        "isBase64Encoded": False,
    }


def _stats_ms(samples_ms: Sequence[float]) -> dict[str, float]:
    ordered = sorted(samples_ms)
    return {
        "median_ms": round(statistics.median(ordered), 3),
        "p90_ms": round(ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))], 3),
        "min_ms": round(ordered[0], 3),
        "n": len(ordered),
    }


def _time_process_ms(command: Sequence[str], env: dict[str, str], cwd: Path | None = None) -> float:
    start = time.perf_counter()
    result = subprocess.run(
        command,
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=SPAWN_TIMEOUT_S,
        check=False,
    )
    elapsed_ms = (time.perf_counter() - start) * 1000
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{result.stderr[-2000:]}")
    return elapsed_ms


def _interleaved(runs: dict[str, Callable[[], float]], repeat: int) -> dict[str, dict[str, float]]:
    samples: dict[str, list[float]] = {name: [] for name in runs}
    for run in runs.values():
        run()  # warm the page cache and the JVM's CDS archive once
    for _ in range(repeat):
        for name, run in runs.items():
            samples[name].append(run())
    return {name: _stats_ms(values) for name, values in samples.items()}


class _StubRuntimeApi(http.server.ThreadingHTTPServer):
    ready_at: dict[int, float]


class _StubHandler(http.server.BaseHTTPRequestHandler):
    server: _StubRuntimeApi

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        if self.path.endswith("/runtime/invocation/next"):
            self.server.ready_at[os.getpid()] = time.perf_counter()
        # Never hand out an invocation: the benchmark stops the process once it is ready.
        self.send_response(503)
        self.send_header("content-length", "0")
        self.end_headers()

    def do_POST(self) -> None:
        self.send_response(202)
        self.send_header("content-length", "0")
        self.end_headers()


@contextmanager
def _stub_runtime_api() -> Iterator[_StubRuntimeApi]:
    server = _StubRuntimeApi(("127.0.0.1", 0), _StubHandler)
    server.ready_at = {}
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
    )
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def _time_under_ric_ms(server: _StubRuntimeApi, function_dir: Path, env: dict[str, str]) -> float:
    key = os.getpid()
    server.ready_at.pop(key, None)
    host, port = server.server_address[:2]
    start = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-B", "-m", "awslambdaric", "app.handler"],
        cwd=function_dir,
        env={
            **env,
            "AWS_LAMBDA_RUNTIME_API": f"{host!s}:{port}",
            "LAMBDA_TASK_ROOT": str(function_dir),
        },
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = start + SPAWN_TIMEOUT_S
        while key not in server.ready_at:
            if process.poll() is not None or time.perf_counter() > deadline:
                raise RuntimeError(f"awslambdaric in {function_dir} never asked for an invocation")
            time.sleep(0.0005)
        return (server.ready_at[key] - start) * 1000
    finally:
        process.kill()
        process.wait(timeout=10)


def _fresh_python_copy(source: Path, target: Path, artifact: bytes | None) -> Path:
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    for path in source.glob("*.py"):
        shutil.copy(path, target / path.name)
    if artifact is not None:
        (target / "model.zip").write_bytes(artifact)
    return target


def bench_python(work: Path, artifact: bytes, repeat: int) -> dict[str, Any]:
    ours = _fresh_python_copy(PYTHON_RUNTIME, work / "py-function", artifact)
    hello = _fresh_python_copy(HELLO / "python", work / "py-hello", None)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MODEL_", "PYTHON"))}
    env["PYTHONDONTWRITEBYTECODE"] = "1"

    def bare(directory: Path) -> Callable[[], float]:
        code = f"import sys; sys.path.insert(0, {str(directory)!r}); import app"
        return lambda: _time_process_ms([sys.executable, "-I", "-S", "-B", "-c", code], env)

    results: dict[str, Any] = {}
    results["init_bare"] = _interleaved({"function": bare(ours), "hello": bare(hello)}, repeat)
    # What shipping bytecode would give: the same copies with __pycache__ compiled up front.
    ours_pyc = _fresh_python_copy(ours, work / "py-function-pyc", None)
    shutil.copy(ours / "model.zip", ours_pyc / "model.zip")
    hello_pyc = _fresh_python_copy(hello, work / "py-hello-pyc", None)
    for directory in (ours_pyc, hello_pyc):
        subprocess.run(
            [sys.executable, "-m", "compileall", "-q", str(directory)],
            check=True,
            timeout=SPAWN_TIMEOUT_S,
        )

    def cached(directory: Path) -> Callable[[], float]:
        code = f"import sys; sys.path.insert(0, {str(directory)!r}); import app"
        return lambda: _time_process_ms([sys.executable, "-I", "-S", "-c", code], env)

    results["init_bare_with_bytecode"] = _interleaved(
        {"function": cached(ours_pyc), "hello": cached(hello_pyc)}, repeat
    )
    if importlib.util.find_spec("awslambdaric") is not None:
        with _stub_runtime_api() as server:
            results["init_awslambdaric"] = _interleaved(
                {
                    "function": lambda: _time_under_ric_ms(server, ours, env),
                    "hello": lambda: _time_under_ric_ms(server, hello, env),
                },
                repeat,
            )
    for style in ("init_bare", "init_bare_with_bytecode", "init_awslambdaric"):
        if style in results:
            figures = results[style]
            function_ms, hello_ms = figures["function"]["median_ms"], figures["hello"]["median_ms"]
            figures["ratio"] = round(function_ms / hello_ms, 3)
            figures["extra_ms"] = round(function_ms - hello_ms, 3)

    # Warm path, in this interpreter: the function imported from the fresh copy.
    sys.path.insert(0, str(ours))
    os.environ["MODEL_PATH"] = str(ours / "model.zip")
    import app

    single = _event(json.dumps({"instances": _instances(1)}))
    batch = _event(json.dumps({"instances": _instances(1000)}))
    assert app.handler(batch, None)["statusCode"] == 200
    results["warm_request"] = _stats_ms(_loop_ms(lambda: app.handler(single, None), 3000, 500))
    results["batch_1000"] = _stats_ms(_loop_ms(lambda: app.handler(batch, None), 100, 10))
    results["init_ms_inside"] = app._STATE.init_ms
    results["package_kb"] = round(
        _zipped_kb({p.name: p.read_bytes() for p in PYTHON_RUNTIME.glob("*.py")}), 1
    )
    return results


def bench_frameworks(work: Path, model: dict[str, Any], repeat: int) -> dict[str, Any] | str:
    """Init (process start to ready) and warm request of the litert, onnx and tensorflow
    runtimes."""
    missing = [
        name
        for name in ("ai_edge_litert", "onnxruntime", "tensorflow")
        if importlib.util.find_spec(name) is None
    ]
    if missing:
        return f"skipped: {', '.join(missing)} not installed (pip install -e '.[train,frameworks]')"
    from model._export import write_exports

    ours = _fresh_python_copy(
        PYTHON_RUNTIME, work / "py-function-frameworks", artifact_bytes(model)
    )
    write_exports(ours / "model.zip", model)
    hello = _fresh_python_copy(HELLO / "python", work / "py-hello-site", None)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MODEL_", "PYTHON"))}
    env["PYTHONDONTWRITEBYTECODE"] = "1"

    def start(directory: Path, runtime: str | None) -> Callable[[], float]:
        code = f"import sys; sys.path.insert(0, {str(directory)!r}); import app"
        run_env = {**env, "MODEL_RUNTIME": runtime} if runtime else env
        return lambda: _time_process_ms([sys.executable, "-B", "-c", code], run_env)

    init = _interleaved(
        {
            "hello": start(hello, None),
            "artifact": start(ours, "artifact"),
            "litert": start(ours, "litert"),
            "onnx": start(ours, "onnx"),
            "tensorflow": start(ours, "tensorflow"),
        },
        repeat,
    )
    results: dict[str, Any] = {"init_site_packages": init}
    # Warm path, in this interpreter: app was imported by bench_python; _init builds another
    # instance's state with the framework runtime.
    import app

    contract = sys.modules["_http_api"]
    single = _event(json.dumps({"instances": _instances(1)}))
    batch = _event(json.dumps({"instances": _instances(1000)}))
    suffixes = {"litert": "tflite", "onnx": "onnx", "tensorflow": "keras"}
    for runtime in ("litert", "onnx", "tensorflow"):
        state = app._init(
            {"MODEL_PATH": str(ours / "model.zip"), "MODEL_RUNTIME": runtime}, time.perf_counter()
        )
        assert contract.handle(batch, None, state)["statusCode"] == 200
        results[runtime] = {
            "init_ms_inside_warm_process": round(state.init_ms, 3),
            "warm_request": _stats_ms(
                _loop_ms(partial(contract.handle, single, None, state), 1000, 100)
            ),
            "batch_1000": _stats_ms(_loop_ms(partial(contract.handle, batch, None, state), 30, 3)),
            "export_kb": round((ours / f"model.{suffixes[runtime]}").stat().st_size / 1024, 1),
        }
    return results


def _loop_ms(call: Callable[[], object], count: int, warmup: int) -> list[float]:
    for _ in range(warmup):
        call()
    samples = []
    for _ in range(count):
        start = time.perf_counter()
        call()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def bench_java(work: Path, artifact: bytes, repeat: int) -> dict[str, Any] | str:
    build = _load_build()
    try:
        build.find_javac()
    except build.JdkMissing as exc:
        return f"skipped: {exc}"
    java = shutil.which("java") or "java"
    classes = build.build(work / "java" / "classes")
    harness = build.build_test_harness(classes, work / "java" / "harness")
    # The runtime's Context interface (a stub; the managed runtime has the real one on its class
    # path): the handler's three-argument overload and the harness need it to load.
    provided = build.build_provided(work / "java" / "provided")
    hello = build.compile_sources(HELLO / "java" / "src", work / "java" / "hello")
    launcher = build.compile_sources(HELLO / "java" / "launcher", work / "java" / "launcher")
    model_path = work / "java" / "model.zip"
    model_path.write_bytes(artifact)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MODEL_", "JAVA_TOOL"))}
    env["MODEL_PATH"] = str(model_path)

    def launch(classpath: Path, handler: str) -> Callable[[], float]:
        # Both handlers get the stub on the class path, as both would have the runtime's jar.
        command = [
            java,
            *JVM_FLAGS,
            "-cp",
            os.pathsep.join(map(str, (launcher, provided, classpath))),
            "launch.Launch",
            handler,
        ]
        return lambda: _time_process_ms(command, env)

    results: dict[str, Any] = {}
    init: dict[str, Any] = _interleaved(
        {"function": launch(classes, "predictor.Handler"), "hello": launch(hello, "hello.Handler")},
        repeat,
    )
    init["ratio"] = round(init["function"]["median_ms"] / init["hello"]["median_ms"], 3)
    init["extra_ms"] = round(init["function"]["median_ms"] - init["hello"]["median_ms"], 3)
    results["init_launcher"] = init

    process = subprocess.Popen(
        [
            java,
            *JVM_FLAGS,
            "-cp",
            os.pathsep.join(map(str, (classes, provided, harness))),
            "predictor.Harness",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env=env,
        text=True,
    )
    stdin, stdout = process.stdin, process.stdout
    assert stdin is not None and stdout is not None
    try:
        ready = json.loads(stdout.readline())
        if not ready.get("ready"):
            raise RuntimeError(f"the Java function did not start: {ready}")

        def loop(evt: dict[str, Any], iterations: int) -> list[float]:
            stdin.write(json.dumps({"op": "bench", "event": evt, "iterations": iterations}) + "\n")
            stdin.flush()
            return [ns / 1e6 for ns in json.loads(stdout.readline())["ns"]]

        single = _event(json.dumps({"instances": _instances(1)}))
        batch = _event(json.dumps({"instances": _instances(1000)}))
        loop(single, 5000)  # warm-up: let C1 compile the hot path
        results["warm_request"] = _stats_ms(loop(single, 3000))
        loop(batch, 30)
        results["batch_1000"] = _stats_ms(loop(batch, 100))
        stdin.write('{"op":"quit"}\n')
        stdin.flush()
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
    results["package_kb"] = round(
        _zipped_kb(
            {p.relative_to(classes).as_posix(): p.read_bytes() for p in classes.rglob("*.class")}
        ),
        1,
    )
    return results


def _verdicts(python: dict[str, Any], java: dict[str, Any] | str) -> dict[str, bool]:
    out = {
        "python_init_bare_ratio": python["init_bare"]["ratio"] <= GOALS["init_ratio_max"],
        "python_batch_1000": python["batch_1000"]["median_ms"] <= GOALS["python_batch_1000_ms_max"],
        "python_package": python["package_kb"] <= GOALS["python_package_kb_max"],
    }
    if "init_awslambdaric" in python:
        out["python_init_awslambdaric_ratio"] = (
            python["init_awslambdaric"]["ratio"] <= GOALS["init_ratio_max"]
        )
    if isinstance(java, dict):
        out["java_init_ratio"] = java["init_launcher"]["ratio"] <= GOALS["init_ratio_max"]
        out["java_package"] = java["package_kb"] <= GOALS["java_package_kb_max"]
    return out


def _print(results: dict[str, Any]) -> None:
    python, java = results["python"], results["java"]
    print(f"model: {results['model']}  ({results['repeat']} runs each, medians; p90 in brackets)")
    print("init, process start to ready:")
    for label, figures in (
        ("python bare (-I -S -B)", python["init_bare"]),
        ("python bare, .pyc shipped", python["init_bare_with_bytecode"]),
        ("python under awslambdaric", python.get("init_awslambdaric")),
        ("java (launcher, C1)", java.get("init_launcher") if isinstance(java, dict) else None),
    ):
        if figures:
            print(
                f"  {label:28s} function {figures['function']['median_ms']:7.1f} ms "
                f"[{figures['function']['p90_ms']:.1f}]   hello "
                f"{figures['hello']['median_ms']:7.1f} ms "
                f"[{figures['hello']['p90_ms']:.1f}]   ratio {figures['ratio']:.2f} "
                f"(+{figures['extra_ms']:.1f} ms; goal <= {GOALS['init_ratio_max']})"
            )
    print(f"  python init measured inside (x-init-ms): {python['init_ms_inside']:.2f} ms")
    print("warm, one instance per request:")
    print(
        f"  python {python['warm_request']['median_ms'] * 1000:8.1f} us "
        f"[{python['warm_request']['p90_ms'] * 1000:.1f}]"
    )
    if isinstance(java, dict):
        print(
            f"  java   {java['warm_request']['median_ms'] * 1000:8.1f} us "
            f"[{java['warm_request']['p90_ms'] * 1000:.1f}]"
        )
    print("batch of 1,000 instances (parse, validate, score, serialise):")
    print(
        f"  python {python['batch_1000']['median_ms']:8.2f} ms "
        f"[{python['batch_1000']['p90_ms']:.2f}] "
        f"(goal <= {GOALS['python_batch_1000_ms_max']} ms)"
    )
    if isinstance(java, dict):
        print(
            f"  java   {java['batch_1000']['median_ms']:8.2f} ms "
            f"[{java['batch_1000']['p90_ms']:.2f}]"
        )
    print("package size without the model (zipped):")
    print(f"  python {python['package_kb']:6.1f} KB (goal <= {GOALS['python_package_kb_max']} KB)")
    if isinstance(java, dict):
        print(f"  java   {java['package_kb']:6.1f} KB (goal <= {GOALS['java_package_kb_max']} KB)")
    else:
        print(f"  java: {java}")
    frameworks = results.get("frameworks")
    if isinstance(frameworks, dict):
        init = frameworks["init_site_packages"]
        print("python model runtimes, process start to ready with site-packages (python -B):")
        for name in ("hello", "artifact", "litert", "tensorflow"):
            print(f"  {name:10s} {init[name]['median_ms']:9.1f} ms [{init[name]['p90_ms']:.1f}]")
        for name in ("litert", "tensorflow"):
            figures = frameworks[name]
            print(
                f"  {name:10s} warm {figures['warm_request']['median_ms'] * 1000:8.1f} us "
                f"[{figures['warm_request']['p90_ms'] * 1000:.1f}], batch of 1,000 "
                f"{figures['batch_1000']['median_ms']:.2f} ms, export {figures['export_kb']} KB"
            )
    elif frameworks:
        print(f"python model runtimes: {frameworks}")
    print(
        "goals met: "
        + ", ".join(f"{k}={'yes' if v else 'NO'}" for k, v in results["goals_met"].items())
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=20, help="process starts per variant")
    parser.add_argument(
        "--framework-repeat", type=int, default=5, help="process starts per framework model runtime"
    )
    parser.add_argument(
        "--no-frameworks",
        action="store_true",
        help="skip the litert, onnx and tensorflow model runtimes",
    )
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results-runtime.json")
    args = parser.parse_args(argv)
    model = _model()
    artifact = artifact_bytes(model)
    with tempfile.TemporaryDirectory(prefix="bench-runtime-") as scratch:
        work = Path(scratch)
        python = bench_python(work, artifact, args.repeat)
        java = bench_java(work, artifact, args.repeat)
        frameworks = (
            None if args.no_frameworks else bench_frameworks(work, model, args.framework_repeat)
        )
    results = {
        "model": f"{model['subset']} {model['model_version']}",
        "repeat": args.repeat,
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
        "goals": GOALS,
        "python": python,
        "java": java,
        "frameworks": frameworks,
    }
    results["goals_met"] = _verdicts(python, java)
    _print(results)
    args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
