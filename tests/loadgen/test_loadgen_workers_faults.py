"""Workers runs under faults (signals, full disks, run id collisions, dropped Invoke connections).

The controller is a real process (``tests/support/workers_controller.py``: ``python -m loadgen``
with the workers' Lambda replaced by the real handler in threads and their bucket by moto's S3),
sent real signals, writing to a real small tmpfs; the target is the test server on loopback.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import loadgen.workers._invoke as invoke_module
from loadgen import Stage, StagedPlan
from loadgen.__main__ import main as loadgen_main
from loadgen._errors import ResultsError
from loadgen.engine._stop import RunInterrupted
from loadgen.workers._controller import run_workers
from loadgen.workers._handler import run_worker
from loadgen.workers._stack import WorkerStack
from loadgen.workers._wait import Interrupt

from ..support.loadgen_server import ServerThread
from ..support.paths import REPO
from ..support.workers_controller import BUCKET

#: Run with ``python -m`` from the repository's root.
CONTROLLER = "tests.support.workers_controller"

FEATURES = "duration,src_bytes,dst_bytes"
STACK = WorkerStack(name="w", function_name="loadgen-worker", bucket=BUCKET)


def endpoints(where: Path, **stack: Any) -> Path:
    path = where / "endpoints.json"
    path.write_text(
        json.dumps(
            {"stacks": {"w": {"function_name": "loadgen-worker", "bucket": BUCKET, **stack}}}
        )
    )
    return path


def controller_argv(state: Path, *loadgen: str, extra: tuple[str, ...] = ()) -> list[str]:
    return [sys.executable, "-m", CONTROLLER, str(state), *extra, "--", *loadgen]


def workers_args(
    url: str,
    results: Path,
    ends: Path,
    *,
    run_id: str,
    stages: str,
    workers: int = 2,
    lead: str = "1s",
) -> list[str]:
    return [
        "scenario2",
        "--target",
        url,
        "--name",
        "t",
        "--stages",
        stages,
        "--think",
        "0.01s",
        "--workers",
        str(workers),
        "--worker-stack",
        "w",
        "--endpoints",
        str(ends),
        "--results",
        str(results),
        "--run-id",
        run_id,
        "--workers-lead",
        lead,
        "--sign",
        "never",
        "--features",
        FEATURES,
        "--quiet",
    ]


def popen(argv: list[str], **kwargs: Any) -> subprocess.Popen[str]:
    return subprocess.Popen(
        argv,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        **kwargs,
    )


def wait_for(condition: Callable[[], bool], what: str, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def records(folder: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (folder / "requests.jsonl").read_text().splitlines()]


# --- 1: interrupted -------------------------------------------------------------------------


def interrupted(
    tmp_path: Path, run_id: str, signals: list[signal.Signals], stages: str = "2:0:60s"
) -> tuple[int, str, float, int, Path]:
    """A workers run sent ``signals`` (0.3 s apart) once its workers send requests: its
    status, stderr, the seconds it took from the first signal, the requests the target saw,
    and the run's folder."""
    results, state = tmp_path / "results", tmp_path / "state.json"
    with ServerThread() as server:
        proc = popen(
            controller_argv(
                state,
                *workers_args(
                    server.url, results, endpoints(tmp_path), run_id=run_id, stages=stages
                ),
            )
        )
        try:
            wait_for(lambda: server.seen > 20, "the workers' first requests")
            began = time.monotonic()
            for signum in signals:
                proc.send_signal(signum)
                time.sleep(0.3)
            _, err = proc.communicate(timeout=90)
            took_s = time.monotonic() - began
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
        # A request the stopped workers had in flight is recorded; the server, on a busy host,
        # may count it a moment after the controller ended: wait for its count to catch up.
        sent = results / run_id / "t" / "scenario2" / "requests.jsonl"
        if sent.is_file():
            recorded = len(sent.read_text().splitlines())
            wait_for(lambda: server.seen >= recorded, "the server's count", 30)
        seen = server.seen
    return proc.returncode, err, took_s, seen, results / run_id


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_stops_the_workers_and_merges_what_they_measured_marked_incomplete(
    tmp_path: Path, signum: signal.Signals
) -> None:
    status, err, took_s, seen, run = interrupted(tmp_path, "int", [signum])
    assert status == 128 + signum, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    # The workers looked for the stop marker and stopped: not the 60 s of their plan.
    assert took_s < 30
    said = [line for line in err.splitlines() if line.startswith(f"interrupted by {signum.name}")]
    assert len(said) == 2, err
    assert "asked to stop" in said[0] and "at the latest they end at" in said[0]
    assert "interrupt again to stop waiting" in said[0]
    report = json.loads((run / "workers.json").read_text())
    assert report["interrupted"] == f"stopped by {signum.name}"
    assert [w["status"] for w in report["workers"]] == ["ok", "ok"] and report["lost"] == []
    folder = run / "t" / "scenario2"
    summary = json.loads((folder / "summary.json").read_text())
    # What the workers measured is all there, and the run says it was interrupted.
    assert summary["complete"] is False
    assert f"stopped by {signum.name}" in summary["interrupted"]
    assert "stopped by the controller" in summary["interrupted"]
    assert summary["requests"] == len(records(folder)) == seen
    assert str(folder) in said[1] and "workers.json" in said[1]


