"""``make bench``: every benchmark of bench/, then bench/results.json and the table in
bench/README.md. Each benchmark runs as its own process and writes bench/results-<part>.json;
a benchmark that fails is reported as failed (and the others still run), never left out.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
PARTS = ("model", "runtime", "emulator", "loadgen", "signing", "workers", "function")


def _get(doc: dict[str, Any], *path: str) -> Any:
    node: Any = doc
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node


def _fmt(value: Any, unit: str = "") -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        text = f"{value:,.3f}".rstrip("0").rstrip(".") if abs(value) < 100 else f"{value:,.0f}"
    else:
        text = f"{value:,}" if isinstance(value, int) else str(value)
    return f"{text} {unit}".strip()


def _goal(met: Any) -> str:
    return "–" if met is None else ("met" if met else "**missed**")


def headline(part: str, doc: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(figure, value, goal, met) rows for the README table."""
    rows: list[tuple[str, str, str, str]] = []
    if part == "model":
        rows += [
            (
                (
                    f"training time ({doc.get('data')}, {doc.get('subset')}, "
                    f"{_fmt(doc.get('subset_rows'))} rows)"
                ),
                _fmt(doc.get("train_s"), "s"),
                "–",
                "–",
            ),
            (
                "F1: ours / scikit-learn's",
                f"{_fmt(doc.get('keras_f1'))} / {_fmt(doc.get('sklearn_f1'))}",
                "within 0.005",
                _goal(
                    None
                    if doc.get("keras_f1") is None
                    else abs(doc["keras_f1"] - doc["sklearn_f1"]) <= 0.005
                ),
            ),
            (
                "reference evaluator, per prediction",
                _fmt(doc.get("reference_predict_us"), "µs"),
                "–",
                "–",
            ),
        ]
    elif part == "runtime":
        met = doc.get("goals_met", {})
        for lang, key, label, goal_key in (
            (
                "python",
                "init_awslambdaric",
                "Python init under awslambdaric vs hello world",
                "python_init_awslambdaric_ratio",
            ),
            (
                "python",
                "init_bare",
                "Python init, bare interpreter, vs hello world",
                "python_init_bare_ratio",
            ),
            ("java", "init_launcher", "Java init vs hello world", "java_init_ratio"),
        ):
            node = _get(doc, lang, key) or {}
            rows.append(
                (
                    label,
                    (
                        f"{_fmt(_get(node, 'function', 'median_ms'), 'ms')} vs "
                        f"{_fmt(_get(node, 'hello', 'median_ms'), 'ms')} "
                        f"(×{_fmt(node.get('ratio'))})"
                    ),
                    "≤ 1.25×",
                    _goal(met.get(goal_key)),
                )
            )
        rows += [
            (
                "Python batch of 1,000",
                _fmt(_get(doc, "python", "batch_1000", "median_ms"), "ms"),
                "≤ 5 ms",
                _goal(met.get("python_batch_1000")),
            ),
            (
                "Java batch of 1,000",
                _fmt(_get(doc, "java", "batch_1000", "median_ms"), "ms"),
                "–",
                "–",
            ),
            (
                "warm request in-process: Python / Java",
                (
                    f"{_fmt(_get(doc, 'python', 'warm_request', 'median_ms'), 'ms')} / "
                    f"{_fmt(_get(doc, 'java', 'warm_request', 'median_ms'), 'ms')}"
                ),
                "–",
                "–",
            ),
            (
                "package without model: Python",
                _fmt(_get(doc, "python", "package_kb"), "KB"),
                "≤ 64 KB",
                _goal(met.get("python_package")),
            ),
            (
                "package without model: Java",
                _fmt(_get(doc, "java", "package_kb"), "KB"),
                "≤ 128 KB",
                _goal(met.get("java_package")),
            ),
        ]
        # The Python function's model runtimes: process start to ready, beside the
        # hello-world function, then the warm request, a batch of 1,000 and the export's size.
        frameworks = doc.get("frameworks")
        if isinstance(frameworks, dict):
            init = frameworks.get("init_site_packages") or {}
            hello = _get(init, "hello", "median_ms")
            for name in ("artifact", "litert", "onnx", "tensorflow"):
                started = f"{_fmt(_get(init, name, 'median_ms'), 'ms')} vs {_fmt(hello, 'ms')}"
                rows.append(
                    (
                        f"Python model runtime {name}: process start to ready vs hello world",
                        started,
                        "–",
                        "–",
                    )
                )
            for name in ("litert", "onnx", "tensorflow"):
                warm_ms = _get(frameworks, name, "warm_request", "median_ms")
                served = (
                    f"{_fmt(None if warm_ms is None else warm_ms * 1000, 'µs')} / "
                    f"{_fmt(_get(frameworks, name, 'batch_1000', 'median_ms'), 'ms')} / "
                    f"{_fmt(_get(frameworks, name, 'export_kb'), 'KB')}"
                )
                rows.append(
                    (
                        f"Python model runtime {name}: warm request / batch of 1,000 / export",
                        served,
                        "–",
                        "–",
                    )
                )
        elif frameworks:
            rows.append(
                ("Python model runtimes (litert, onnx, tensorflow)", str(frameworks), "–", "–")
            )
    elif part == "emulator":
        for row in doc.get("cold_starts", []):
            rows.append(
                (
                    f"cold start {row['stack']} (Init Duration p50) vs hello world",
                    (
                        f"{_fmt(row.get('init_ms_p50'), 'ms')} vs "
                        f"{_fmt(row.get('hello_init_ms_p50'), 'ms')}"
                    ),
                    "–",
                    "–",
                )
            )
        warm = doc.get("warm_round_trip_1_user", {})
        goal = doc.get("warm_goal_python_p50_ms")
        for name, figures in warm.items():
            p50 = figures.get("p50_ms")
            is_goal = name == "python-512" and goal is not None
            rows.append(
                (
                    f"emulator warm round trip, 1 user, {name} (p50)",
                    _fmt(p50, "ms"),
                    f"≤ {goal} ms" if is_goal else "–",
                    _goal(p50 <= goal) if is_goal and p50 is not None else "–",
                )
            )
        overhead = doc.get("overhead") or {}
        for users, goal_ms in (("1", 1.0), ("18", 2.0)):
            o = overhead.get(users) or {}
            p50 = o.get("overhead_p50_ms")
            label = (
                f"emulator overhead per request (latency − path − Duration), {users} user(s) (p50)"
            )
            spread = o.get("spread_p50_ms") or []
            runs = f"runs {_fmt(min(spread))}–{_fmt(max(spread))} ms; " if len(spread) > 1 else ""
            cpu = _fmt(o.get("emulator_cpu_us_per_request"), "µs")
            rows.append(
                (
                    label,
                    f"{_fmt(p50, 'ms')} ({runs}{cpu} emulator CPU)",
                    f"≤ {goal_ms:g} ms",
                    _goal(p50 <= goal_ms) if p50 is not None else "–",
                )
            )
        floor = overhead.get("host_floor")
        if floor:
            idle = _fmt(floor.get("idle_ms"))
            rows.append(
                (
                    f"host floor after {idle} ms idle: process wake-up / asyncio "
                    + "sleep's lateness (p50)",
                    (
                        f"{_fmt(floor.get('process_wake_p50_ms'), 'ms')} / "
                        f"{_fmt(floor.get('asyncio_sleep_late_p50_ms'), 'ms')}"
                    ),
                    "–",
                    "–",
                )
            )
        rows.append(("CPU limited by memory", str(doc.get("cpu_limited")), "–", "–"))
    elif part == "loadgen":
        for name, figures in (doc.get("results") or {}).items():
            p50 = figures.get("p50_1_user_us")
            # Locust reports percentiles under 100 ms in whole milliseconds: 0 means "< 1 ms".
            p50_text = (
                "< 1 ms (Locust rounds to ms)" if "locust" in name and p50 == 0 else _fmt(p50, "µs")
            )
            rows.append(
                (
                    f"{name}: 18 users on one core",
                    (
                        f"{_fmt(figures.get('req_per_s'))} req/s, "
                        f"{_fmt(figures.get('cpu_us_per_request'), 'µs')} CPU/req, "
                        f"p50 at 1 user {p50_text}"
                    ),
                    "–",
                    "–",
                )
            )
        goals = doc.get("goals") or {}
        rows.append(
            (
                "loadgen CPU per request vs Locust FastHttpUser",
                f"×{_fmt(goals.get('cpu_per_request_vs_locust'))}",
                "≤ 1×",
                _goal(goals.get("cpu_goal_met")),
            )
        )
        rows.append(
            (
                "loadgen p50 at 1 user vs wrk",
                f"×{_fmt(goals.get('p50_1_user_vs_wrk'))}",
                "≤ 3×",
                _goal(goals.get("p50_goal_met")),
            )
        )
    elif part == "signing":
        rows += [
            (
                "SigV4 signing (botocore), CPU per request: body not yet signed this second",
                _fmt(doc.get("sign_miss_us"), "µs"),
                "–",
                "–",
            ),
            (
                "SigV4 signing, CPU per request: body signed earlier this second (cached)",
                _fmt(doc.get("sign_hit_us"), "µs"),
                "–",
                "–",
            ),
            (
                "emulator's SigV4 check (botocore), CPU per request",
                _fmt(doc.get("verify_us"), "µs"),
                "–",
                "–",
            ),
        ]
    elif part == "function":
        rows += [
            (
                (
                    f"your function (sklearn example, {_fmt(doc.get('memory_mb'))} MB): bare "
                    "import on the host / emulator Init Duration"
                ),
                (
                    f"{_fmt(doc.get('bare_import_ms'), 'ms')} / "
                    f"{_fmt(doc.get('init_duration_ms'), 'ms')}"
                ),
                "–",
                "–",
            ),
            (
                "emulator overhead per cold start (Init Duration − bare import)",
                _fmt(doc.get("overhead_ms"), "ms"),
                "–",
                "–",
            ),
            # The package is unpacked once per emulator run (bench_function's first cold start
            # waits for it): what remains is process start and the first invocation.
            (
                (
                    "cold request beyond Init Duration (process start, first invocation; the "
                    "package "
                    "unpacked once per run), median"
                ),
                _fmt(_beyond_init_ms(doc), "ms"),
                "–",
                "–",
            ),
            (
                "package unpacked, once per emulator run (the first cold start waits for it)",
                " / ".join(_fmt(v, "ms") for v in doc.get("package_unpacks_ms") or [None]),
                "–",
                "–",
            ),
            (
                "package + host dependencies: first build / again (cached)",
                f"{_fmt(doc.get('first_build_s'), 's')} / {_fmt(doc.get('second_build_s'), 's')}",
                "–",
                "–",
            ),
            # Measured on a machine shared with other work: its load says how far to trust it.
            (
                "host load average (1 min) before / after: the machine was shared",
                " / ".join(_fmt(v) for v in doc.get("load_average_1m") or [None]),
                "–",
                "–",
            ),
        ]
    elif part == "workers":
        for run in doc.get("runs", []):
            label = (
                "no network path"
                if run.get("network_path") == "none"
                else f"{_fmt(run.get('added_ms'), 'ms')} network path"
            )
            throttled = run.get("throttled_fraction")
            bound = (
                "its CPU share"
                if throttled is not None and throttled >= 0.5
                else "the emulated target (worker not throttled)"
            )
            rows.append(
                (
                    (
                        f"one loadgen worker at {run['memory_mb']} MB "
                        f"({_fmt(run.get('vcpu_share'))} "
                        f"vCPU), {run.get('users')} users closed loop, {label}"
                    ),
                    (
                        f"{_fmt(run.get('req_per_s'))} req/s ({_fmt(run.get('ok_per_s'))} answered "
                        f"200), bound by {bound}; "
                        f"{_fmt(run.get('worker_cpu_us_per_request'), 'µs')} worker CPU/req: its "
                        "share "
                        f"allows {_fmt(run.get('cpu_bound_req_per_s'))} req/s"
                    ),
                    "–",
                    "–",
                )
            )
    return rows


