"""``python -m study sweep``: its command line and what it writes."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from emulator import read_events
from report.__main__ import main as report_main
from study.__main__ import main
from study.sweep._local import host_cpus
from study.sweep._samples import Invocation

from ...support.paths import REPO


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--memory", "64,128"], "64 MB is outside Lambda's 128..10,240 MB"),
        (["--memory", "big"], "write sizes in MB"),
        (["--strategy", "cheap"], "write cost, speed, balanced"),
        (["--slo", "warm-p99=fast"], "KEY=NUMBERms"),
        (["--warm", "0"], "--warm must be within 1..10000"),
        (["--requests", "/no/such/file.jsonl"], "cannot read --requests"),
    ],
)
def test_a_bad_option_is_one_line_and_status_2(
    args: list[str], says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["sweep", "--stack", "python-512", *args]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert says in err
    assert err.startswith("error: ") and err.count("\n") == 1


def test_an_unknown_stack_is_the_stack_packages_message(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sweep", "--stack", "no-such-stack"]) == 2
    err = capsys.readouterr().err
    # the stack package's own message: the problem, then the stacks there are
    assert err.startswith("error: invalid settings for stack 'no-such-stack'")
    assert "python-512" in err and "Traceback" not in err


def test_the_worker_stack_is_not_a_function_to_size(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sweep", "--stack", "loadgen-workers"]) == 2
    err = capsys.readouterr().err
    assert "worker stack" in err and err.count("\n") == 1


@pytest.mark.slow
def test_a_local_sweep_measures_each_size_and_writes_what_the_report_reads(
    artifact: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    results = tmp_path / "results"
    big = 4096 if host_cpus() < 3 else None
    sizes = [128, 1024, *([big] if big else [])]
    status = main(
        [
            "sweep",
            "--stack",
            "python-512",
            "--memory",
            ",".join(map(str, sizes)),
            "--cold",
            "2",
            "--warm",
            "6",
            "--artifact",
            str(artifact),
            "--results",
            str(results),
            "--run-id",
            "t",
            "--build-dir",
            str(tmp_path / "build"),
            "--rtt",
            "0",
            "--gateway-latency",
            "0",
            "--slo",
            "warm-p99=10s",
        ]
    )
    out = capsys.readouterr().out
    assert status == 0, out
    sweep = json.loads((results / "t" / "sweep" / "sweep.json").read_text())
    by_mb = {s["memory_mb"]: s for s in sweep["sizes"]}
    assert set(by_mb) == {128, 1024}
    for size in by_mb.values():
        # each forced cold request met a new instance: its REPORT line has an Init Duration
        assert size["cold_requests"] == 2 and size["init_ms"]["median"]["n"] == 2
        assert size["warm_duration_ms"]["median"]["n"] == 6
        assert size["failures"] == {}
    if big:
        assert "not emulable" in sweep["not_run"][str(big)]
    assert sweep["chosen_mb"] in (128, 1024)
    with (results / "t" / "sweep" / "sweep.csv").open() as stream:
        rows = list(csv.DictReader(stream))
    assert [int(r["memory_mb"]) for r in rows] == sizes
    assert (results / "t" / "sweep" / "duration-cost.png").stat().st_size > 5_000
    assert (results / "t" / "python-512-at-128" / "sweep" / "requests.jsonl").is_file()
    assert (results / "t" / "logs" / "python-512-at-1024.log").is_file()
    assert report_main(["write", str(results / "t"), "--out", str(tmp_path / "report")]) == 0
    report = (tmp_path / "report" / "report.md").read_text()
    assert "python-512-at-128" in report and "python-512-at-1024" in report


def test_the_aws_backend_is_called_and_its_report_lines_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--aws FUNCTION`` hands the sizes to ``study.sweep.aws._measure.sweep_on_aws`` (here a
    stand-in returning recorded AWS-shaped invocations) and writes what the report and compare
    read."""
    calls: list[dict[str, Any]] = []

    def sweep_on_aws(**kwargs: Any) -> dict[int, list[Invocation]]:
        calls.append(kwargs)
        out: dict[int, list[Invocation]] = {}
        for mb in kwargs["memory_sizes"]:
            scale = 1024 / mb
            invs = [
                Invocation(
                    memory_mb=mb,
                    forced_cold=True,
                    cold=True,
                    client_ms=None,
                    duration_ms=5.0 * scale,
                    billed_ms=int(150 + 5 * scale),
                    init_ms=145.0,
                    max_memory_mb=60,
                    request_id=f"c{mb}-{i}",
                )
                for i in range(kwargs["cold"])
            ]
            invs += [
                Invocation(
                    memory_mb=mb,
                    forced_cold=False,
                    cold=False,
                    client_ms=None,
                    duration_ms=(2.0 + 0.1 * i) * scale,
                    billed_ms=int((2.0 + 0.1 * i) * scale) + 1,
                    init_ms=None,
                    max_memory_mb=58,
                    request_id=f"w{mb}-{i}",
                )
                for i in range(kwargs["warm"])
            ]
            out[mb] = invs
        return out

    class Lambda:
        """What the CLI asks of the deployed function before the sweep: its configuration."""

        def get_function_configuration(self, FunctionName: str) -> dict[str, Any]:
            assert FunctionName == "my-function"
            return {"Timeout": 30, "MemorySize": 512, "Architectures": ["x86_64"]}

    import boto3

    from study.sweep.aws import _measure

    monkeypatch.setattr(_measure, "sweep_on_aws", sweep_on_aws)
    monkeypatch.setattr(boto3, "client", lambda service, **_: Lambda())
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    results = tmp_path / "results"
    argv = [
        "sweep",
        "--stack",
        "python-512",
        "--aws",
        "my-function",
        "--memory",
        "512,1024",
        "--cold",
        "3",
        "--warm",
        "9",
        "--results",
        str(results),
        "--run-id",
        "aws",
        "--requests",
        str(_requests_file(tmp_path)),
        "--strategy",
        "speed",
    ]
    # not on a terminal and without --yes: the estimate, then a refusal, nothing run
    assert main(argv) == 2
    out, err = capsys.readouterr()
    # the upper bound: 24 invocations, each to the 30 s timeout, 6 inits to the 10 s limit
    assert "24 invocations" in out and "--yes" in err and not calls
    status = main([*argv, "--yes"])
    assert status == 0, capsys.readouterr().err
    assert calls[0]["function_name"] == "my-function"
    assert calls[0]["memory_sizes"] == [512, 1024]
    assert calls[0]["payloads"] == [(b'{"instances": [{"a": 1}]}', 1.0)]
    sweep = json.loads((results / "aws" / "sweep" / "sweep.json").read_text())
    assert sweep["backend"] == "aws" and sweep["chosen_mb"] == 1024
    log = (results / "aws" / "logs" / "python-512-at-1024.log").read_text()
    assert "REPORT RequestId: c1024-0\tDuration: 5.00 ms" in log
    assert report_main(["compare", str(results / "aws"), str(results / "aws")]) == 0
    assert "| python-512-at-512 | Init Duration ms [S] | 145.00" in capsys.readouterr().out


