"""Load-generator workers: the Lambda handler (S3 from moto) and the controller end to end.

The controller's invoker is injected: each "invocation" runs the real handler in its own
thread against the test server, and uploads go to moto's in-process S3.
"""

from __future__ import annotations

import csv
import json
import math
import re
import threading
import time
from pathlib import Path
from typing import Any

import pytest

import loadgen.workers._invoke as invoke_module
from loadgen import RatePlan, RateStep, Stage, StagedPlan
from loadgen.__main__ import main as loadgen_main
from loadgen.workers._controller import run_workers
from loadgen.workers._handler import handler, run_worker
from loadgen.workers._invoke import Invoker
from loadgen.workers._split import plan_to_json, split_plan
from loadgen.workers._stack import WorkerStack
from report._figures import stack_figures
from report._reading import collect

from ..support.loadgen_server import ServerThread
from ..support.workers_controller import BUCKET

# Users join at k * 0.275 s (none on a second's edge), so each second's count is sharp.
PLAN = StagedPlan(stages=(Stage(users=8, ramp_up_s=2.2, hold_s=1.8),), think_s=0.02)
STACK = WorkerStack(name="w", function_name="loadgen-worker", bucket=BUCKET)


def planned_users_per_second(plan: StagedPlan) -> list[int]:
    """The single-machine plan's users in each whole second (the most within it)."""
    changes = [t for t, _ in plan.changes()]
    return [
        max(plan.users_at(t) for t in [float(s), *(c for c in changes if s <= c < s + 1)])
        for s in range(math.ceil(plan.duration_s))
    ]


def timeline(folder: Path) -> list[dict[str, str]]:
    with (folder / "timeline.csv").open() as stream:
        return list(csv.DictReader(stream))


class DeadBeforeUpload:
    """The S3 client of a worker killed before its upload: nothing reaches the bucket."""

    def upload_file(self, *_args: Any) -> None:
        raise ConnectionError("killed")


def thread_invoker(
    kill: dict[int, float] | None = None, drop: dict[int, float] | None = None
) -> Invoker:
    """Runs the handler per call. A worker in ``kill`` dies (no reply, no upload) after that
    many s; one in ``drop`` loses its connection then but runs on and uploads its folder."""

    def invoke(event: dict[str, Any]) -> dict[str, Any]:
        after = (kill or {}).get(event["worker"])
        dropped = (drop or {}).get(event["worker"])
        if after is None and dropped is None:
            return handler(event, None)
        s3_client = DeadBeforeUpload() if after is not None else None
        threading.Thread(
            target=run_worker, args=(event,), kwargs={"s3_client": s3_client}, daemon=True
        ).start()
        time.sleep(after if after is not None else dropped or 0.0)
        raise ConnectionError(
            "the worker was killed mid-run" if after is not None else "Connection reset by peer"
        )

    return invoke


@pytest.mark.slow
def test_worker_handler_waits_for_the_start_runs_its_users_and_uploads(
    s3: Any, tmp_path: Path
) -> None:
    piece = split_plan(PLAN, 2)[1]
    with ServerThread() as server:
        asked = time.time() + 0.5
        event = {
            "run_id": "r1",
            "worker": 1,
            "workers": 2,
            "scenario": "scenario2",
            "slice": plan_to_json(piece.plan),
            "users": list(piece.users),
            "target": {"url": server.url, "sign": "never"},
            "start_epoch_s": asked,
            "time_scale": 2.0,
            "bucket": BUCKET,
            "prefix": "runs/r1/w1",
        }
        reply = handler(event, None)
        seen = server.seen
    assert reply["status"] == "ok", reply
    assert reply["worker"] == 1 and reply["prefix"] == "runs/r1/w1"
    assert reply["requests"] == seen > 0
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET)["Contents"])
    assert keys == sorted(
        f"runs/r1/w1/{name}"
        for name in ("latency.hlog", "requests.jsonl", "run.json", "summary.json", "timeline.csv")
    )
    run_info = json.loads(s3.get_object(Bucket=BUCKET, Key="runs/r1/w1/run.json")["Body"].read())
    # It waited for the asked start and says by how much it missed it.
    clock = reply["clock"]
    assert clock["asked_start_epoch_s"] == asked
    assert clock["measured_start_epoch_s"] == run_info["start_epoch_s"] >= asked - 0.001
    assert 0 <= clock["late_s"] < 5
    # Its records carry the plan-wide indices of its users (4..7 of 8).
    lines = s3.get_object(Bucket=BUCKET, Key="runs/r1/w1/requests.jsonl")["Body"].read()
    users = {json.loads(line)["user"] for line in lines.splitlines()}
    assert users == {4, 5, 6, 7}


