"""How fast is the instrument? loadgen vs wrk vs Locust FastHttpUser vs plain clients.

On loopback against a C server that answers at once (bench/loadgen/fast_server.c, pinned to
CPU 1), each client runs pinned to CPU 0 with 18 users (each its own keep-alive connection),
then with 1 user. Figures:

- req/s with 18 users;
- CPU µs per request: the client process's CPU (user + system, from wait4) divided by its
  requests, taken as the difference between a long and a short run, so start-up costs
  (imports, Locust's web of modules) cancel out;
- p50 latency with 1 user.

Goals: loadgen's CPU per request no worse than Locust FastHttpUser's; loadgen's
p50 at 1 user at most 3x wrk's. Writes bench/results-loadgen.json and prints a table.

Usage: .venv/bin/python bench/bench_loadgen.py [--short S] [--long S] [--users N]
"""

from __future__ import annotations

import argparse
import csv
import functools
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
HERE = REPO / "bench" / "loadgen"
PY = sys.executable
OUT = REPO / "bench" / "results-loadgen.json"
CLIENT_CPU, SERVER_CPU = "0", "1"


def measured(
    cmd: list[str], workdir: Path, env_extra: dict[str, str] | None = None
) -> tuple[float, str, str, float]:
    """Run ``cmd`` pinned to the client CPU; its CPU seconds (wait4), stdout, stderr, wall."""
    out_path, err_path = workdir / "stdout", workdir / "stderr"
    env = {**os.environ, "PYTHONPATH": str(REPO), **(env_extra or {})}
    with out_path.open("w") as out, err_path.open("w") as err:
        started = time.perf_counter()
        proc = subprocess.Popen(
            ["taskset", "-c", CLIENT_CPU, *cmd], stdout=out, stderr=err, cwd=REPO, env=env
        )
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
    stdout, stderr = out_path.read_text(), err_path.read_text()
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd[0]} failed ({proc.returncode}): {stderr[-800:]}")
    return usage.ru_utime + usage.ru_stime, stdout, stderr, wall


def _us(value: str, unit: str) -> float:
    return float(value) * {"us": 1.0, "ms": 1000.0, "s": 1e6}[unit]


def run_wrk(url: str, users: int, seconds: float, workdir: Path) -> tuple[float, int, float | None]:
    script = workdir / "post.lua"
    body = '{"instances":[{"duration":0,"src_bytes":181,"dst_bytes":5450}]}'
    script.write_text(
        f"wrk.method = \"POST\"\nwrk.body = '{body}'\n"
        'wrk.headers["Content-Type"] = "application/json"\n'
    )
    cpu, out, _, _ = measured(
        [
            "wrk",
            "-t1",
            f"-c{users}",
            f"-d{seconds:g}s",
            "--latency",
            "-s",
            str(script),
            f"{url}/predict",
        ],
        workdir,
    )
    count = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    p50 = re.search(r"50%\s+([\d.]+)(us|ms|s)\b", out)
    return cpu, count, _us(p50.group(1), p50.group(2)) if p50 else None


def run_locust(
    url: str, users: int, seconds: float, workdir: Path
) -> tuple[float, int, float | None]:
    prefix = workdir / "locust"
    locust = str(Path(PY).with_name("locust"))
    cpu, _, _, _ = measured(
        [
            locust,
            "-f",
            str(HERE / "locustfile.py"),
            "--headless",
            "-u",
            str(users),
            "-r",
            "1000",
            "-t",
            f"{seconds:g}s",
            "--host",
            url,
            "--csv",
            str(prefix),
            "--only-summary",
            "--loglevel",
            "ERROR",
            "--stop-timeout",
            "1",
        ],
        workdir,
    )
    with Path(f"{prefix}_stats.csv").open() as stream:
        row = next(r for r in csv.DictReader(stream) if r["Name"] == "Aggregated")
    # Locust rounds sub-100 ms response times to whole milliseconds.
    return cpu, int(row["Request Count"]), float(row["50%"]) * 1000.0


def run_loadgen(
    url: str, users: int, seconds: float, workdir: Path, signed: bool = False
) -> tuple[float, int, float | None]:
    results = workdir / "results"
    shutil.rmtree(results, ignore_errors=True)
    # Signed: static credentials from the environment (no credential-chain look-ups measured).
    env = (
        {
            "AWS_ACCESS_KEY_ID": "AKIDBENCHMARK",
            "AWS_SECRET_ACCESS_KEY": "bench-secret",
            "AWS_REGION": "us-east-1",
        }
        if signed
        else None
    )
    cpu, _, _, _ = measured(
        [
            PY,
            "-m",
            "loadgen",
            "scenario2",
            "--target",
            url,
            "--stages",
            f"{users}:0:{seconds:g}s",
            "--results",
            str(results),
            "--run-id",
            "b",
            "--name",
            "bench",
            "--quiet",
            "--sign",
            "always" if signed else "never",
        ],
        workdir,
        env,
    )
    summary = json.loads((results / "b" / "bench" / "scenario2" / "summary.json").read_text())
    return cpu, int(summary["requests"]), summary["latency_ms"]["p50"] * 1000.0


