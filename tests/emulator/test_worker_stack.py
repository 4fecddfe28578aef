"""The load generator's workers hosted by the emulator, end to end with real processes:
``python -m emulator up python-256 loadgen-workers`` (the model stack IAM-authorised, the real
worker zip, the Lambda API, moto's S3), and ``python -m loadgen scenario2 --workers 4
--worker-stack loadgen-workers`` resolving everything from endpoints.json, with no AWS
credentials or region configured."""

from __future__ import annotations

import concurrent.futures
import json
import math
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import botocore.config
import pytest

from emulator import read_events
from loadgen import Stage, StagedPlan
from model import write_artifact

from ..support.paths import HTTP_VECTORS, REPO

pytestmark = [pytest.mark.slow]

MODEL_STACK, WORKER_STACK = "python-256", "loadgen-workers"
LEAD_S = 10.0
#: no AWS account here: everything comes from the emulator's endpoints file
NO_AWS = {
    **{k: v for k, v in os.environ.items() if not k.startswith("AWS_")},
    "AWS_CONFIG_FILE": "/nonexistent",
    "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
    "AWS_EC2_METADATA_DISABLED": "true",
}


@pytest.fixture(scope="module")
def model() -> dict[str, Any]:
    if not HTTP_VECTORS.is_file():
        pytest.skip("tests/vectors/http.json is absent: no model to package")
    found: dict[str, Any] = json.loads(HTTP_VECTORS.read_text(encoding="utf-8"))["model"]
    return found


@pytest.fixture
def emulator(model: dict[str, Any], tmp_path: Path) -> Iterator[Path]:
    """The emulator hosting both stacks (no network path: the test is about the workers);
    yields its build dir once endpoints.json names it."""
    artifact = write_artifact(tmp_path / "model.zip", model)
    build = tmp_path / "build"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "emulator",
            "up",
            MODEL_STACK,
            WORKER_STACK,
            "--artifact",
            str(artifact),
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
        env=NO_AWS,
    )
    try:
        deadline = time.monotonic() + 180  # the first build installs the worker's wheels
        while True:
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            assert time.monotonic() < deadline, "the emulator did not come up"
            try:
                if json.loads((build / "endpoints.json").read_text())["pid"] == proc.pid:
                    break
            except (OSError, ValueError, KeyError):
                pass
            time.sleep(0.2)
        _warm_workers(build)
        yield build
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 143
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if proc.stderr:
            proc.stderr.close()


def _started(build: Path) -> list[dict[str, Any]]:
    """The worker stack's instances started so far, as its events log records them."""
    events = build / "emulator" / "logs" / f"{WORKER_STACK}.events.jsonl"
    return [e for e in (read_events(events) if events.exists() else []) if e["event"] == "started"]


def _warm_workers(build: Path) -> None:
    """Start the worker stack's four instances before the test's run.

    Four cold starts at once on a busy 2-core host took up to 13 s, longer than the run's lead:
    the workers then started late and the run's timing was the host's, not the workers'. Each
    call here carries an empty event, which the worker refuses at once, after its instance's
    init: the run's four invocations then find four warm instances, as they would on AWS
    shortly after a first run.
    """
    import boto3  # the tests' own client for the emulator's Lambda API

    document = json.loads((build / "endpoints.json").read_text())
    credentials = document["credentials"]
    client = boto3.client(
        "lambda",
        endpoint_url=document["lambda_endpoint"],
        region_name=document["stacks"][WORKER_STACK]["region"],
        aws_access_key_id=credentials["access_key_id"],
        aws_secret_access_key=credentials["secret_access_key"],
        config=botocore.config.Config(read_timeout=300, retries={"max_attempts": 0}),
    )
    for _ in range(3):  # a call that came when another instance was free reused it: again
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            replies = list(
                pool.map(
                    lambda _n: client.invoke(FunctionName=WORKER_STACK, Payload=b"{}"), range(4)
                )
            )
        assert all(r["StatusCode"] == 200 for r in replies), replies
        if len(_started(build)) >= 4:
            return
    raise AssertionError(f"the worker stack started {len(_started(build))} instances, not 4")


def _pid(event: dict[str, object]) -> int:
    """The process id an instance event records."""
    pid = event["pid"]
    assert isinstance(pid, int), event
    return pid


