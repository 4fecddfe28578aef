"""The Lambda API's control plane on the emulator, through boto3 as a memory sweep (or AWS
Lambda Power Tuning) calls it: configuration updates, versions, aliases, qualified invocations
and ``LogType: Tail``, with AWS's answers and errors."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from emulator import FunctionSpec
from emulator.gateway._sigv4 import DEFAULT_CREDENTIALS
from emulator.instance._cgroups import cpu_quota_us
from report import parse_report_line

pytestmark = pytest.mark.anyio


def _client(url: str) -> Any:
    return boto3.client(
        "lambda",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id=DEFAULT_CREDENTIALS.access_key_id,
        aws_secret_access_key=DEFAULT_CREDENTIALS.secret_access_key,
        config=Config(retries={"max_attempts": 1, "mode": "standard"}, read_timeout=30),
    )


def _pid(client: Any, **kwargs: Any) -> tuple[dict[str, Any], dict[str, Any], str]:
    """Invoke ``/pid`` with LogType Tail: the response, the function's body, the log tail."""
    response = client.invoke(
        FunctionName="fn",
        Payload=json.dumps({"rawPath": "/pid"}).encode(),
        LogType="Tail",
        **kwargs,
    )
    body = json.loads(json.loads(response["Payload"].read())["body"])
    return response, body, base64.b64decode(response["LogResult"]).decode()


def _report(tail: str) -> Any:
    return parse_report_line(
        next(line for line in tail.splitlines() if line.startswith("REPORT RequestId:"))
    )


def _error(call: Callable[[], object]) -> tuple[int, str, str]:
    with pytest.raises(ClientError) as caught:
        call()
    error = caught.value.response
    return (
        error["ResponseMetadata"]["HTTPStatusCode"],
        error["Error"]["Code"],
        error["Error"]["Message"],
    )


