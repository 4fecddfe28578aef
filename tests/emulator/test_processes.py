"""The emulator with real instance processes (awslambdaric + the test function)."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from emulator import FunctionSpec, S3Object
from emulator.instance._cgroups import Cgroups, cpu_quota_us

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

Start = Callable[..., Any]
MakeSpec = Callable[..., FunctionSpec]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


async def _get(client: httpx.AsyncClient, url: str) -> httpx.Response:
    return await client.get(url, timeout=30)


async def _raw(url: str, request: bytes) -> bytes:
    """Send bytes as they are (no client normalises them) and read until the server closes."""
    host, port = url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        writer.write(request)
        return await asyncio.wait_for(reader.read(), timeout=30)
    finally:
        writer.close()


async def test_cold_then_warm(emulator_at: Start, make_spec: MakeSpec) -> None:
    async with emulator_at([make_spec()]) as run, httpx.AsyncClient() as client:
        first = await _get(client, run.url() + "/pid")
        second = await _get(client, run.url() + "/pid")
        assert first.status_code == second.status_code == 200
        a, b = first.json(), second.json()
        assert a["pid"] == b["pid"], "the second request reuses the warm instance"
        assert (a["served"], b["served"]) == (1, 2)
        started = run.events(kind="started")
        assert [e["request_id"] for e in started] == [a["request_id"]]
        reports = {r.request_id: r for r in run.reports()}
        assert reports[a["request_id"]].init_duration_ms is not None
        assert reports[b["request_id"]].init_duration_ms is None
        assert first.headers["apigw-requestid"] != second.headers["apigw-requestid"]


async def test_parallel_requests_get_one_instance_each(
    emulator_at: Start, make_spec: MakeSpec
) -> None:
    n = 4
    async with emulator_at([make_spec()]) as run, httpx.AsyncClient() as client:
        responses = await asyncio.gather(
            *(_get(client, run.url() + "/sleep?s=0.6") for _ in range(n))
        )
        assert [r.status_code for r in responses] == [200] * n
        assert len({r.json()["pid"] for r in responses}) == n
        assert len(run.events(kind="started")) == n
        # All four now idle: the next request is warm (no new instance).
        again = await _get(client, run.url() + "/pid")
        assert again.json()["pid"] in {r.json()["pid"] for r in responses}
        assert len(run.events(kind="started")) == n


async def test_keep_alive_reclaims_on_the_scaled_clock(
    emulator_at: Start, make_spec: MakeSpec
) -> None:
    # 600 s of keep-alive at time scale 1200 is half a real second.
    async with (
        emulator_at([make_spec()], time_scale=1200.0, keep_alive_s=600.0) as run,
        httpx.AsyncClient() as client,
    ):
        first = (await _get(client, run.url() + "/pid")).json()
        deadline = time.monotonic() + 30  # ends at the reclaim, however busy the host
        while not run.events(kind="reclaimed") and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        reclaimed = run.events(kind="reclaimed")
        assert len(reclaimed) == 1 and reclaimed[0]["pid"] == first["pid"]
        assert reclaimed[0]["idle_s"] >= 600.0
        await run.emu.wait_gone()
        assert not _alive(first["pid"])
        second = (await _get(client, run.url() + "/pid")).json()
        assert second["pid"] != first["pid"] and second["served"] == 1


async def test_sebs_policy_reclaims_half_of_the_idle_instances(
    emulator_at: Start, make_spec: MakeSpec
) -> None:
    # One SeBS period (360 s) at time scale 240 is 1.5 real seconds.
    async with (
        emulator_at([make_spec()], time_scale=240.0, idle_policy="sebs") as run,
        httpx.AsyncClient() as client,
    ):
        await asyncio.gather(*(_get(client, run.url() + "/sleep?s=0.3") for _ in range(4)))
        assert len(run.events(kind="started")) == 4
        deadline = time.monotonic() + 30  # two periods (3 s), however busy the host
        while len(run.events(kind="reclaimed")) < 3 and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        reclaimed = run.events(kind="reclaimed")
        batches: dict[str, int] = {}
        for record in reclaimed:
            batches[str(record["reason"])] = batches.get(str(record["reason"]), 0) + 1
        assert batches.get("sebs: half of 4 idle reclaimed") == 2
        assert batches.get("sebs: half of 2 idle reclaimed") == 1


async def test_reserved_concurrency_throttles_with_429(
    emulator_at: Start, make_spec: MakeSpec
) -> None:
    async with (
        emulator_at([make_spec(reserved_concurrency=2)]) as run,
        httpx.AsyncClient() as client,
    ):
        responses = await asyncio.gather(
            *(_get(client, run.url() + "/sleep?s=1.0") for _ in range(4))
        )
        statuses = sorted(r.status_code for r in responses)
        assert statuses == [200, 200, 429, 429]
        throttled = [r for r in responses if r.status_code == 429]
        assert all(r.json() == {"message": "Too Many Requests"} for r in throttled)
        assert len(run.events(kind="started")) == 2
        assert len(run.events(kind="throttled")) == 2


async def test_account_concurrency_is_shared_by_stacks(
    emulator_at: Start, make_spec: MakeSpec
) -> None:
    specs = [make_spec(name="a"), make_spec(name="b")]
    async with emulator_at(specs, account_concurrency=1) as run, httpx.AsyncClient() as client:
        busy = asyncio.ensure_future(_get(client, run.url("a") + "/sleep?s=1.0"))
        await asyncio.sleep(0.5)
        other = await _get(client, run.url("b") + "/pid")
        assert other.status_code == 429
        assert (await busy).status_code == 200


async def test_concurrency_counts_requests_in_flight_and_reservations_are_carved_out(
    emulator_at: Start, make_spec: MakeSpec
) -> None:
    # The issue's scenario with room for the rule to show: an account of 2, of which the
    # variant reserves 1, leaves 1 unreserved slot for python-512 and java-512 together.
    specs = [
        make_spec(name="python-512"),
        make_spec(name="java-512"),
        make_spec(name="reserved", reserved_concurrency=1),
    ]
    async with emulator_at(specs, account_concurrency=2) as run, httpx.AsyncClient() as client:
        assert (await _get(client, run.url("python-512") + "/pid")).status_code == 200
        # python-512's instance is idle: it holds no slot, so java-512 cold-starts.
        assert (await _get(client, run.url("java-512") + "/pid")).status_code == 200
        # The reservation serves one request at a time, whatever the unreserved pool holds.
        burst = await asyncio.gather(
            *(_get(client, run.url("reserved") + "/sleep?s=1.0") for _ in range(6))
        )
        assert sorted(r.status_code for r in burst) == [200, 429, 429, 429, 429, 429]
        # While the reservation is busy, the unreserved slot is still free for the others...
        busy = asyncio.ensure_future(_get(client, run.url("reserved") + "/sleep?s=1.0"))
        await asyncio.sleep(0.3)
        assert (await _get(client, run.url("python-512") + "/pid")).status_code == 200
        # ...and while the unreserved slot is busy, the reserved function cannot borrow it, nor
        # the other unreserved function share it.
        assert (await busy).status_code == 200
        slow = asyncio.ensure_future(_get(client, run.url("python-512") + "/sleep?s=1.0"))
        await asyncio.sleep(0.3)
        assert (await _get(client, run.url("java-512") + "/pid")).status_code == 429
        assert (await _get(client, run.url("reserved") + "/pid")).status_code == 200
        assert (await slow).status_code == 200
        throttled = run.events("java-512", kind="throttled")
        assert [(t["pool"], t["in_flight"], t["limit"]) for t in throttled] == [
            ("unreserved", 1, 1)
        ]


def test_reservations_beyond_the_account_are_refused(make_spec: MakeSpec) -> None:
    from emulator import Emulator, EmulatorConfigError, EmulatorOptions

    specs = [
        make_spec(name="a", reserved_concurrency=2),
        make_spec(name="b", reserved_concurrency=1),
    ]
    with pytest.raises(EmulatorConfigError, match="reserved concurrency totals 3"):
        Emulator(specs, EmulatorOptions(account_concurrency=2))
    # The issue's literal numbers: the reservation takes the whole account, so the two other
    # stacks could never run; refused with what to change.
    issue = [
        make_spec(name="python-512"),
        make_spec(name="java-512"),
        make_spec(name="x", reserved_concurrency=1),
    ]
    with pytest.raises(
        EmulatorConfigError,
        match="leaving none for python-512, java-512: raise --account-concurrency",
    ):
        Emulator(issue, EmulatorOptions(account_concurrency=1))


async def test_function_timeout_answers_500_and_discards_the_instance(
    emulator_at: Start, make_spec: MakeSpec
) -> None:
    async with emulator_at([make_spec(timeout_s=1.0)]) as run, httpx.AsyncClient() as client:
        pid = (await _get(client, run.url() + "/pid")).json()["pid"]
        began = time.monotonic()
        response = await _get(client, run.url() + "/sleep?s=20")
        assert response.status_code == 500
        assert response.json() == {"message": "Internal Server Error"}
        assert time.monotonic() - began < 10
        timed_out = run.events(kind="timed_out")
        assert len(timed_out) == 1 and timed_out[0]["pid"] == pid
        after = (await _get(client, run.url() + "/pid")).json()
        assert after["pid"] != pid and after["served"] == 1
        assert not _alive(pid)
        log = run.log_text()
        assert "Task timed out after 1.00 seconds" in log
        statuses = [r.status for r in run.reports()]
        assert statuses.count("timeout") == 1


async def test_killed_instance_mid_request_answers_500_and_next_is_new(
    emulator_at: Start, make_spec: MakeSpec
) -> None:
    async with emulator_at([make_spec()]) as run, httpx.AsyncClient() as client:
        pid = (await _get(client, run.url() + "/pid")).json()["pid"]
        slow = asyncio.ensure_future(_get(client, run.url() + "/sleep?s=10"))
        await asyncio.sleep(0.5)
        os.kill(pid, signal.SIGKILL)
        response = await slow
        assert response.status_code == 500
        assert response.json() == {"message": "Internal Server Error"}
        crashed = run.events(kind="crashed")
        assert len(crashed) == 1 and crashed[0]["pid"] == pid and crashed[0]["exit_code"] == -9
        after = (await _get(client, run.url() + "/pid")).json()
        assert after["pid"] != pid and after["served"] == 1
        assert "Runtime exited with error: signal: killed" in run.log_text()
        # A handler that exits by itself is a crash too.
        assert (await _get(client, run.url() + "/crash")).status_code == 500
        assert len(run.events(kind="crashed")) == 2
        report_errors = [r for r in run.reports() if r.status == "error"]
        assert len(report_errors) == 2


async def test_init_failure_answers_500_and_the_next_request_tries_a_new_instance(
    emulator_at: Start, make_spec: MakeSpec
) -> None:
    spec = make_spec(environment={"TEST_INIT_FAIL": "1"})
    async with emulator_at([spec]) as run, httpx.AsyncClient() as client:
        first = await _get(client, run.url() + "/pid")
        second = await _get(client, run.url() + "/pid")
        assert first.status_code == second.status_code == 500
        failed = run.events(kind="init_failed")
        assert len(failed) == 2 and failed[0]["instance"] != failed[1]["instance"]
        assert failed[0]["error_type"] == "RuntimeError"
        assert "INIT_REPORT Init Duration:" in run.log_text()
        assert "init failed on purpose" in run.log_text()
        assert run.reports() == [], "no invocation ran, so there is no REPORT"


async def test_malformed_and_failed_results_answer_500_and_keep_the_instance(
    emulator_at: Start, make_spec: MakeSpec
) -> None:
    # Lambda keeps an environment after a function error (only crashes and timeouts reset it).
    async with emulator_at([make_spec()]) as run, httpx.AsyncClient() as client:
        pid = (await _get(client, run.url() + "/pid")).json()["pid"]
        for path in ("/bad-status", "/unserialisable", "/raise"):
            response = await _get(client, run.url() + path)
            assert response.status_code == 500, path
            assert response.json() == {"message": "Internal Server Error"}
        after = (await _get(client, run.url() + "/pid")).json()
        assert after["pid"] == pid and after["served"] == 5
        assert "Runtime.MarshalError" in run.log_text()


async def test_results_that_are_not_proxy_responses(
    emulator_at: Start, make_spec: MakeSpec
) -> None:
    async with emulator_at([make_spec()]) as run, httpx.AsyncClient() as client:
        text = await _get(client, run.url() + "/raw-string")
        assert (text.status_code, text.text) == (200, "Hello from Lambda!")
        assert text.headers["content-type"] == "application/json"
        obj = await _get(client, run.url() + "/raw-dict")
        assert obj.status_code == 200 and obj.json() == {"message": "not a proxy response"}


async def test_event_reaches_the_function_as_payload_2_0(
    emulator_at: Start, make_spec: MakeSpec
) -> None:
    async with emulator_at([make_spec()]) as run, httpx.AsyncClient() as client:
        response = await client.post(
            run.url() + "/echo?q=1&q=2",
            content=b"\x00\xffbinary",
            headers={
                "content-type": "application/octet-stream",
                "X-Custom": "v",
                "cookie": "a=1; b=2",
            },
        )
        event = response.json()["event"]
        assert event["version"] == "2.0" and event["routeKey"] == "$default"
        assert event["rawPath"] == "/echo" and event["rawQueryString"] == "q=1&q=2"
        assert event["queryStringParameters"] == {"q": "1,2"}
        assert event["headers"]["x-custom"] == "v" and event["cookies"] == ["a=1", "b=2"]
        assert event["requestContext"]["http"]["method"] == "POST"
        assert event["requestContext"]["http"]["sourceIp"] == "127.0.0.1"
        assert event["requestContext"]["requestId"] == response.headers["apigw-requestid"]
        assert event["isBase64Encoded"] is True


async def test_unknown_route_is_api_gateways_404_without_an_instance(
    emulator_at: Start, make_spec: MakeSpec
) -> None:
    spec = make_spec(routes=("POST /predict", "GET /health"))
    async with emulator_at([spec]) as run, httpx.AsyncClient() as client:
        for method, path in (("GET", "/nope"), ("GET", "/predict")):
            response = await client.request(method, run.url() + path)
            assert response.status_code == 404 and response.json() == {"message": "Not Found"}
        assert run.events(kind="started") == []
        health = await _get(client, run.url() + "/health")
        assert health.status_code == 200


async def test_routes_match_as_api_gateway_matches_them(
    emulator_at: Start, make_spec: MakeSpec
) -> None:
    spec = make_spec(routes=("POST /predict", "GET /health"))
    async with emulator_at([spec]) as run, httpx.AsyncClient() as client:
        url = run.url()
        authority = url.removeprefix("http://")
        # Not a request for this API (another authority), or a path no route declares once
        # decoded: the gateway's own 404, and the function is not invoked.
        for target in ("http://evil.example/health", "/%6eope", "/%ff", "//evil.example/health"):
            answer = await _raw(
                url,
                f"GET {target} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n".encode(),
            )
            head, _, body = answer.partition(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 404"), (target, answer[:200])
            assert body == b'{"message":"Not Found"}', target
        assert run.events(kind="started") == [] and "START" not in run.log_text()
        # HTTP APIs decode the path before routing and pass it decoded: /%68ealth is /health.
        for target in ("/%68ealth", f"http://{authority}/health"):
            answer = await _raw(
                url,
                f"GET {target} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n".encode(),
            )
            head, _, body = answer.partition(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 200"), (target, answer[:200])
            assert json.loads(body)["path"] == "/health"
        assert (await _get(client, url + "/health")).status_code == 200


async def test_invocation_limit_counts_the_events_utf8_bytes(
    emulator_at: Start, make_spec: MakeSpec
) -> None:
    text = {"content-type": "text/plain; charset=utf-8"}
    async with emulator_at([make_spec()]) as run, httpx.AsyncClient() as client:
        # 2.2 MB of "é": 2.2 MB in the event as UTF-8 (6.6 MB written as \u00e9 escapes).
        fits = await client.post(
            run.url() + "/body-length", content=("é" * 1_100_000).encode(), headers=text, timeout=60
        )
        assert fits.status_code == 200, fits.text
        assert fits.json() == {"chars": 1_100_000, "distinct": ["é"]}
        # 6.4 MB of UTF-8 is over Lambda's 6 MB whatever the encoding.
        over = await client.post(
            run.url() + "/body-length", content=("é" * 3_200_000).encode(), headers=text, timeout=60
        )
        assert over.status_code == 413


async def test_idle_and_half_sent_connections_are_closed(
    emulator_at: Start, make_spec: MakeSpec
) -> None:
    async with emulator_at([make_spec()], connection_timeout_s=1.0) as run:
        host, port = run.url().removeprefix("http://").split(":")

        async def held_open_s(*chunks: bytes, gap_s: float = 0.0) -> tuple[float, bytes]:
            reader, writer = await asyncio.open_connection(host, int(port))
            opened = time.monotonic()

            async def trickle() -> None:
                for chunk in chunks:
                    writer.write(chunk)
                    await asyncio.sleep(gap_s)

            feeding = asyncio.ensure_future(trickle())
            try:
                answer = await asyncio.wait_for(reader.read(), timeout=20)
            finally:
                feeding.cancel()
                writer.close()
            return time.monotonic() - opened, answer

        silent, trickled, short_body, after_response = await asyncio.gather(
            held_open_s(),
            # slowloris: a byte of the head every 0.2 s, never finished
            held_open_s(
                *(
                    bytes([b])
                    for b in b"GET /pid HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaa"
                ),
                gap_s=0.2,
            ),
            held_open_s(b"POST /pid HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc"),
            held_open_s(b"GET /pid HTTP/1.1\r\nHost: x\r\n\r\n"),
        )
        for held_s, _ in (silent, trickled, short_body, after_response):
            assert held_s < 10, "closed after the 1 s timeout, within an order of magnitude"
        assert silent[1] == b"" and trickled[1] == b""
        assert short_body[1].startswith(b"HTTP/1.1 408")
        assert short_body[1].endswith(b'{"message":"Request Timeout"}')
        assert after_response[1].startswith(b"HTTP/1.1 200"), "served, then closed when idle"
        assert len(run.events(kind="started")) == 1


async def test_a_malformed_request_logs_one_line(
    emulator_at: Start, make_spec: MakeSpec, caplog: pytest.LogCaptureFixture
) -> None:
    async with emulator_at([make_spec()]) as run:
        with caplog.at_level(logging.DEBUG):
            answer = await _raw(run.url(), b"GET /pid HTTP/1.1\r\nHost: x\r\nNo colon here\r\n\r\n")
    assert answer.startswith((b"HTTP/1.1 400", b"HTTP/1.0 400"))
    loud = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(loud) == 1, [r.getMessage() for r in loud]
    assert loud[0].exc_info is None and "\n" not in loud[0].getMessage()
    assert (
        "malformed request, answered 400" in loud[0].getMessage()
        and "127.0.0.1" in loud[0].getMessage()
    )


async def test_a_client_leaving_mid_body_logs_one_line(
    emulator_at: Start, make_spec: MakeSpec, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with emulator_at([make_spec()]) as run:
        host, port = run.url().removeprefix("http://").split(":")
        _, writer = await asyncio.open_connection(host, int(port))
        writer.write(b"POST /pid HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc")
        await writer.drain()
        writer.close()
        await writer.wait_closed()
        for _ in range(100):  # bounded: 10 s
            if any("left before sending" in r.getMessage() for r in caplog.records):
                break
            await asyncio.sleep(0.1)
        nothing_ran = run.events(kind="started") == []
    loud = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(loud) == 1, [r.getMessage() for r in loud]
    assert loud[0].exc_info is None and "nothing was invoked" in loud[0].getMessage()
    assert nothing_ran


async def test_payload_over_10_mb_is_refused_with_413(
    emulator_at: Start, make_spec: MakeSpec
) -> None:
    async with emulator_at([make_spec()]) as run, httpx.AsyncClient() as client:
        response = await client.post(
            run.url() + "/echo", content=b"x" * (10 * 1024 * 1024 + 1), timeout=30
        )
        assert response.status_code == 413
        assert response.json() == {"message": "Request Entity Too Large"}
        assert run.events(kind="started") == []


async def test_integration_timeout_answers_503_and_the_instance_finishes(
    emulator_at: Start, make_spec: MakeSpec
) -> None:
    # API Gateway's 30 s, shortened for the test; the function's own timeout is longer.
    async with (
        emulator_at([make_spec(timeout_s=10.0)], integration_timeout_s=1.0) as run,
        httpx.AsyncClient() as client,
    ):
        response = await _get(client, run.url() + "/sleep?s=1.5")
        assert response.status_code == 503
        assert response.json() == {"message": "Service Unavailable"}
        # The instance finishes its 1.5 s on its own: its REPORT line comes then (on a busy
        # host, some seconds later), and it was not timed out meanwhile.
        deadline = time.monotonic() + 30
        while not run.reports():
            assert time.monotonic() < deadline, "no REPORT line for the invocation"
            await asyncio.sleep(0.1)
        assert run.events(kind="timed_out") == []
        assert len(run.reports()) == 1 and run.reports()[0].status is None


async def test_lambda_environment_layer_and_paths(
    emulator_at: Start, make_spec: MakeSpec, tmp_path: Path
) -> None:
    layer = tmp_path / "layer.zip"
    with zipfile.ZipFile(layer, "w") as archive:
        archive.writestr("data.bin", b"y" * 1234)
    spec = make_spec(
        layer_zip=layer,
        memory_mb=256,
        environment={"TEST_FILE": "/opt/data.bin", "MODEL_PATH": "/opt/model.zip"},
    )
    async with emulator_at([spec]) as run, httpx.AsyncClient() as client:
        info = (await _get(client, run.url() + "/pid")).json()
        env = info["env"]
        assert env["AWS_LAMBDA_FUNCTION_NAME"] == "fn"
        assert env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "256"
        assert env["AWS_LAMBDA_FUNCTION_VERSION"] == "$LATEST"
        assert env["AWS_REGION"] == "us-east-1" and env["_HANDLER"] == "app.handler"
        assert env["LAMBDA_TASK_ROOT"] == info["cwd"]
        assert env["AWS_LAMBDA_RUNTIME_API"].startswith("127.0.0.1:")
        assert (
            env["MODEL_PATH"].endswith("/opt/model.zip") and env["MODEL_PATH"] != "/opt/model.zip"
        )
        assert 0 < info["remaining_ms"] <= 5000
        assert (await _get(client, run.url() + "/file")).json() == {"bytes": 1234}


async def test_s3_strategy_artifact_is_served_locally(
    emulator_at: Start, make_spec: MakeSpec, tmp_path: Path
) -> None:
    artifact = tmp_path / "model.zip"
    artifact.write_bytes(b"z" * 777)
    spec = make_spec(
        environment={"MODEL_BUCKET": "bucket", "MODEL_KEY": "models/v1/model.zip"},
        s3_objects=(S3Object(bucket="bucket", key="models/v1/model.zip", path=artifact),),
    )
    async with emulator_at([spec]) as run, httpx.AsyncClient() as client:
        assert (await _get(client, run.url() + "/s3")).json() == {"bytes": 777}


async def test_provisioned_instances_start_ahead_and_serve_warm(
    emulator_at: Start, make_spec: MakeSpec
) -> None:
    async with (
        emulator_at([make_spec(provisioned_concurrency=1)], time_scale=1e6) as run,
        httpx.AsyncClient() as client,
    ):
        started = run.events(kind="started")
        assert len(started) == 1 and started[0]["reason"] == "provisioned"
        info = (await _get(client, run.url() + "/pid")).json()
        assert info["pid"] == started[0]["pid"]
        assert run.reports()[0].init_duration_ms is None
        assert info["env"]["AWS_LAMBDA_INITIALIZATION_TYPE"] == "provisioned-concurrency"
        await asyncio.sleep(0.3)
        assert run.events(kind="reclaimed") == [], "provisioned instances are never reclaimed"


async def test_snapstart_inits_once_then_starts_every_instance_as_a_restore(
    emulator_at: Start, make_spec: MakeSpec
) -> None:
    async with emulator_at([make_spec(snapstart=True)]) as run, httpx.AsyncClient() as client:
        # Init ran once at start (the version's publish), ahead of traffic, and was ended.
        assert [e["reason"] for e in run.events(kind="started")] == ["snapshot"]
        assert "INIT_REPORT Init Duration:" in run.log_text()
        answers = await asyncio.gather(
            *(_get(client, run.url() + "/sleep?s=0.4") for _ in range(2))
        )
        again = await _get(client, run.url() + "/pid")
        assert [a.status_code for a in answers] == [200, 200]
        assert [e["reason"] for e in run.events(kind="started")] == [
            "snapshot",
            "restore",
            "restore",
        ]
        env = again.json()["env"]
        assert env["AWS_LAMBDA_INITIALIZATION_TYPE"] == "snap-start"
        # Not available in SnapStart functions (AWS docs).
        assert "AWS_LAMBDA_LOG_STREAM_NAME" not in env and "AWS_LAMBDA_LOG_GROUP_NAME" not in env
        reports = run.reports()
        assert len(reports) == 3
        assert sum(r.restore for r in reports) == 2, "each restored instance's first REPORT"
        assert not any(r.cold_start for r in reports), "a restore is not a cold start"
        for r in reports:
            if r.restore:
                assert r.billed_restore_duration_ms is not None
                assert r.billed_duration_ms >= r.duration_ms + r.billed_restore_duration_ms


async def test_ping_schedule_invokes_the_function(emulator_at: Start, make_spec: MakeSpec) -> None:
    # Every minute at time scale 300 is every 0.2 real seconds.
    async with emulator_at([make_spec(ping_interval_minutes=1)], time_scale=300.0) as run:
        deadline = time.monotonic() + 30  # a cold start, then 0.2 s: ends at the 2nd ping
        while len(run.events(kind="ping")) < 2 and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        pings = run.events(kind="ping")
        assert len(pings) >= 2 and all(p["outcome"] == "ok" for p in pings)
        assert len(run.events(kind="started")) == 1
        # The function got AWS's ping (contract.ping_event: GET /health) and answered it.
        assert all(p["status"] == 200 for p in pings)
        assert "handling /health #1" in run.log_text()


async def test_no_process_or_directory_is_left_after_shutdown(
    emulator_at: Start, make_spec: MakeSpec, tmp_path: Path
) -> None:
    async with emulator_at([make_spec()]) as run, httpx.AsyncClient() as client:
        responses = await asyncio.gather(
            *(_get(client, run.url() + "/sleep?s=0.4") for _ in range(3))
        )
        pids = {r.json()["pid"] for r in responses}
        busy = asyncio.ensure_future(_get(client, run.url() + "/sleep?s=30"))
        await asyncio.sleep(0.3)
        assert all(_alive(p) for p in pids)
        cgroup_dirs = [Path(p) for p in _cgroup_dirs(pids)]
    busy.cancel()
    assert not any(_alive(p) for p in pids)
    assert not any((tmp_path / "work" / "instances").iterdir())
    assert not any(d.exists() for d in cgroup_dirs)
    stopped = run.events(kind="stopped")
    assert {e["pid"] for e in stopped} >= pids


def _cgroup_dirs(pids: set[int]) -> list[str]:
    dirs = []
    for pid in pids:
        for line in Path(f"/proc/{pid}/cgroup").read_text().splitlines():
            _, controllers, path = line.split(":", 2)
            if controllers in ("cpu", "memory") and "lambda-emulator" in path:
                dirs.append(f"/sys/fs/cgroup/{controllers}{path}")
    return dirs


async def test_cpu_and_memory_limits_are_applied(emulator_at: Start, make_spec: MakeSpec) -> None:
    probe = Cgroups(Path("/sys/fs/cgroup"), tag=f"probe-{os.getpid()}")
    probe.close()
    if not probe.support.limited:
        pytest.skip(f"cgroups not writable here: {probe.support.reason}")
    async with emulator_at([make_spec(memory_mb=256)]) as run, httpx.AsyncClient() as client:
        assert run.emu.cpu_limited
        info = (await _get(client, run.url() + "/pid")).json()
        host = run.emu.hosts["fn"]
        inst = next(i for i in host.instances.values() if i.pid == info["pid"])
        assert inst.cgroup is not None
        assert inst.cgroup.cpu_quota_us() == cpu_quota_us(256)
        assert inst.cgroup.memory_limit_bytes() == 256 * 1024 * 1024
        assert any("lambda-emulator" in d for d in _cgroup_dirs({info["pid"]}))
        # 0.1 s of CPU at 256/1769 of a vCPU needs about 0.7 s; unthrottled it takes 0.1 s.
        burn = (await _get(client, run.url() + "/burn?cpu_s=0.1")).json()
        assert burn["wall_s"] > 0.35


async def test_unlimited_when_cgroups_are_not_available(
    emulator_at: Start, make_spec: MakeSpec, tmp_path: Path
) -> None:
    fake_root = tmp_path / "not-a-cgroup-fs"
    fake_root.mkdir()
    async with (
        emulator_at([make_spec()], cgroup_root=fake_root) as run,
        httpx.AsyncClient() as client,
    ):
        assert not run.emu.cpu_limited
        assert str(fake_root) in run.emu.cpu_limit_reason
        assert (await _get(client, run.url() + "/pid")).status_code == 200
        header = run.events(kind="emulator_started")[0]
        assert header["cpu_limited"] is False and str(fake_root) in header["cpu_limit_reason"]
        assert run.events(kind="started")[0]["cpu_limited"] is False


async def test_report_lines_carry_init_duration_exactly_on_cold_starts(
    emulator_at: Start, make_spec: MakeSpec
) -> None:
    async with emulator_at([make_spec()]) as run, httpx.AsyncClient() as client:
        await asyncio.gather(*(_get(client, run.url() + "/sleep?s=0.4") for _ in range(3)))
        for _ in range(5):
            await _get(client, run.url() + "/pid")
        reports = run.reports()
        assert len(reports) == 8
        cold = {str(e["request_id"]) for e in run.events(kind="started")}
        with_init = {r.request_id for r in reports if r.init_duration_ms is not None}
        assert with_init == cold and len(cold) == 3
        for r in reports:
            assert r.memory_size_mb == 512 and r.max_memory_used_mb > 0
            assert r.billed_duration_ms >= r.duration_ms
        ready = {str(e["request_id"]): e["init_ms"] for e in run.events(kind="ready")}
        for r in reports:
            if r.init_duration_ms is not None:
                assert r.init_duration_ms == pytest.approx(ready[r.request_id], abs=0.01)