def _requests_file(tmp_path: Path) -> Path:
    path = tmp_path / "req.jsonl"
    path.write_text('{"body": {"instances": [{"a": 1}]}}\n')
    return path


def test_aws_without_boto3_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "boto3", None)
    status = main(
        [
            "sweep",
            "--stack",
            "python-512",
            "--aws",
            "f",
            "--requests",
            str(_requests_file(tmp_path)),
            "--results",
            str(tmp_path),
        ]
    )
    err = capsys.readouterr().err
    assert status == 2
    assert err.startswith("error: --aws needs boto3") and err.count("\n") == 1


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_stops_the_sweep_and_every_instance_keeping_the_sizes_measured(
    artifact: Path, tmp_path: Path, signum: signal.Signals
) -> None:
    build, results = tmp_path / "build", tmp_path / "results"
    # 128 MB ends within seconds; SIGTERM comes as soon as 256 MB's first instance starts,
    # well before its 300 warm requests are through
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "study",
            "sweep",
            "--stack",
            "python-512",
            "--memory",
            "128,256",
            "--cold",
            "1",
            "--warm",
            "300",
            "--artifact",
            str(artifact),
            "--results",
            str(results),
            "--run-id",
            "cut",
            "--build-dir",
            str(build),
            "--rtt",
            "0",
            "--gateway-latency",
            "0",
        ],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    events = build / "logs" / "python-512-at-256.events.jsonl"
    deadline = time.monotonic() + 300
    while not (events.exists() and '"started"' in events.read_text()):
        assert proc.poll() is None, proc.communicate()[1]
        assert time.monotonic() < deadline, "the sweep never reached 256 MB"
        time.sleep(0.2)
    pids = [
        int(str(e["pid"]))
        for path in build.glob("logs/*.events.jsonl")
        for e in read_events(path)
        if e["event"] == "started"
    ]
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signum
    assert "interrupted: writing the 1 size(s) measured to the end" in err
    assert "Traceback" not in err
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    sweep = json.loads((results / "cut" / "sweep" / "sweep.json").read_text())
    assert [s["memory_mb"] for s in sweep["sizes"]] == [128]
    assert sweep["interrupted"] == f"stopped by signal {int(signum)}"


@pytest.mark.slow
def test_a_sweep_where_nothing_succeeds_says_so_in_one_line(
    artifact: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    requests = tmp_path / "req.jsonl"
    requests.write_text('{"body": {}, "path": "/no-such-route"}\n')
    status = main(
        [
            "sweep",
            "--stack",
            "python-512",
            "--memory",
            "256",
            "--cold",
            "1",
            "--warm",
            "2",
            "--requests",
            str(requests),
            "--artifact",
            str(artifact),
            "--results",
            str(tmp_path / "results"),
            "--build-dir",
            str(tmp_path / "build"),
            "--rtt",
            "0",
            "--gateway-latency",
            "0",
        ]
    )
    err = capsys.readouterr().err
    assert status == 3
    assert err == (
        "error: no request succeeded at any size (http_4xx ×3): check the stack, "
        "--requests (body, path) and the emulator's logs\n"
    )


@pytest.mark.slow
def test_parallel_warm_clients_keep_the_instances_they_start_out_of_the_warm_figures(
    artifact: Path, tmp_path: Path
) -> None:
    results = tmp_path / "results"
    assert (
        main(
            [
                "sweep",
                "--stack",
                "python-512",
                "--memory",
                "512",
                "--cold",
                "1",
                "--warm",
                "12",
                "--parallelism",
                "3",
                "--artifact",
                str(artifact),
                "--results",
                str(results),
                "--run-id",
                "p",
                "--build-dir",
                str(tmp_path / "build"),
                "--rtt",
                "0",
                "--gateway-latency",
                "0",
            ]
        )
        == 0
    )
    (size,) = json.loads((results / "p" / "sweep" / "sweep.json").read_text())["sizes"]
    # the cold phase leaves one idle instance; two more clients may each meet a new one
    assert size["unforced_cold"] <= 2
    assert size["warm_requests"] + size["unforced_cold"] == 12
    assert size["warm_duration_ms"]["median"]["n"] == size["warm_requests"]
    lines = (results / "p" / "sweep" / "invocations.jsonl").read_text().splitlines()
    assert len(lines) == 13