#: the overhead breakdown's rows: (hop, its key in bench_emulator.py's ``breakdown_p50_ms``)
_HOPS = (
    ("A→B client sends → front door has the request", "B-A"),
    ("B→C way in, beyond half the path", "C-B-h"),
    ("C→D gateway invokes → Runtime API answers `next`", "D-C"),
    ("D→E `next` answered → handler runs (in Duration)", "E-D"),
    ("E→F handler → result posted (in Duration)", "F-E"),
    ("D→F REPORT Duration", "Duration"),
    ("F→G result → front door has the response (within the way out)", "G-F"),
    ("F→H way out, beyond half the path after the result", "H-F-h"),
    ("H→I reply written → client has it", "I-H"),
)


def overhead_section(doc: dict[str, Any]) -> list[str]:
    """bench/README.md's account of the emulator's overhead: its definition and breakdown."""
    overhead = doc.get("overhead") or {}
    if "1" not in overhead or "breakdown_p50_ms" not in overhead["1"]:
        return []
    path_ms = overhead.get("network_path_ms")
    lines = [
        "## The emulator's overhead",
        "",
        (
            f"**Definition.** For each request of a hello-world Python function at 1,769 MB (a "
            f"full vCPU) behind the study's network path (d = {_fmt(path_ms)} ms): overhead = the "
            "latency the client measured − d − the function's own Duration (its REPORT line); the "
            "table gives its p50 over the requests of one run at 1 and at 18 closed-loop users "
            f"(keep-alive `http.client` connections), the quietest of {overhead.get('repeats')} "
            "runs "
            "(the one during which the host's CPUs were least busy); `runs` is the range of every "
            "run's p50. Duration is left out because it is the function's time as Lambda reports "
            "it, runtime client included (from the Runtime API answering `next` to the result "
            "posted): what remains is the front door, the path's timers, the hand-off to the "
            "runtime and the reply."
        ),
        "",
        (
            "**Host floor.** Measured beside it on the same host: how long a process blocked on a "
            "pipe for half the path takes to run once written to (a request crosses such a wake-up "
            "at each process hop), and how late a trivial asyncio `sleep` of half the path returns "
            "(asyncio's selector waits in whole milliseconds; the front door's timers do not, see "
            "docs/emulator.md)."
        ),
        "",
        (
            "**Breakdown** (p50 of each hop, ms, of the same run; all processes read the same "
            "CLOCK_MONOTONIC: the client, the emulator through wrappers at its hop points, which "
            "cost a few µs a request, and the function in a response header; the p50s of the hops "
            "need not add up to the p50 of the overhead):"
        ),
        "",
        "| hop | 1 user | 18 users |",
        "|---|---|---|",
    ]
    for label, key in _HOPS:
        lines.append(
            f"| {label} | {_fmt(_get(overhead, '1', 'breakdown_p50_ms', key))} | "
            f"{_fmt(_get(overhead, '18', 'breakdown_p50_ms', key))} |"
        )
    lines.append(
        f"| overhead (A→I − d − Duration, per request) | "
        f"{_fmt(_get(overhead, '1', 'overhead_p50_ms'))} | "
        f"{_fmt(_get(overhead, '18', 'overhead_p50_ms'))} |"
    )
    return [*lines, ""]


