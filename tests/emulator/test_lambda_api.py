"""Lambda's Invoke API on the emulator: boto3's ``lambda`` client with ``endpoint_url`` works
unchanged, and each way an invocation can go is answered as AWS answers it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from emulator import FunctionSpec
from emulator._sigv4 import DEFAULT_CREDENTIALS

pytestmark = pytest.mark.anyio


def _client(url: str, *, secret: str = DEFAULT_CREDENTIALS.secret_access_key) -> Any:
    return boto3.client(
        "lambda", endpoint_url=url, region_name="us-east-1",
        aws_access_key_id=DEFAULT_CREDENTIALS.access_key_id, aws_secret_access_key=secret,
        config=Config(retries={"max_attempts": 1, "mode": "standard"}, read_timeout=30))


def _invoke(client: Any, name: str, event: dict[str, Any] | None = None,
            **kwargs: Any) -> tuple[dict[str, Any], Any]:
    response = client.invoke(FunctionName=name, Payload=json.dumps(event or {}).encode(),
                             **kwargs)
    body = response["Payload"].read()
    return response, json.loads(body) if body else None


def _error_code(call: Callable[[], object]) -> tuple[int, str]:
    with pytest.raises(ClientError) as caught:
        call()
    error = caught.value.response
    return error["ResponseMetadata"]["HTTPStatusCode"], error["Error"]["Code"]


async def test_boto3_invokes_a_hosted_function_and_reads_its_errors_as_aws_gives_them(
        emulator_at: Callable[..., Any], make_spec: Callable[..., FunctionSpec]) -> None:
    async with emulator_at([make_spec(name="fn"),
                            make_spec(name="none-left", reserved_concurrency=0)]) as running:
        url = running.emu.lambda_url
        client, stranger = _client(url), _client(url, secret="wrong")

        def calls() -> dict[str, Any]:
            out: dict[str, Any] = {}
            out["ok"] = _invoke(client, "fn", {"rawPath": "/pid"})
            # A full ARN names the same function.
            arn = "arn:aws:lambda:us-east-1:123456789012:function:fn"
            out["arn"] = _invoke(client, arn, {"rawPath": "/pid"})
            out["raise"] = _invoke(client, "fn", {"rawPath": "/raise"})
            out["crash"] = _invoke(client, "fn", {"rawPath": "/crash"})
            out["dry"] = _invoke(client, "fn", InvocationType="DryRun")[0]
            out["unknown"] = _error_code(lambda: _invoke(client, "no-such-fn"))
            out["qualifier"] = _error_code(lambda: _invoke(client, "fn", Qualifier="live"))
            out["throttled"] = _error_code(lambda: _invoke(client, "none-left"))
            out["event"] = _error_code(lambda: _invoke(client, "fn", InvocationType="Event"))
            out["not json"] = _error_code(lambda: client.invoke(FunctionName="fn",
                                                                Payload=b"{not json"))
            out["bad key"] = _error_code(lambda: _invoke(stranger, "fn"))
            return out

        try:
            out = await asyncio.to_thread(calls)
        finally:
            client.close()
            stranger.close()
    response, body = out["ok"]
    assert response["StatusCode"] == 200 and "FunctionError" not in response
    assert json.loads(body["body"])["pid"] > 0
    assert out["arn"][0]["StatusCode"] == 200
    # A function error is a 200 with X-Amz-Function-Error and the runtime's error as payload.
    response, body = out["raise"]
    assert response["StatusCode"] == 200 and response["FunctionError"] == "Unhandled"
    assert body["errorType"] == "ValueError" and "on purpose" in body["errorMessage"]
    response, body = out["crash"]
    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Runtime.ExitError"
    assert "Runtime exited with error: exit status 7" in body["errorMessage"]
    assert out["dry"]["StatusCode"] == 204
    assert out["unknown"] == (404, "ResourceNotFoundException")
    assert out["qualifier"] == (404, "ResourceNotFoundException")
    assert out["throttled"] == (429, "TooManyRequestsException")
    assert out["event"] == (400, "InvalidParameterValueException")
    assert out["not json"] == (400, "InvalidRequestContentException")
    assert out["bad key"] == (403, "InvalidSignatureException")


async def test_a_function_with_a_bucket_writes_to_moto_s3_with_its_role_s_keys(
        emulator_at: Callable[..., Any], make_spec: Callable[..., FunctionSpec]) -> None:
    """A worker stack's bucket: moto's S3 server, started for it; boto3 in the function finds
    it through AWS_ENDPOINT_URL_S3 and signs with its role's temporary keys (not the user's)."""
    specs = [make_spec(name="writer", buckets=("results-bucket",)), make_spec(name="plain")]
    async with emulator_at(specs) as running:
        assert running.emu.buckets_url is not None
        client = _client(running.emu.lambda_url)
        try:
            writer = await asyncio.to_thread(_invoke, client, "writer", {"rawPath": "/buckets"})
            plain = await asyncio.to_thread(_invoke, client, "plain", {"rawPath": "/pid"})
        finally:
            client.close()
    seen = json.loads(writer[1]["body"])
    assert "results-bucket" in seen["buckets"]
    assert seen["endpoint"] == running.emu.buckets_url
    role = running.emu.role_credentials["writer"]
    assert seen["key_id"] == role.access_key_id != DEFAULT_CREDENTIALS.access_key_id
    assert seen["key_id"].startswith("ASIA") and seen["token"] == role.session_token
    assert plain[0]["StatusCode"] == 200


async def test_without_a_bucket_no_s3_server_is_started(
        emulator_at: Callable[..., Any], make_spec: Callable[..., FunctionSpec]) -> None:
    async with emulator_at([make_spec()]) as running:
        assert running.emu.buckets_url is None
        assert running.emu.lambda_url.startswith("http://127.0.0.1:")
