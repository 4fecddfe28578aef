"""The command line: help, clear errors without tracebacks, a real run, Ctrl-C, stacks."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from loadgen import TargetError, resolve_stack

from ..support.loadgen_cli import loadgen
from ..support.loadgen_server import ServerThread
from ..support.paths import REPO


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["scenario2", "--target", "ftp://x", "--quiet"], "must look like http://HOST:PORT"),
        (
            ["scenario2", "--stack", "nope", "--endpoints", "/nonexistent.json"],
            "cannot find the URL of stack 'nope'",
        ),
        (["scenario2", "--target", "http://127.0.0.1:9", "--stages", "0:1s:1s"], "stages[0].users"),
        (
            ["scenario1", "--target", "http://127.0.0.1:9", "--offsets", "0,5s,3s"],
            "offsets must increase",
        ),
    ],
)
def test_user_errors_are_explained_without_traceback(args: list[str], fragment: str) -> None:
    done = loadgen(*args)
    assert done.returncode == 2
    assert fragment in done.stderr
    assert "Traceback" not in done.stderr


def test_scenario2_run_from_the_command_line(tmp_path: Path) -> None:
    with ServerThread("ok") as server:
        done = loadgen(
            "scenario2",
            "--target",
            server.url,
            "--stages",
            "2:0:1s",
            "--results",
            str(tmp_path),
            "--run-id",
            "cli",
            "--name",
            "local",
            "--quiet",
        )
        seen = server.seen
    assert done.returncode == 0, done.stderr
    assert "requests" in done.stdout and "latency (ok)" in done.stdout
    summary = json.loads((tmp_path / "cli" / "local" / "scenario2" / "summary.json").read_text())
    assert summary["requests"] == seen > 0
    assert summary["complete"] is True


def test_ctrl_c_leaves_partial_results(tmp_path: Path) -> None:
    with ServerThread("delay:0.005") as server:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "loadgen",
                "scenario2",
                "--target",
                server.url,
                "--stages",
                "2:0:60s",
                "--results",
                str(tmp_path),
                "--run-id",
                "int",
                "--name",
                "n",
                "--quiet",
            ],
            cwd=REPO,
            env={**os.environ, "PYTHONPATH": str(REPO)},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        folder = tmp_path / "int" / "n" / "scenario2"
        deadline = time.monotonic() + 30
        while not (folder / "summary.json").exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(0.5)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
        seen = server.seen
    assert proc.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    summary = json.loads((folder / "summary.json").read_text())
    lines = (folder / "requests.jsonl").read_text().splitlines()
    assert summary["complete"] is False
    assert summary["requests"] == len(lines) == seen > 0


def test_stack_from_the_emulators_endpoints_file(tmp_path: Path) -> None:
    endpoints = tmp_path / "endpoints.json"
    endpoints.write_text(
        json.dumps(
            {
                "stacks": {
                    "python-256": {"url": "http://127.0.0.1:8123", "settings": {"memory_mb": 256}}
                },
                "cpu_limited": True,
                "init_cpu": {"mode": "burst", "burst_vcpu": 2.0},
            }
        )
    )
    target = resolve_stack("python-256", endpoints_file=endpoints)
    assert (target.url, target.port, target.name, target.source) == (
        "http://127.0.0.1:8123",
        8123,
        "python-256",
        "emulator",
    )
    assert target.settings == {"memory_mb": 256} and target.cpu_limited is True
    # run.json records the target as described: the init CPU model says what Init Durations mean.
    assert target.describe()["init_cpu"] == {"mode": "burst", "burst_vcpu": 2.0}
    # No path stated (an older emulator): run.json says so rather than guess.
    assert target.describe()["network_path"] is None


def test_the_network_path_goes_from_the_endpoints_file_into_run_json(tmp_path: Path) -> None:
    endpoints = tmp_path / "endpoints.json"
    path = {"client_rtt_ms": 80.0, "gateway_latency_ms": 10.0, "added_ms": 90.0}
    endpoints.write_text(
        json.dumps(
            {
                "stacks": {
                    "python-256": {
                        "url": "http://127.0.0.1:8123",
                        "settings": {"memory_mb": 256},
                        "cpu_samples": "build/emulator/logs/python-256.cpu.jsonl",
                    }
                },
                "cpu_limited": True,
                "network_path": path,
            }
        )
    )
    described = resolve_stack("python-256", endpoints_file=endpoints).describe()
    assert described["network_path"] == path
    assert described["cpu_samples"] == "build/emulator/logs/python-256.cpu.jsonl"


def test_stack_from_pulumi_when_not_in_the_endpoints_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = []

    def fake_run(cmd: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
        calls.append(cmd)
        return subprocess.CompletedProcess(
            cmd, 0, stdout='{"url": "https://abc.execute-api.eu-west-1.amazonaws.com"}\n', stderr=""
        )

    monkeypatch.setattr("shutil.which", lambda name: "/usr/bin/pulumi")
    target = resolve_stack("java-512", endpoints_file=tmp_path / "absent.json", run=fake_run)
    assert calls == [["pulumi", "stack", "output", "--json", "--stack", "java-512"]]
    assert (target.scheme, target.port, target.source) == ("https", 443, "pulumi")

    def failing(cmd: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
        return subprocess.CompletedProcess(
            cmd, 255, stdout="", stderr="error: no stack named 'java-512'"
        )

    with pytest.raises(TargetError, match="no stack named"):
        resolve_stack("java-512", endpoints_file=tmp_path / "absent.json", run=failing)