@pytest.mark.slow
def test_a_second_signal_stops_waiting_at_once_and_says_until_when_they_run(tmp_path: Path) -> None:
    status, err, took_s, _, run = interrupted(tmp_path, "twice", [signal.SIGTERM] * 2)
    assert status == 143, err
    assert took_s < 10 and "Traceback" not in err
    report = json.loads((run / "workers.json").read_text())
    assert report["interrupted"] == "stopped by SIGTERM"
    assert [w["status"] for w in report["workers"]] == ["running on", "running on"]
    assert all("runs on until" in w["error"] and "UTC" in w["error"] for w in report["workers"])
    assert len(report["left_in_bucket"]) == 2 and report["lost"] == []
    assert all(
        left["where"].startswith(f"s3://{BUCKET}/runs/twice/w") for left in report["left_in_bucket"]
    )
    last = err.strip().splitlines()[-1]
    assert last.startswith("interrupted by SIGTERM: w0, w1 run on until") and "UTC" in last


def test_a_signal_before_any_invocation_invokes_nothing_and_leaves_the_run_id_free(
    s3: Any, tmp_path: Path
) -> None:
    interrupt = Interrupt()
    interrupt(signal.SIGTERM)
    plan = StagedPlan(stages=(Stage(users=2, hold_s=1.0),))
    with pytest.raises(RunInterrupted):
        run_workers(
            plan,
            target_url="http://127.0.0.1:9",
            sign="never",
            target_name="t",
            stack=STACK,
            workers=2,
            results_dir=tmp_path,
            run_id="r",
            invoker=lambda _event: pytest.fail("invoked"),
            out=lambda _line: None,
            interrupt=interrupt,
        )
    assert not (tmp_path / "r").exists()
    assert s3.list_objects_v2(Bucket=BUCKET).get("KeyCount") == 0


def test_a_worker_s_look_for_the_stop_marker_never_writes_one(s3: Any) -> None:
    from loadgen.workers._handler import STOP_BODY, _stop_asked

    key = "runs/r/stop"
    assert _stop_asked(s3, BUCKET, key) is False
    assert _stop_asked(s3, BUCKET, key) is False  # its own look left nothing behind
    assert s3.list_objects_v2(Bucket=BUCKET).get("KeyCount") == 0
    s3.put_object(Bucket=BUCKET, Key=key, Body=b"something else")
    assert _stop_asked(s3, BUCKET, key) is False
    s3.put_object(Bucket=BUCKET, Key=key, Body=STOP_BODY)  # what the controller writes
    assert _stop_asked(s3, BUCKET, key) is True


# --- 2: one run id, one run -----------------------------------------------------------------


@pytest.mark.slow
def test_two_workers_runs_with_one_run_id_one_runs_the_other_sends_nothing(tmp_path: Path) -> None:
    results = tmp_path / "results"
    ends = endpoints(tmp_path)
    with ServerThread() as server:
        procs = [
            popen(
                controller_argv(
                    tmp_path / f"state{k}.json",
                    *workers_args(server.url, results, ends, run_id="same", stages="2:0:2s"),
                )
            )
            for k in range(2)
        ]
        done = [(proc, *proc.communicate(timeout=90)) for proc in procs]
        seen = server.seen
    codes = sorted(proc.returncode for proc, _, _ in done)
    assert codes == [0, 2], [err for _, _, err in done]
    loser = next(k for k, (proc, _, _) in enumerate(done) if proc.returncode == 2)
    err = done[loser][2].strip()
    assert len(err.splitlines()) == 1 and "--run-id" in err and "already holds" in err
    assert json.loads((tmp_path / f"state{loser}.json").read_text())["invoked"] == []
    folder = results / "same" / "t" / "scenario2"
    assert json.loads((folder / "summary.json").read_text())["requests"] == seen
    assert {r["source"] for r in records(folder)} == {0, 1}