def _controller(
    build: Path,
    model: dict[str, Any],
    results: Path,
    stages: str,
) -> list[str]:
    features = ",".join(i["name"] for i in model["inputs"])
    return [
        sys.executable,
        "-m",
        "loadgen",
        "scenario2",
        "--stack",
        MODEL_STACK,
        "--endpoints",
        str(build / "endpoints.json"),
        "--stages",
        stages,
        "--think",
        "0.02s",
        "--workers",
        "4",
        "--worker-stack",
        WORKER_STACK,
        "--results",
        str(results),
        # A 10 s lead: four cold starts at once on a 2-core machine loaded by other work
        # took up to 6.5 s (each worker then starts on time by its own clock).
        "--run-id",
        "r",
        "--workers-lead",
        f"{LEAD_S:g}s",
        "--features",
        features,
        "--quiet",
    ]


def planned_users_per_second(plan: StagedPlan) -> list[int]:
    """The single-machine plan's users in each whole second (the most within it)."""
    changes = [t for t, _ in plan.changes()]
    return [
        max(plan.users_at(t) for t in [float(s), *(c for c in changes if s <= c < s + 1)])
        for s in range(math.ceil(plan.duration_s))
    ]


def _timeline_users(folder: Path) -> list[int]:
    lines = (folder / "timeline.csv").read_text().splitlines()
    column = lines[0].split(",").index("users")
    return [int(line.split(",")[column]) for line in lines[1:]]


def summary_clock(folder: Path) -> dict[str, Any]:
    clock: dict[str, Any] = json.loads((folder / "summary.json").read_text())["workers"]["clock"]
    return clock


def _records(folder: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (folder / "requests.jsonl").read_text().splitlines()]