def client_runner(kind: str):  # type: ignore[no-untyped-def]
    def run(url: str, users: int, seconds: float, workdir: Path) -> tuple[float, int, float | None]:
        cpu, out, _, _ = measured(
            [PY, str(HERE / "clients.py"), kind, url, str(users), f"{seconds:g}"], workdir
        )
        data = json.loads(out.strip().splitlines()[-1])
        return cpu, int(data["requests"]), data["p50_us"]

    return run


TOOLS = {
    "wrk": run_wrk,
    "loadgen": run_loadgen,
    "loadgen, SigV4-signed (--sign always)": functools.partial(run_loadgen, signed=True),
    "locust-fasthttp": run_locust,
    "asyncio-streams (raw)": client_runner("raw"),
    "httptools protocol (loadgen's client alone)": client_runner("httptools"),
    "h11 protocol (the alternative)": client_runner("h11"),
    "aiohttp": client_runner("aiohttp"),
    "httpx (shared AsyncClient)": client_runner("httpx"),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--short", type=float, default=2.0, help="short run, seconds (default 2)")
    parser.add_argument("--long", type=float, default=6.0, help="long run, seconds (default 6)")
    parser.add_argument("--users", type=int, default=18)
    parser.add_argument("--only", nargs="*", help="run only these tools")
    args = parser.parse_args()
    for tool in ("gcc", "taskset", "wrk"):
        if shutil.which(tool) is None:
            print(
                f"bench_loadgen: {tool} is missing (apt-get install build-essential util-linux "
                "wrk)",
                file=sys.stderr,
            )
            return 2
    with tempfile.TemporaryDirectory(prefix="bench-loadgen-") as tmp:
        workdir = Path(tmp)
        binary = workdir / "fast_server"
        subprocess.run(["gcc", "-O2", "-o", str(binary), str(HERE / "fast_server.c")], check=True)
        server = subprocess.Popen(
            ["taskset", "-c", SERVER_CPU, str(binary), "0"], stdout=subprocess.PIPE, text=True
        )
        try:
            assert server.stdout is not None
            port = int(server.stdout.readline().split()[1])
            url = f"http://127.0.0.1:{port}"
            results: dict[str, Any] = {}
            for name, runner in TOOLS.items():
                if args.only and name not in args.only:
                    continue
                cpu_s, n_s, _ = runner(url, args.users, args.short, workdir)
                cpu_l, n_l, _ = runner(url, args.users, args.long, workdir)
                _, _, p50_one = runner(url, 1, args.short, workdir)
                per_request = (cpu_l - cpu_s) / max(n_l - n_s, 1) * 1e6
                results[name] = {
                    "req_per_s": round(n_l / args.long),
                    "cpu_us_per_request": round(per_request, 1),
                    "p50_1_user_us": None if p50_one is None else round(p50_one, 1),
                }
                print(
                    f"{name:<40s} {results[name]['req_per_s']:>9d} req/s  "
                    f"{results[name]['cpu_us_per_request']:>8.1f} µs CPU/req  "
                    f"p50 (1 user) {results[name]['p50_1_user_us']} µs",
                    flush=True,
                )
        finally:
            server.terminate()
            server.wait(10)
    goals: dict[str, Any] = {}
    if "loadgen" in results and "locust-fasthttp" in results:
        goals["cpu_per_request_vs_locust"] = round(
            results["loadgen"]["cpu_us_per_request"]
            / results["locust-fasthttp"]["cpu_us_per_request"],
            3,
        )
        goals["cpu_goal_met"] = goals["cpu_per_request_vs_locust"] <= 1.0
    if "loadgen" in results and "wrk" in results and results["wrk"]["p50_1_user_us"]:
        goals["p50_1_user_vs_wrk"] = round(
            results["loadgen"]["p50_1_user_us"] / results["wrk"]["p50_1_user_us"], 2
        )
        goals["p50_goal_met"] = goals["p50_1_user_vs_wrk"] <= 3.0
    document = {
        "benchmark": "loadgen",
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
        },
        "setup": {
            "users": args.users,
            "short_s": args.short,
            "long_s": args.long,
            "client_cpu": CLIENT_CPU,
            "server_cpu": SERVER_CPU,
            "server": "bench/loadgen/fast_server.c (epoll, fixed answer)",
            "note": "Locust reports sub-100 ms percentiles rounded to whole milliseconds",
        },
        "results": results,
        "goals": goals,
    }
    OUT.write_text(json.dumps(document, indent=2) + "\n")
    print(json.dumps(goals))
    print(f"wrote {OUT.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