def test_a_run_id_taken_in_the_bucket_stops_the_run_before_any_invocation(
    s3: Any, tmp_path: Path
) -> None:
    # Another machine's controller started run "r" in the same bucket.
    s3.put_object(Bucket=BUCKET, Key="runs/r/claim.json", Body=b"{}")
    invoked: list[int] = []

    def invoke(event: dict[str, Any]) -> dict[str, Any]:
        invoked.append(event["worker"])
        raise AssertionError("invoked")

    plan = StagedPlan(stages=(Stage(users=2, hold_s=1.0),))
    with pytest.raises(ResultsError, match=r"run id 'r' is taken in s3://.*runs/r/.*--run-id"):
        run_workers(
            plan,
            target_url="http://127.0.0.1:9",
            sign="never",
            target_name="t",
            stack=STACK,
            workers=2,
            results_dir=tmp_path,
            run_id="r",
            invoker=invoke,
            out=lambda _line: None,
        )
    assert invoked == []
    # The local folder was given back: the same results folder takes another run id.
    assert not (tmp_path / "r" / "workers").exists()


def test_a_single_machine_run_claims_its_folder_before_its_first_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two runs given one folder at once: one runs, the other fails and sends nothing, even
    when both reach the folder together (the space reserve widened to make sure they do)."""
    import anyio

    import loadgen.files._results as results_module
    from loadgen import RunSettings, target_from_url
    from loadgen.engine._runner import run_async
    from loadgen.files._space import reserve_space as reserve

    both_here = threading.Barrier(2, timeout=2)

    def slow_reserve(path: Path) -> None:
        try:
            both_here.wait()
        except threading.BrokenBarrierError:
            pass  # the other run was refused first: this one goes on alone
        reserve(path)

    monkeypatch.setattr(results_module, "reserve_space", slow_reserve)
    plan = StagedPlan(stages=(Stage(users=2, hold_s=1.0),))
    outcomes: list[Any] = []

    def one_run(url: str) -> None:
        settings = RunSettings(
            results_dir=tmp_path, run_id="same", features=tuple(FEATURES.split(","))
        )
        try:
            outcomes.append(
                anyio.run(
                    lambda: run_async(
                        plan,
                        target=target_from_url(url, name="t"),
                        settings=settings,
                        out=lambda _line: None,
                    )
                )
            )
        except ResultsError as exc:
            outcomes.append(exc)

    with ServerThread() as server:
        runs = [threading.Thread(target=one_run, args=(server.url,)) for _ in range(2)]
        for run in runs:
            run.start()
        for run in runs:
            run.join(30)
        seen = server.seen
    refused = [o for o in outcomes if isinstance(o, ResultsError)]
    assert len(outcomes) == 2 and len(refused) == 1, outcomes
    assert "already holds a run" in str(refused[0]) and "--run-id" in str(refused[0])
    folder = tmp_path / "same" / "t" / "scenario2"
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["requests"] == len(records(folder)) == seen


# --- 3: a full disk ---------------------------------------------------------------------------

_ON_A_SMALL_DISK = 'mount -t tmpfs -o size="$1" tmpfs "$2" || exit 97; shift 2; exec "$@"'


def on_a_small_disk(size: str, disk: Path, argv: list[str]) -> list[str]:
    if shutil.which("unshare") is None:
        pytest.skip("a real full disk needs a small tmpfs in a user namespace (unshare)")
    return [
        "unshare",
        "--user",
        "--map-root-user",
        "--mount",
        "sh",
        "-c",
        _ON_A_SMALL_DISK,
        "sh",
        size,
        str(disk),
        *argv,
    ]


@pytest.mark.slow
def test_a_workers_run_on_a_full_disk_exits_4_and_calls_no_worker_lost(tmp_path: Path) -> None:
    disk, state = tmp_path / "disk", tmp_path / "state.json"
    disk.mkdir()
    with ServerThread() as server:
        # No think time: each worker's folder is larger than what the disk has left.
        args = workers_args(
            server.url, disk, endpoints(tmp_path), run_id="full", stages="3:0:3s", workers=3
        )
        args[args.index("--think") + 1] = "0"
        proc = popen(on_a_small_disk("1300k", disk, controller_argv(state, *args)))
        _, err = proc.communicate(timeout=120)
    if proc.returncode == 97:
        pytest.skip(f"cannot mount a tmpfs in a user namespace here: {err.strip()}")
    assert proc.returncode == 4, err
    assert "Traceback" not in err
    stopped = [line for line in err.splitlines() if line.startswith("error: stopped")]
    assert len(stopped) == 1 and "No space left on device" in stopped[0], err
    assert "workers.json" in stopped[0] and f"s3://{BUCKET}/runs/full/" in stopped[0]
    assert "was lost" not in err
    # Every worker's folder is whole in the bucket: none is called lost.
    keys = json.loads(state.read_text())["keys"]
    for worker in range(3):
        assert all(
            f"runs/full/w{worker}/{name}" in keys
            for name in (
                "requests.jsonl",
                "latency.hlog",
                "timeline.csv",
                "run.json",
                "summary.json",
            )
        )


@pytest.mark.slow
def test_a_workers_run_without_room_to_start_invokes_nothing(tmp_path: Path) -> None:
    disk, state = tmp_path / "disk", tmp_path / "state.json"
    disk.mkdir()
    args = workers_args(
        "http://127.0.0.1:9", disk, endpoints(tmp_path), run_id="tiny", stages="2:0:2s"
    )
    proc = popen(on_a_small_disk("512k", disk, controller_argv(state, *args)))
    _, err = proc.communicate(timeout=60)
    if proc.returncode == 97:
        pytest.skip(f"cannot mount a tmpfs in a user namespace here: {err.strip()}")
    assert proc.returncode == 2, err
    assert len(err.strip().splitlines()) == 1 and "not enough free space" in err
    assert json.loads(state.read_text())["invoked"] == []


# --- 4: options checked before anything is sent ---------------------------------------------


@pytest.mark.parametrize(
    ("option", "value", "says"),
    [
        ("--workers", "3", "more than the worker stack 'w' allows (workers_max 2)"),
        ("--run-id", "../x", "run id must be a plain folder name"),
        ("--run-id", "/tmp/elsewhere", "run id must be a plain folder name"),
        ("--workers-lead", "200s", "--workers-lead 200s is more than the 120 s a worker waits"),
    ],
)
def test_options_a_workers_run_cannot_take_are_refused_in_one_line(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    option: str,
    value: str,
    says: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(invoke_module, "lambda_invoker", lambda *a, **k: pytest.fail("invoked"))
    args = workers_args(
        "http://127.0.0.1:9",
        tmp_path / "results",
        endpoints(tmp_path, workers_max=2),
        run_id="ok",
        stages="2:0:2s",
    )
    where = args.index(option) if option in args else len(args)
    args[where : where + 2] = [option, value]
    status = loadgen_main(args)
    err = capsys.readouterr().err
    assert status == 2, err
    assert len(err.strip().splitlines()) == 1 and says in err
    assert not (tmp_path / "results").exists() and not Path("/tmp/elsewhere").exists()
    assert not (tmp_path / "x").exists()


def test_a_lead_too_short_for_the_start_up_is_said_with_the_skew(
    s3: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def cold_start(event: dict[str, Any]) -> dict[str, Any]:
        time.sleep(0.6)  # each worker's start-up, which a lead of 0 does not cover
        return run_worker(event)

    monkeypatch.setattr(invoke_module, "lambda_invoker", lambda *a, **k: cold_start)
    with ServerThread() as server:
        status = loadgen_main(
            workers_args(
                server.url,
                tmp_path / "results",
                endpoints(tmp_path),
                run_id="z",
                stages="2:0:1s",
                lead="0s",
            )
        )
    err = capsys.readouterr().err
    assert status == 0, err
    line = next(line for line in err.splitlines() if line.startswith("workers started"))
    assert "ms apart" in line and "after the asked start" in line
    assert "the lead of 0 s did not cover their start-up" in line
    summary = json.loads(
        (tmp_path / "results" / "z" / "t" / "scenario2" / "summary.json").read_text()
    )
    assert summary["workers"]["clock"]["max_late_s"] >= 0.5
    assert any("after the asked start" in note for note in summary["notes"])


# --- The Invoke's connection -----------------------------------------------------------------


@pytest.mark.slow
def test_a_worker_whose_invoke_connection_dropped_is_collected_from_the_bucket(
    s3: Any, tmp_path: Path
) -> None:
    def invoke(event: dict[str, Any]) -> dict[str, Any]:
        if event["worker"] != 1:
            return run_worker(event)
        # A NAT dropped the idle connection: the call fails, the worker runs on and uploads.
        threading.Thread(target=run_worker, args=(event,), daemon=True).start()
        time.sleep(0.5)
        raise ConnectionResetError("Connection reset by peer")

    plan = StagedPlan(stages=(Stage(users=4, hold_s=2.0),), think_s=0.02)
    with ServerThread() as server:
        outcome = run_workers(
            plan,
            target_url=server.url,
            sign="never",
            target_name="t",
            stack=STACK,
            workers=2,
            results_dir=tmp_path,
            run_id="r",
            lead_s=1.0,
            grace_s=20.0,
            invoker=invoke,
            out=lambda _line: None,
            features=FEATURES.split(","),
        )
        seen = server.seen
    assert outcome.lost == [] and outcome.summary is not None
    dropped = outcome.workers["workers"][1]
    assert dropped["status"] == "ok" and "Connection reset" in dropped["recovered"]
    assert "found in s3://" in dropped["recovered"] and dropped["requests"] > 0
    assert outcome.summary["complete"] is True
    assert (
        outcome.summary["requests"]
        == seen
        == sum(w["requests"] for w in outcome.workers["workers"])
    )