def test_four_emulated_workers_add_up_to_the_single_machine_plan(
    emulator: Path, model: dict[str, Any], tmp_path: Path
) -> None:
    results = tmp_path / "results"
    done = subprocess.run(
        _controller(emulator, model, results, "8:2.2s:1.8s"),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=NO_AWS,
    )
    assert done.returncode == 0, done.stderr
    folder = results / "r" / MODEL_STACK / "scenario2"
    # Users join at k * 0.275 s (none on a second's edge), so each second's count is sharp.
    plan = StagedPlan(stages=(Stage(users=8, ramp_up_s=2.2, hold_s=1.8),), think_s=0.02)
    expected = planned_users_per_second(plan)
    assert expected == [4, 8, 8, 8]
    assert _timeline_users(folder)[: len(expected)] == expected
    # Each worker started at the asked instant by its own clock (the merge aligns on it).
    assert summary_clock(folder)["max_late_s"] < 0.5
    run_info = json.loads((folder / "run.json").read_text())
    workers = run_info["workers"]["workers"]
    assert [w["status"] for w in workers] == ["ok"] * 4
    assert [w["users"] for w in workers] == [[0, 1], [2, 3], [4, 5], [6, 7]]
    summary = json.loads((folder / "summary.json").read_text())
    records = _records(folder)
    assert summary["requests"] == sum(w["requests"] for w in workers) == len(records) > 0
    # The workers signed with the emulator's credentials: the IAM stack admitted every request.
    assert {r["status"] for r in records} == {200}
    assert {r["user"] for r in records} == set(range(8))
    # The model stack's own access log saw as many requests as the merged run holds.
    access = emulator / "emulator" / "logs" / f"{MODEL_STACK}.access.jsonl"
    deadline = time.monotonic() + 10  # written once a second
    while (seen := len(access.read_text().splitlines())) < len(records):
        assert time.monotonic() < deadline, f"{seen} requests in the access log"
        time.sleep(0.5)
    assert seen == len(records)  # the features are given: no GET /health
    report = subprocess.run(
        [sys.executable, "-m", "report", "write", str(folder), "--out", str(tmp_path / "report")],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert report.returncode == 0, report.stderr
    assert (tmp_path / "report" / "report.md").is_file()


def test_an_emulated_worker_killed_mid_run_is_reported_as_lost_users(
    emulator: Path, model: dict[str, Any], tmp_path: Path
) -> None:
    results = tmp_path / "results"
    controller = subprocess.Popen(
        _controller(emulator, model, results, "8:1s:6s"),
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=NO_AWS,
    )
    try:
        # Killed once the plan is under way (the model stack has served requests; its access
        # log is written once a second), well before the plan's 7 s are over, however late
        # this busy host ran the controller.
        access = emulator / "emulator" / "logs" / f"{MODEL_STACK}.access.jsonl"
        deadline = time.monotonic() + LEAD_S + 60
        while not (access.exists() and access.read_text().count("\n") > 8):
            assert controller.poll() is None and time.monotonic() < deadline
            time.sleep(0.1)
        # The run's four invocations run on the four warm instances, one worker each.
        started = _started(emulator)
        assert len(started) == 4, started
        os.kill(_pid(started[0]), signal.SIGKILL)
        _, err = controller.communicate(timeout=90)
    finally:
        if controller.poll() is None:
            controller.kill()
            controller.communicate()
    assert controller.returncode == 5, err  # a worker was lost
    folder = results / "r" / MODEL_STACK / "scenario2"
    summary = json.loads((folder / "summary.json").read_text())
    workers = summary["workers"]
    failed = [w for w in workers["workers"] if w["status"] != "ok"]
    assert len(failed) == 1 and "Runtime.ExitError" in failed[0]["error"]
    assert "signal: killed" in failed[0]["error"]
    lost_users = set(range(failed[0]["users"][0], failed[0]["users"][1] + 1))
    assert len(lost_users) == 2
    assert [entry["worker"] for entry in workers["lost"]] == [failed[0]["worker"]]
    assert summary["complete"] is False
    first, last = failed[0]["users"]
    assert any(f"users {first}..{last} are missing" in note for note in summary["notes"])
    assert f"users {first}..{last} are missing" in err
    # The others' records are all there, the lost worker's users nowhere: none silently.
    records = _records(folder)
    assert (
        summary["requests"]
        == len(records)
        == sum(w["requests"] for w in workers["workers"] if w["status"] == "ok")
    )
    assert {r["user"] for r in records} == set(range(8)) - lost_users
    assert _timeline_users(folder)[1:6] == [6] * 5


def test_an_interrupted_emulated_workers_run_keeps_what_the_workers_measured(
    emulator: Path, model: dict[str, Any], tmp_path: Path
) -> None:
    results = tmp_path / "results"
    controller = subprocess.Popen(
        _controller(emulator, model, results, "8:1s:60s"),
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=NO_AWS,
    )
    try:
        access = emulator / "emulator" / "logs" / f"{MODEL_STACK}.access.jsonl"
        deadline = time.monotonic() + 60
        while not (access.exists() and access.read_text().count("\n") > 20):
            assert controller.poll() is None and time.monotonic() < deadline
            time.sleep(0.1)
        controller.send_signal(signal.SIGINT)  # Ctrl-C while the workers load the target
        began = time.monotonic()
        _, err = controller.communicate(timeout=90)
        took_s = time.monotonic() - began
    finally:
        if controller.poll() is None:
            controller.kill()
            controller.communicate()
    assert controller.returncode == 130, err
    assert "Traceback" not in err and "the workers were asked to stop" in err
    # Not the 61 s of the plan: they looked for the marker (every 5 s) and stopped; the bound
    # leaves a busy host time to upload and merge, and is still well short of the plan's end.
    assert took_s < 45
    workers = json.loads((results / "r" / "workers.json").read_text())
    assert workers["interrupted"] == "stopped by SIGINT" and workers["lost"] == []
    folder = results / "r" / MODEL_STACK / "scenario2"
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["complete"] is False and "stopped by SIGINT" in summary["interrupted"]
    # Each worker saw the stop marker and stopped before its plan's end.
    assert "stopped by the controller" in summary["interrupted"]
    records = _records(folder)
    assert summary["requests"] == len(records) > 0
    assert {r["user"] for r in records} == set(range(8))
    deadline = time.monotonic() + 10  # the access log is written once a second
    while (seen := len(access.read_text().splitlines())) < len(records):
        assert time.monotonic() < deadline, f"{seen} requests in the access log"
        time.sleep(0.5)
    assert seen == len(records)