def _beyond_init_ms(doc: dict[str, Any]) -> float | None:
    """The median of a served cold request's client latency less its Init Duration."""
    gaps = sorted(
        c["client_ms"] - c["init_duration_ms"]
        for c in doc.get("cold_starts") or []
        if isinstance(c.get("client_ms"), int | float)
        and isinstance(c.get("init_duration_ms"), int | float)
    )
    return round(statistics.median(gaps), 1) if gaps else None


def function_section(doc: dict[str, Any]) -> list[str]:
    """What the function rows mean, and the load of the machine they were measured on."""
    if not doc or doc.get("failed"):
        return []
    load = doc.get("load_average_1m") or []
    return [
        (
            f"Your function (`bench_function.py`, run alone on {doc.get('date', '?')}): the "
            "emulator's Init Duration of `examples/sklearn-joblib` (scikit-learn, joblib) against "
            "the bare import of the same module from the same folders on the host; their "
            "difference is what the emulator adds per cold start (process start, the runtime "
            "client, the Runtime API, its CPU share). A second study of the same function "
            "reuses the built dependencies: it needs the second build's time, then the emulator's "
            f"start and one cold request ({_fmt(doc.get('cold_client_ms'), 'ms')} median here) "
            "before its first answer. Measured while the machine was shared with other work "
            f"(1-minute load average {' → '.join(_fmt(v) for v in load) or 'not recorded'} on "
            f"{doc.get('machine', '?')}): the absolute figures are several times what an idle "
            "machine gives; the overhead is the figure to read."
        ),
        "",
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--tables-only",
        action="store_true",
        help="run nothing: rebuild results.json and README.md from the "
        "results-<part>.json files as they are",
    )
    args = parser.parse_args(argv)
    previous = (
        json.loads((BENCH / "results.json").read_text(encoding="utf-8"))
        if (BENCH / "results.json").is_file()
        else {}
    )
    results: dict[str, Any] = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {
            "platform": platform.platform(),
            "processor": platform.processor() or platform.machine(),
            "python": platform.python_version(),
        },
        "parts": {},
    }
    if args.tables_only:
        results["date"] = previous.get("date", results["date"])
        results["machine"] = previous.get("machine", results["machine"])
    status = 0
    table = ["| part | figure | value | goal | |", "|---|---|---|---|---|"]
    sections: list[str] = []
    for part in PARTS:
        script = BENCH / f"bench_{part}.py"
        out = BENCH / f"results-{part}.json"
        took: float | None = _get(previous, "parts", part, "seconds")
        if not args.tables_only:
            print(f"== bench/{script.name}", flush=True)
            started = time.monotonic()
            done = subprocess.run([sys.executable, str(script)], cwd=REPO, check=False)
            took = time.monotonic() - started
            if done.returncode != 0 or not out.exists():
                status = 1
                results["parts"][part] = {"failed": True, "exit": done.returncode}
                table.append(
                    f"| {part} | the benchmark failed (exit {done.returncode}) | – | – | "
                    "**failed** |"
                )
                continue
        elif not out.exists():
            continue
        doc = json.loads(out.read_text(encoding="utf-8"))
        results["parts"][part] = {"seconds": None if took is None else round(took, 1), **doc}
        for figure, value, goal, met in headline(part, doc):
            table.append(f"| {part} | {figure} | {value} | {goal} | {met} |")
        if part == "emulator":
            sections += overhead_section(doc)
    (BENCH / "results.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    overhead_date = _get(results, "parts", "emulator", "overhead", "date")
    readme = [
        "# Benchmarks",
        "",
        (
            "`make bench` runs every `bench/bench_<part>.py` (each writes "
            "`bench/results-<part>.json`), then"
        ),
        "`bench/run_all.py` gathers them into `bench/results.json` and rewrites this table.",
        "",
        (
            f"Last run: {results['date']} on {results['machine']['platform']} "
            f"({results['machine']['processor']}), Python {results['machine']['python']}"
            + (
                f"; the emulator's overhead rows were measured again on {overhead_date} "
                "(`bench_emulator.py --overhead-only`)"
                if overhead_date
                else ""
            )
            + ". Timings move with the machine's load: compare figures of one run, side by side."
        ),
        "",
        *table,
        "",
        (
            "SigV4 signing (`bench_signing.py`, and the signed loadgen row): loadgen signs a "
            "request "
            "before its clock starts, so latencies exclude it; a body's signature is reused for "
            "the "
            "rest of its second, so the cost per request lies between the cached and the uncached "
            "figure, nearer the uncached one at the study's rates (tens of requests per second)."
        ),
        "",
        (
            "Workers (`bench_workers.py`): the emulator's target on 2 shared cores, not the "
            "worker, "
            "bounds the rate at 512 and 1,024 MB; the worker's CPU per request (its instance's "
            "process, from the emulator's samples) and its share give the rate the worker itself "
            "allows, and at 128 MB, where the share binds, the measured rate matches it. 429s "
            "behind "
            "the 90 ms path are the emulated account's 100 concurrent executions running out while "
            "a "
            "loaded machine falls behind."
        ),
        "",
        *function_section(_get(results, "parts", "function") or {}),
        *sections,
        (
            "Details and method: the docstring of each `bench_<part>.py`; raw figures in the "
            "JSON files."
        ),
        "",
    ]
    (BENCH / "README.md").write_text("\n".join(readme), encoding="utf-8")
    print("\n".join(table))
    print(f"\nwrote {BENCH / 'results.json'} and {BENCH / 'README.md'}")
    return status


if __name__ == "__main__":
    sys.exit(main())