async def test_a_memory_update_makes_the_next_invocation_cold_at_the_new_size(
    emulator_at: Callable[..., Any], make_spec: Callable[..., FunctionSpec]
) -> None:
    spec = make_spec(environment={"TEST_ORIGINAL": "yes"})
    async with emulator_at([spec]) as running:
        client = _client(running.emu.lambda_url)

        def calls() -> dict[str, Any]:
            out: dict[str, Any] = {"before": client.get_function_configuration(FunctionName="fn")}
            out["first"] = _pid(client)
            out["warm"] = _pid(client)
            out["update"] = client.update_function_configuration(
                FunctionName="fn",
                MemorySize=256,
                Environment={"Variables": {"TEST_ORIGINAL": "yes", "TEST_SWEEP": "256-0"}},
            )
            client.get_waiter("function_updated").wait(
                FunctionName="fn", WaiterConfig={"Delay": 1, "MaxAttempts": 3}
            )
            out["after"] = _pid(client)
            quota = client.invoke(
                FunctionName="fn", Payload=json.dumps({"rawPath": "/cpu-quota"}).encode()
            )
            out["quota"] = json.loads(json.loads(quota["Payload"].read())["body"])
            return out

        try:
            out = await asyncio.to_thread(calls)
        finally:
            client.close()
    before = out["before"]
    assert before["MemorySize"] == 512 and before["Version"] == "$LATEST"
    assert before["Environment"]["Variables"] == {"TEST_ORIGINAL": "yes"}
    assert before["State"] == "Active" and before["LastUpdateStatus"] == "Successful"
    assert (
        out["update"]["MemorySize"] == 256 and out["update"]["RevisionId"] != before["RevisionId"]
    )
    first, warm, after = out["first"], out["warm"], out["after"]
    assert first[1]["pid"] == warm[1]["pid"] != after[1]["pid"]
    # The tail holds this invocation's own START..REPORT, and its REPORT tells cold from warm.
    response, _body, tail = first
    assert tail.startswith(f"START RequestId: {response['ResponseMetadata']['RequestId']}")
    assert "handling /pid" in tail
    assert _report(first[2]).init_duration_ms is not None
    assert _report(warm[2]).init_duration_ms is None and _report(warm[2]).memory_size_mb == 512
    report = _report(after[2])
    assert report.init_duration_ms is not None and report.memory_size_mb == 256
    assert after[1]["env"]["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "256"
    assert after[1]["env"]["TEST_SWEEP"] == "256-0"
    if running.emu.cpu_limited:
        # The new instance runs with the CPU share of the new memory size.
        assert int(out["quota"]["now"]) == cpu_quota_us(256)
    retired = running.events(kind="retired")
    assert [r["memory_mb"] for r in retired] == [256]


async def test_versions_and_aliases_serve_their_frozen_configuration_and_clean_up(
    emulator_at: Callable[..., Any], make_spec: Callable[..., FunctionSpec]
) -> None:
    async with emulator_at([make_spec()]) as running:
        client = _client(running.emu.lambda_url)

        def calls() -> dict[str, Any]:
            out: dict[str, Any] = {}
            client.update_function_configuration(FunctionName="fn", MemorySize=1024)
            v1 = client.publish_version(FunctionName="fn")
            out["same"] = client.publish_version(FunctionName="fn")["Version"]
            client.update_function_configuration(FunctionName="fn", MemorySize=128)
            out["alias"] = client.create_alias(
                FunctionName="fn", Name="sweep-1024", FunctionVersion=v1["Version"]
            )
            out["v1"] = v1
            out["via alias"] = _pid(client, Qualifier="sweep-1024")
            out["via alias again"] = _pid(client, Qualifier="sweep-1024")
            out["latest"] = _pid(client)
            out["alias config"] = client.get_function_configuration(
                FunctionName="fn", Qualifier="sweep-1024"
            )
            out["in use"] = _error(
                lambda: client.delete_function(FunctionName="fn", Qualifier=v1["Version"])
            )
            out["duplicate"] = _error(
                lambda: client.create_alias(
                    FunctionName="fn", Name="sweep-1024", FunctionVersion="$LATEST"
                )
            )
            out["no version"] = _error(
                lambda: client.create_alias(FunctionName="fn", Name="other", FunctionVersion="99")
            )
            out["too large"] = _error(
                lambda: client.update_function_configuration(FunctionName="fn", MemorySize=20480)
            )
            out["reserved"] = _error(
                lambda: client.update_function_configuration(
                    FunctionName="fn", Environment={"Variables": {"AWS_REGION": "x"}}
                )
            )
            client.update_alias(FunctionName="fn", Name="sweep-1024", FunctionVersion="$LATEST")
            out["moved"] = client.get_alias(FunctionName="fn", Name="sweep-1024")
            client.delete_alias(FunctionName="fn", Name="sweep-1024")
            client.delete_function(FunctionName="fn", Qualifier=v1["Version"])
            out["aliases"] = client.list_aliases(FunctionName="fn")["Aliases"]
            out["versions"] = [
                v["Version"]
                for v in client.list_versions_by_function(FunctionName="fn")["Versions"]
            ]
            out["gone alias"] = _error(lambda: _pid(client, Qualifier="sweep-1024"))
            out["gone version"] = _error(lambda: _pid(client, Qualifier=v1["Version"]))
            return out

        try:
            out = await asyncio.to_thread(calls)
        finally:
            client.close()
        await running.emu.wait_gone()
    assert out["v1"]["Version"] == "1" and out["v1"]["MemorySize"] == 1024
    # Nothing changed since version 1: publishing again gives version 1, as on AWS.
    assert out["same"] == "1"
    assert out["alias"]["AliasArn"].endswith(":function:fn:sweep-1024")
    response, body, tail = out["via alias"]
    assert response["ExecutedVersion"] == "1"
    assert body["env"]["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "1024"
    assert _report(tail).init_duration_ms is not None
    assert out["via alias again"][1]["pid"] == body["pid"]
    assert _report(out["via alias again"][2]).init_duration_ms is None
    latest = out["latest"]
    assert latest[0]["ExecutedVersion"] == "$LATEST" and latest[1]["pid"] != body["pid"]
    assert _report(latest[2]).memory_size_mb == 128
    assert out["alias config"]["MemorySize"] == 1024 and out["alias config"]["Version"] == "1"
    assert out["in use"][:2] == (409, "ResourceConflictException")
    assert "sweep-1024" in out["in use"][2]
    assert out["duplicate"][:2] == (409, "ResourceConflictException")
    assert out["no version"][:2] == (404, "ResourceNotFoundException")
    assert out["too large"][:2] == (400, "InvalidParameterValueException")
    assert "memorySize" in out["too large"][2]
    assert out["reserved"][:2] == (400, "InvalidParameterValueException")
    assert "AWS_REGION" in out["reserved"][2]
    assert out["moved"]["FunctionVersion"] == "$LATEST"
    assert out["aliases"] == [] and out["versions"] == ["$LATEST"]
    assert out["gone alias"][:2] == (404, "ResourceNotFoundException")
    assert out["gone version"][:2] == (404, "ResourceNotFoundException")
    # The deleted version's instance was ended, not left running.
    stopped = [e for e in running.events(kind="stopped") if e["served"] == 2]
    assert len(stopped) == 1


async def test_a_busy_instance_of_the_old_configuration_ends_after_its_invocation(
    emulator_at: Callable[..., Any], make_spec: Callable[..., FunctionSpec]
) -> None:
    async with emulator_at([make_spec()]) as running:
        client = _client(running.emu.lambda_url)

        def slow() -> dict[str, Any]:
            response = client.invoke(
                FunctionName="fn",
                Payload=json.dumps(
                    {"rawPath": "/sleep", "queryStringParameters": {"s": "1.5"}}
                ).encode(),
            )
            return dict(json.loads(json.loads(response["Payload"].read())["body"]))

        try:
            sleeping = asyncio.ensure_future(asyncio.to_thread(slow))
            async with asyncio.timeout(30):
                while not running.events(kind="ready"):
                    await asyncio.sleep(0.05)
            await asyncio.to_thread(
                client.update_function_configuration, FunctionName="fn", MemorySize=256
            )
            slept = await sleeping
            after = await asyncio.to_thread(_pid, client)
        finally:
            client.close()
        await running.emu.wait_gone()
    # The invocation in flight finished on its instance; the next one started a new instance.
    assert slept["slept_s"] == 1.5 and after[1]["pid"] != slept["pid"]
    assert _report(after[2]).init_duration_ms is not None
    (retired,) = running.events(kind="retired")
    assert retired["state"] == "busy"
    stopped = [e for e in running.events(kind="stopped") if e["instance"] == retired["instance"]]
    assert [e["reason"] for e in stopped] == ["configuration updated"]


@pytest.mark.parametrize("log_format", ["text", "json"])
async def test_a_published_version_s_instances_say_which_version_they_run(
    emulator_at: Callable[..., Any], make_spec: Callable[..., FunctionSpec], log_format: str
) -> None:
    async with emulator_at([make_spec(log_format=log_format)]) as running:
        client = _client(running.emu.lambda_url)

        def calls() -> dict[str, Any]:
            version = client.publish_version(FunctionName="fn")["Version"]
            client.create_alias(FunctionName="fn", Name="live", FunctionVersion=version)
            return {
                "version": version,
                "v": _pid(client, Qualifier=version),
                "alias": _pid(client, Qualifier="live"),
                "latest": _pid(client),
            }

        try:
            out = await asyncio.to_thread(calls)
        finally:
            client.close()

    def start_version(tail: str) -> str:
        first = tail.splitlines()[0]
        if log_format == "json":
            record = json.loads(first)
            assert record["type"] == "platform.start"
            return str(record["record"]["version"])
        return first.rpartition("Version: ")[2]

    version = out["version"]
    for case, expected in (("v", version), ("alias", version), ("latest", "$LATEST")):
        _response, body, tail = out[case]
        assert start_version(tail) == expected, case
        assert body["env"]["AWS_LAMBDA_FUNCTION_VERSION"] == expected, case
        assert f"[{expected}]" in body["env"]["AWS_LAMBDA_LOG_STREAM_NAME"], case
    # context.invoked_function_arn is the ARN the caller named: the alias's, the version's.
    arn = "arn:aws:lambda:us-east-1:123456789012:function:fn"
    assert out["alias"][1]["invoked_arn"] == f"{arn}:live"
    assert out["v"][1]["invoked_arn"] == f"{arn}:{version}"
    assert out["latest"][1]["invoked_arn"] == arn


async def test_environment_updates_lambda_refuses_are_refused_and_the_function_still_runs(
    emulator_at: Callable[..., Any], make_spec: Callable[..., FunctionSpec]
) -> None:
    async with emulator_at([make_spec()]) as running:
        client = _client(running.emu.lambda_url)

        def update(variables: dict[str, str]) -> tuple[int, str, str]:
            return _error(
                lambda: client.update_function_configuration(
                    FunctionName="fn", Environment={"Variables": variables}
                )
            )

        def calls() -> dict[str, Any]:
            out: dict[str, Any] = {
                "name": update({"BAD=NAME": "x"}),
                "digit first": update({"1ABC": "x"}),
                "too large": update({"BIG": "x" * 4100}),
                "nul": update({"AB": "a\0b"}),
            }
            out["after"] = _pid(client)
            return out

        try:
            out = await asyncio.to_thread(calls)
        finally:
            client.close()
    for case in ("name", "digit first"):
        status, code, message = out[case]
        assert (status, code) == (400, "ValidationException"), case
        assert "[a-zA-Z]([a-zA-Z0-9_])+" in message, case
    assert out["too large"][:2] == (400, "InvalidParameterValueException")
    assert "exceeded the 4KB limit" in out["too large"][2]
    assert out["nul"][:2] == (400, "InvalidParameterValueException")
    # Nothing of the refused updates reached the function: it starts and answers.
    response, body, _tail = out["after"]
    assert "FunctionError" not in response and "BIG" not in body["env"]


async def test_a_provisioned_function_is_provisioned_again_after_a_configuration_update(
    emulator_at: Callable[..., Any], make_spec: Callable[..., FunctionSpec]
) -> None:
    async with emulator_at([make_spec(provisioned_concurrency=1)]) as running:
        client = _client(running.emu.lambda_url)

        def provisioned_ready() -> list[str]:
            started = {
                e["instance"]
                for e in running.events(kind="started")
                if e["reason"] == "provisioned"
            }
            return [e["instance"] for e in running.events(kind="ready") if e["instance"] in started]

        try:
            await asyncio.to_thread(
                client.update_function_configuration, FunctionName="fn", MemorySize=256
            )
            for _ in range(400):  # bounded: 20 s
                if len(provisioned_ready()) == 2:
                    break
                await asyncio.sleep(0.05)
            _response, body, tail = await asyncio.to_thread(_pid, client)
        finally:
            client.close()
    assert len(provisioned_ready()) == 2, "one provisioned instance per configuration"
    assert body["env"]["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "256"
    assert body["env"]["AWS_LAMBDA_INITIALIZATION_TYPE"] == "provisioned-concurrency"
    # Served by the new configuration's provisioned instance, whose init ran ahead of it.
    assert _report(tail).init_duration_ms is None
