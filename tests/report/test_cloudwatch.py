"""The CloudWatch reader against moto's CloudWatch Logs (no AWS needed)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from report._cloudwatch import CloudWatchError, download_logs, iter_log_messages, parse_since
from report._reportline import read_report_lines

GROUP = "/aws/lambda/lambda-model-study-python-512"


@pytest.fixture()
def logs(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for k, v in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(k, v)
    with mock_aws():
        client = boto3.client("logs", region_name="us-east-1")
        client.create_log_group(logGroupName=GROUP)
        client.create_log_stream(logGroupName=GROUP, logStreamName="2026/11/28/[$LATEST]abc")
        yield client


def _put(client: Any, messages: list[str], start_ms: int) -> None:
    client.put_log_events(
        logGroupName=GROUP,
        logStreamName="2026/11/28/[$LATEST]abc",
        logEvents=[{"timestamp": start_ms + i, "message": m} for i, m in enumerate(messages)],
    )


def _report(i: int, cold: bool) -> str:
    init = "Init Duration: 150.00 ms\t" if cold else ""
    return (
        f"REPORT RequestId: req-{i:05d}\tDuration: {1 + i % 7}.50 ms\tBilled Duration: "
        f"{2 + i % 7} ms\t"
        f"Memory Size: 512 MB\tMax Memory Used: 44 MB\t{init}"
    )


def test_every_page_is_read(logs, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    now_ms = int(dt.datetime.now(dt.UTC).timestamp() * 1000)
    # Enough events that moto splits them into several pages (its page holds 10,000).
    messages: list[str] = []
    for i in range(12_500):
        messages.append(_report(i, cold=(i == 0)))
    for chunk in range(0, len(messages), 5000):
        _put(logs, messages[chunk : chunk + 5000], now_ms - 60_000 + chunk)
    out = tmp_path / "python-512.log"
    since = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    assert download_logs(logs, GROUP, out, since=since) == 12_500
    reports = list(read_report_lines(out.read_text().splitlines()))
    assert len(reports) == 12_500
    assert [r.request_id for r in reports if r.cold_start] == ["req-00000"]
    assert reports[3].billed_duration_ms == 5.0


def test_since_excludes_older_events(logs) -> None:  # type: ignore[no-untyped-def]
    now = dt.datetime.now(dt.UTC)
    old_ms = int((now - dt.timedelta(hours=3)).timestamp() * 1000)
    new_ms = int((now - dt.timedelta(minutes=1)).timestamp() * 1000)
    _put(logs, [_report(1, True)], old_ms)
    _put(logs, [_report(2, False)], new_ms)
    got = list(iter_log_messages(logs, GROUP, since=now - dt.timedelta(hours=1)))
    assert [m.split("\t")[0] for _, m in got] == ["REPORT RequestId: req-00002"]


def test_missing_group_says_what_to_check(logs) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(CloudWatchError, match="does not exist"):
        list(iter_log_messages(logs, "/aws/lambda/nope", since=dt.datetime.now(dt.UTC)))


def test_since_accepts_durations_and_iso_times() -> None:
    now = dt.datetime(2026, 11, 28, 12, 0, tzinfo=dt.UTC)
    assert parse_since("30m", now=now) == dt.datetime(2026, 11, 28, 11, 30, tzinfo=dt.UTC)
    assert parse_since("1d", now=now) == dt.datetime(2026, 11, 27, 12, 0, tzinfo=dt.UTC)
    assert parse_since("2026-11-28T10:00:00Z") == dt.datetime(2026, 11, 28, 10, 0, tzinfo=dt.UTC)
    with pytest.raises(CloudWatchError, match="neither a duration"):
        parse_since("yesterday")


def test_cli_writes_the_log_file_and_the_report_reads_it(logs: Any, tmp_path: Path) -> None:
    from report.__main__ import main

    now_ms = int(dt.datetime.now(dt.UTC).timestamp() * 1000)
    _put(logs, [_report(i, cold=(i == 0)) for i in range(3)], now_ms - 1000)
    out = tmp_path / "logs" / "python-512.log"
    assert (
        main(
            [
                "logs",
                "--log-group",
                GROUP,
                "--since",
                "10m",
                "--region",
                "us-east-1",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    assert len(list(read_report_lines(out.read_text().splitlines()))) == 3


def test_cli_without_credentials_is_one_clear_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from report.__main__ import main

    for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    code = main(
        [
            "logs",
            "--log-group",
            GROUP,
            "--since",
            "1h",
            "--region",
            "us-east-1",
            "--out",
            str(tmp_path / "x.log"),
        ]
    )
    assert code == 2
    assert "cannot read CloudWatch Logs" in capsys.readouterr().err


def test_report_event_with_its_xray_part_is_written_as_one_line(logs: Any, tmp_path: Path) -> None:
    now_ms = int(dt.datetime.now(dt.UTC).timestamp() * 1000)
    traced = (
        _report(7, cold=True) + "\nXRAY TraceId: 1-6740aa11-0123456789abcdef01234567"
        "\tSegmentId: 0f1e2d3c4b5a6978\tSampled: true\t\n"
    )
    _put(
        logs,
        ["START RequestId: req-00007 Version: $LATEST\n", traced, "END RequestId: req-00007\n"],
        now_ms - 1000,
    )
    out = tmp_path / "python-512.log"
    assert (
        download_logs(logs, GROUP, out, since=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5))
        == 3
    )
    lines = out.read_text().splitlines()
    assert len(lines) == 3 and lines[1].startswith("REPORT RequestId: req-00007")
    (report,) = read_report_lines(lines)
    assert (report.xray_trace_id, report.xray_segment_id, report.xray_sampled) == (
        "1-6740aa11-0123456789abcdef01234567",
        "0f1e2d3c4b5a6978",
        True,
    )
    assert report.init_duration_ms == 150.0


def test_a_json_format_log_group_reads_as_its_text_twin(logs: Any, tmp_path: Path) -> None:
    # A function with logFormat JSON: every platform event is a JSON object in CloudWatch.
    import json

    def event(kind: str, record: dict[str, object]) -> str:
        return json.dumps({"time": "2026-11-28T10:00:00.000Z", "type": kind, "record": record})

    def report(i: int, cold: bool) -> str:
        metrics: dict[str, object] = {
            "durationMs": 1 + i % 7 + 0.5,
            "billedDurationMs": 2 + i % 7,
            "memorySizeMB": 512,
            "maxMemoryUsedMB": 44,
        }
        if cold:
            metrics["initDurationMs"] = 150.0
        return event(
            "platform.report",
            {"requestId": f"req-{i:05d}", "metrics": metrics, "status": "success"},
        )

    now_ms = int(dt.datetime.now(dt.UTC).timestamp() * 1000)
    messages = []
    for i in range(3):
        messages += [
            event("platform.start", {"requestId": f"req-{i:05d}", "version": "$LATEST"}),
            '{"timestamp":"2026-11-28T10:00:00.001Z","level":"INFO","message":"hi"}',
            report(i, cold=(i == 0)),
        ]
    _put(logs, messages, now_ms - 1000)
    out = tmp_path / "python-512.log"
    assert (
        download_logs(logs, GROUP, out, since=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5))
        == 9
    )
    from_json = list(read_report_lines(out.read_text().splitlines()))
    from_text = list(read_report_lines([_report(i, cold=(i == 0)) for i in range(3)]))
    assert from_json == from_text and from_json[0].init_duration_ms == 150.0


ACCESS_GROUP = "/aws/vendedlogs/apigateway/lambda-model-study-sklearn-at-512"


def _access_event(apigw_id: str, lambda_id: str, status: int = 200) -> str:
    # As API Gateway writes the stage's access log (stack/aws/_api.py ACCESS_LOG_FORMAT).
    import json

    return json.dumps(
        {
            "requestId": apigw_id,
            "requestTime": "1764930000123",
            "sourceIp": "192.0.2.1",
            "routeKey": "POST /predict",
            "status": str(status),
            "protocol": "HTTP/1.1",
            "responseLength": "20",
            "responseLatency": "412",
            "integrationLatency": "398",
            "integrationStatus": "200" if lambda_id != "-" else "-",
            "integrationError": "-",
            "lambdaRequestId": lambda_id,
        }
    )


def test_the_access_fields_are_the_ones_the_stage_writes() -> None:
    from report._cloudwatch import AWS_ACCESS_FIELDS
    from stack.aws._api import ACCESS_LOG_FORMAT

    assert set(AWS_ACCESS_FIELDS.values()) <= set(ACCESS_LOG_FORMAT)
    assert ACCESS_LOG_FORMAT["requestId"] == "$context.requestId"
    assert ACCESS_LOG_FORMAT["lambdaRequestId"] == "$context.integration.requestId"


def test_a_function_without_x_request_id_is_joined_through_the_aws_access_log(
    logs: Any, tmp_path: Path
) -> None:
    # A team's function returns no x-request-id: the records carry API Gateway's id alone, and
    # only the stage's access log says which invocation (REPORT line) served each.
    import json

    from report.__main__ import main
    from report._figures import stack_figures
    from report._reading import collect, load_report_lines

    now_ms = int(dt.datetime.now(dt.UTC).timestamp() * 1000)
    _put(logs, [_report(i, cold=(i == 0)) for i in range(3)], now_ms - 1000)
    logs.create_log_group(logGroupName=ACCESS_GROUP)
    logs.create_log_stream(logGroupName=ACCESS_GROUP, logStreamName="stage")
    events = [_access_event(f"gw-{i}", f"req-{i:05d}") for i in range(3)]
    events.append(_access_event("gw-iam", "-", status=403))  # answered by the gateway itself
    events.append("not json")
    logs.put_log_events(
        logGroupName=ACCESS_GROUP,
        logStreamName="stage",
        logEvents=[{"timestamp": now_ms - 900 + i, "message": m} for i, m in enumerate(events)],
    )

    run = tmp_path / "results" / "aws-1"
    out = run / "logs" / "sklearn-at-512.log"
    assert (
        main(
            [
                "logs",
                "--log-group",
                GROUP,
                "--access-log-group",
                ACCESS_GROUP,
                "--since",
                "10m",
                "--region",
                "us-east-1",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    access = [
        json.loads(line)
        for line in (run / "logs" / "sklearn-at-512.access.jsonl").read_text().splitlines()
    ]
    assert [(a["apigw_id"], a["request_id"], a["status"]) for a in access] == [
        ("gw-0", "req-00000", 200),
        ("gw-1", "req-00001", 200),
        ("gw-2", "req-00002", 200),
        ("gw-iam", None, 403),
    ]
    assert access[0]["response_ms"] == 412.0 and access[0]["t"] == 1764930000.123

    folder = run / "sklearn-at-512" / "scenario2"
    folder.mkdir(parents=True)
    settings = {
        "kind": "function",
        "language": "python",
        "memory_mb": 512,
        "architecture": "x86_64",
        "model_strategy": "bundled",
        "cold_start_mitigation": "none",
        "handler": "app.lambda_handler",
    }
    (folder / "run.json").write_text(
        json.dumps(
            {
                "run_id": "aws-1",
                "scenario": "scenario2",
                "time_scale": 1.0,
                "batch": 1,
                "target": {"name": "sklearn-at-512", "source": "pulumi", "settings": settings},
            }
        )
    )
    records = [
        {
            "seq": i,
            "user": 0,
            "stage": 0,
            "start_s": float(i),
            "latency_us": 400_000,
            "status": 200,
            "error": None,
            "gateway_request_id": f"gw-{i}",
        }
        for i in range(3)
    ]
    (folder / "requests.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    (folder / "timeline.csv").write_text(
        "second,hits,ok,errors,throttled,cold_starts,users,mean_ms,max_ms,p50_ms,p99_ms\n"
        "0,3,3,0,0,0,1,,,,\n"
    )
    (folder / "summary.json").write_text(
        json.dumps({"complete": True, "requests": 3, "ok": 3, "error_total": 0, "notes": []})
    )
    runs = collect([run])
    reports, problems = load_report_lines([out])
    assert problems == []
    figures = stack_figures("sklearn-at-512", runs, reports)
    assert figures.cold_starts == 1 and figures.init_duration_p50_ms == 150.0
    assert figures.billed_gb_s is not None and figures.billed_gb_s > 0
    assert figures.cost is not None and figures.notes == []


def test_a_stack_deployed_without_the_access_log_output_still_gets_its_function_log(  # type: ignore[no-untyped-def]
    logs, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import shutil
    import subprocess

    from report.__main__ import main

    def pulumi(argv: list[str], **_: object) -> subprocess.CompletedProcess[str]:
        if argv[3] == "log_group":
            return subprocess.CompletedProcess(argv, 0, GROUP + "\n", "")
        return subprocess.CompletedProcess(
            argv, 255, "", "error: current stack does not have output property"
        )

    monkeypatch.setattr(shutil, "which", lambda name: "/usr/bin/pulumi")
    monkeypatch.setattr(subprocess, "run", pulumi)
    now_ms = int(dt.datetime.now(dt.UTC).timestamp() * 1000)
    _put(logs, [_report(0, cold=True)], now_ms - 1000)
    out = tmp_path / "logs" / "sklearn-at-512.log"
    assert (
        main(
            [
                "logs",
                "--stack",
                "sklearn-at-512",
                "--since",
                "10m",
                "--region",
                "us-east-1",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "access_log_group" in err[0] and "pulumi up" in err[0]
    assert len(list(read_report_lines(out.read_text().splitlines()))) == 1
    assert not (out.parent / "sklearn-at-512.access.jsonl").exists()