@pytest.mark.slow
def test_two_invocations_of_one_worker_on_one_host_keep_their_own_files(
    s3: Any, tmp_path: Path
) -> None:
    # Two runs given one run id, or a killed worker's invocation still running when the next
    # run starts: the same worker number runs twice at once on one host (and one /tmp). Each
    # must write, upload and clean up its own folder, not delete or claim the other's.
    piece = split_plan(PLAN, 4)[0]
    work = tmp_path / "work"
    replies: dict[str, dict[str, Any]] = {}
    with ServerThread() as server:
        start_epoch_s = time.time() + 1.0

        def invoke(prefix: str) -> None:
            event = {
                "run_id": "r",
                "worker": 0,
                "workers": 4,
                "scenario": "scenario2",
                "slice": plan_to_json(piece.plan),
                "users": list(piece.users),
                "target": {"url": server.url, "sign": "never"},
                "features": ["duration"],
                "start_epoch_s": start_epoch_s,
                "time_scale": 4.0,
                "bucket": BUCKET,
                "prefix": prefix,
            }
            replies[prefix] = run_worker(event, work_dir=work)

        threads = [
            threading.Thread(target=invoke, args=(f"runs/{name}/w0",))
            for name in ("first", "second")
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
    assert sorted(replies) == ["runs/first/w0", "runs/second/w0"]
    for prefix, reply in replies.items():
        assert reply["status"] == "ok", reply
        listed = s3.list_objects_v2(Bucket=BUCKET, Prefix=f"{prefix}/")["Contents"]
        assert sorted(o["Key"] for o in listed) == sorted(
            f"{prefix}/{name}"
            for name in (
                "latency.hlog",
                "requests.jsonl",
                "run.json",
                "summary.json",
                "timeline.csv",
            )
        )
    assert list(work.iterdir()) == []  # each removed its own folder


def test_the_workers_s3_client_takes_the_events_endpoint_else_the_emulators(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # The workers' driver names the emulator's S3 in the event; an instance the emulator
    # started has AWS_ENDPOINT_URL_S3 (boto3 honours it); on AWS neither: AWS's own endpoint.
    from loadgen.workers._handler import _s3_client

    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    for key in ("AWS_PROFILE", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:9001")
    assert _s3_client({}).meta.endpoint_url == "http://127.0.0.1:9001"
    event = {"s3_endpoint": "http://127.0.0.1:9002"}
    assert _s3_client(event).meta.endpoint_url == "http://127.0.0.1:9002"
    monkeypatch.delenv("AWS_ENDPOINT_URL_S3")
    # A variable nothing sets is not read (it once was: LOADGEN_S3_ENDPOINT).
    monkeypatch.setenv("LOADGEN_S3_ENDPOINT", "http://127.0.0.1:9003")
    assert re.fullmatch(
        r"https://s3\.([a-z0-9-]+\.)?amazonaws\.com", _s3_client({}).meta.endpoint_url
    )


def test_worker_handler_answers_a_bad_event_in_one_line(s3: Any) -> None:
    reply = handler(
        {
            "run_id": "r",
            "worker": 0,
            "start_epoch_s": time.time(),
            "bucket": BUCKET,
            "prefix": "p",
            "target": {"url": "http://127.0.0.1:9"},
            "slice": {"kind": "staged", "stages": []},
        },
        None,
    )
    assert reply["status"] == "failed" and "\n" not in reply["error"]
    assert "stage" in reply["error"]
    too_long = split_plan(StagedPlan(stages=(Stage(users=2, hold_s=3600),)), 2)[0]
    reply = handler(
        {
            "run_id": "r",
            "worker": 0,
            "start_epoch_s": time.time(),
            "bucket": BUCKET,
            "prefix": "p",
            "target": {"url": "http://127.0.0.1:9"},
            "slice": plan_to_json(too_long.plan),
        },
        None,
    )
    assert reply["status"] == "failed" and "lasts 3600 s" in reply["error"]


@pytest.mark.slow
def test_four_workers_from_the_command_line_add_up_to_the_single_machine_plan(
    s3: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    endpoints = tmp_path / "endpoints.json"
    endpoints.write_text(
        json.dumps(
            {
                "stacks": {
                    "workers": {
                        "function_name": "loadgen-worker",
                        "bucket": BUCKET,
                        "url": "http://unused",
                    }
                }
            }
        )
    )
    replies: list[dict[str, Any]] = []
    invoke = thread_invoker()

    def recording(event: dict[str, Any]) -> dict[str, Any]:
        reply = invoke(event)
        replies.append(reply)
        return reply

    monkeypatch.setattr(invoke_module, "lambda_invoker", lambda *a, **k: recording)
    with ServerThread() as server:
        status = loadgen_main(
            [
                "scenario2",
                "--target",
                server.url,
                "--name",
                "t",
                "--stages",
                "8:2.2s:1.8s",
                "--think",
                "0.02s",
                "--workers",
                "4",
                "--worker-stack",
                "workers",
                "--endpoints",
                str(endpoints),
                "--results",
                str(tmp_path / "results"),
                "--run-id",
                "r",
                "--workers-lead",
                "1s",
                "--sign",
                "never",
                "--quiet",
            ]
        )
        seen = server.seen
    assert status == 0, capsys.readouterr().err
    folder = tmp_path / "results" / "r" / "t" / "scenario2"
    rows = timeline(folder)
    expected = planned_users_per_second(PLAN)
    assert expected == [4, 8, 8, 8]
    assert [int(r["users"]) for r in rows[: len(expected)]] == expected
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["requests"] == sum(r["requests"] for r in replies) == seen
    assert sum(int(r["hits"]) for r in rows) == seen
    run_info = json.loads((folder / "run.json").read_text())
    assert [w["status"] for w in run_info["workers"]["workers"]] == ["ok"] * 4
    assert [w["users"] for w in run_info["workers"]["workers"]] == [[0, 1], [2, 3], [4, 5], [6, 7]]
    # The merged run is the whole plan's, not worker 0's slice.
    assert run_info["plan"]["stages"][0]["users"] == 8 and "first_user" not in run_info["plan"]
    skew_s = summary["workers"]["clock"]["skew_s"]
    assert 0 <= skew_s < 5 and any("ms apart" in n for n in summary["notes"])
    # The report reads it as any other result folder.
    runs = collect([folder])
    figures = stack_figures(runs[0].target, runs, {})
    assert figures.data_problems == []


@pytest.mark.slow
def test_a_worker_killed_mid_run_and_one_that_never_answers_are_lost_users(
    s3: Any, tmp_path: Path
) -> None:
    hung = threading.Event()
    kill = thread_invoker(kill={1: 1.5})

    def invoke(event: dict[str, Any]) -> dict[str, Any]:
        if event["worker"] == 3:
            hung.wait(30)  # a reply that never comes (released at the end of the test)
            raise TimeoutError("released")
        return kill(event)

    lines: list[str] = []
    try:
        with ServerThread() as server:
            outcome = run_workers(
                PLAN,
                target_url=server.url,
                sign="never",
                target_name="t",
                stack=STACK,
                workers=4,
                results_dir=tmp_path,
                run_id="r",
                lead_s=1.0,
                grace_s=3.0,
                invoker=invoke,
                out=lines.append,
            )
    finally:
        hung.set()
    assert outcome.folder is not None and outcome.summary is not None
    lost = {entry["worker"]: entry for entry in outcome.lost}
    assert sorted(lost) == [1, 3]
    assert lost[1]["lost"] == "users 2..3" and "killed mid-run" in lost[1]["why"]
    assert lost[3]["lost"] == "users 6..7" and "no reply" in lost[3]["why"]
    run_info = json.loads((outcome.folder / "run.json").read_text())
    assert [w["status"] for w in run_info["workers"]["workers"]] == [
        "ok",
        "failed",
        "ok",
        "timed out",
    ]
    summary = outcome.summary
    assert summary["complete"] is False
    assert sum("users 2..3 are missing" in n for n in summary["notes"]) == 1
    # The merged timeline holds the users of the workers that came back: 0, 1, 4, 5.
    rows = timeline(outcome.folder)
    assert [int(r["users"]) for r in rows[:4]] == [2, 4, 4, 4]
    assert any("finished" in line for line in lines)


@pytest.mark.slow
def test_a_rate_plan_on_two_workers_sends_the_plan_s_arrivals(s3: Any, tmp_path: Path) -> None:
    plan = RatePlan(steps=(RateStep(rate_rps=20.0, duration_s=1.5),), max_in_flight=8)
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
            invoker=thread_invoker(),
            out=lambda _line: None,
        )
        seen = server.seen
    assert outcome.lost == [] and outcome.summary is not None
    assert outcome.summary["requests"] == seen == 30
    assert [w["requests"] for w in outcome.workers["workers"]] == [15, 15]


def test_a_plan_longer_than_a_lambda_invocation_is_refused_in_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    endpoints = tmp_path / "endpoints.json"
    endpoints.write_text(json.dumps({"stacks": {"w": {"function_name": "f", "bucket": "b"}}}))
    status = loadgen_main(
        [
            "scenario2",
            "--target",
            "http://127.0.0.1:9",
            "--stages",
            "8:10m:10m",
            "--workers",
            "2",
            "--worker-stack",
            "w",
            "--endpoints",
            str(endpoints),
            "--results",
            str(tmp_path),
        ]
    )
    err = capsys.readouterr().err
    assert status == 2
    assert "the plan lasts 1200 s" in err and "not chained" in err
    assert len(err.strip().splitlines()) == 1


def test_workers_send_a_request_file_as_the_single_machine_run_would(
    s3: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # A team's function: the workers send its request set (no KDD rows, no GET /health), and
    # every answer is judged by the request file's rule (2xx holding --expect-field).
    endpoints = tmp_path / "endpoints.json"
    endpoints.write_text(
        json.dumps(
            {
                "stacks": {
                    "workers": {
                        "function_name": "loadgen-worker",
                        "bucket": BUCKET,
                        "url": "http://unused",
                    }
                }
            }
        )
    )
    requests = tmp_path / "requests.jsonl"
    requests.write_text(
        '{"method": "POST", "path": "/predict", "body": {"instances": [{"x": 1}]}, "weight": 3}\n'
        '{"method": "POST", "path": "/predict", "body": {"instances": [{"x": 2}, {"x": 3}]}}\n'
    )
    events: list[dict[str, Any]] = []
    invoke = thread_invoker()

    def recording(event: dict[str, Any]) -> dict[str, Any]:
        events.append(event)
        return invoke(event)

    monkeypatch.setattr(invoke_module, "lambda_invoker", lambda *a, **k: recording)
    with ServerThread() as server:
        status = loadgen_main(
            [
                "scenario2",
                "--target",
                server.url,
                "--name",
                "fn",
                "--stages",
                "4:0:1.5s",
                "--think",
                "0.05s",
                "--workers",
                "2",
                "--worker-stack",
                "workers",
                "--endpoints",
                str(endpoints),
                "--results",
                str(tmp_path / "results"),
                "--run-id",
                "fn-requests",
                "--workers-lead",
                "1s",
                "--sign",
                "never",
                "--quiet",
                "--requests",
                str(requests),
                "--expect-field",
                "model_version",
            ]
        )
        seen, health_seen = server.seen, server.health_seen
    assert status == 0, capsys.readouterr().err
    assert [e["requests"]["text"] for e in events] == [requests.read_text()] * 2
    assert health_seen == 0  # the KDD path would have asked GET /health for its features
    folder = tmp_path / "results" / "fn-requests" / "fn" / "scenario2"
    records = [json.loads(line) for line in (folder / "requests.jsonl").read_text().splitlines()]
    assert len(records) == seen > 0
    assert all(r["status"] == 200 and r["error"] is None for r in records)


def test_workers_judge_answers_by_the_request_file_s_field(s3: Any, tmp_path: Path) -> None:
    # The same run asking for a field the answers lack: every record a bad response, so the
    # worker did read the expect_field it was sent. (Run ids of their own: a worker's folder is
    # /tmp/loadgen-<run id>-w<n>, which another test run on this machine may be using.)
    requests = tmp_path / "requests.json"
    requests.write_text('{"method": "POST", "path": "/predict", "body": {"instances": [{}]}}')
    from loadgen.workers._checks import request_event

    sent = request_event(requests, expect_field="missing_field")
    with ServerThread() as server:
        outcome = run_workers(
            StagedPlan(stages=(Stage(users=2, hold_s=1.0),), think_s=0.05),
            target_url=server.url,
            sign="never",
            target_name="fn",
            stack=STACK,
            workers=2,
            results_dir=tmp_path / "results",
            run_id="fn-field",
            lead_s=1.0,
            invoker=thread_invoker(),
            out=lambda _line: None,
            requests=sent,
        )
        seen = server.seen
    assert outcome.folder is not None
    records = [
        json.loads(line) for line in (outcome.folder / "requests.jsonl").read_text().splitlines()
    ]
    assert len(records) == seen > 0
    assert {r["error"] for r in records} == {"bad_response"}
