"""Lambda's Invoke API on the emulator: boto3's ``lambda`` client with ``endpoint_url`` works
unchanged, and each way an invocation can go is answered as AWS answers it."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import boto3
import httpx
import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError
from requests_aws4auth import AWS4Auth

from emulator import FunctionSpec
from emulator.gateway._sigv4 import DEFAULT_CREDENTIALS

pytestmark = pytest.mark.anyio


def _client(url: str, *, secret: str = DEFAULT_CREDENTIALS.secret_access_key) -> Any:
    return boto3.client(
        "lambda",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id=DEFAULT_CREDENTIALS.access_key_id,
        aws_secret_access_key=secret,
        config=Config(retries={"max_attempts": 1, "mode": "standard"}, read_timeout=30),
    )


def _invoke(
    client: Any, name: str, event: dict[str, Any] | None = None, **kwargs: Any
) -> tuple[dict[str, Any], Any]:
    response = client.invoke(FunctionName=name, Payload=json.dumps(event or {}).encode(), **kwargs)
    body = response["Payload"].read()
    return response, json.loads(body) if body else None


def _error_code(call: Callable[[], object]) -> tuple[int, str]:
    with pytest.raises(ClientError) as caught:
        call()
    error = caught.value.response
    return error["ResponseMetadata"]["HTTPStatusCode"], error["Error"]["Code"]


async def test_boto3_invokes_a_hosted_function_and_reads_its_errors_as_aws_gives_them(
    emulator_at: Callable[..., Any], make_spec: Callable[..., FunctionSpec]
) -> None:
    async with emulator_at(
        [make_spec(name="fn"), make_spec(name="none-left", reserved_concurrency=0)]
    ) as running:
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
            out["not json"] = _error_code(
                lambda: client.invoke(FunctionName="fn", Payload=b"{not json")
            )
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
    emulator_at: Callable[..., Any], make_spec: Callable[..., FunctionSpec]
) -> None:
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
    emulator_at: Callable[..., Any], make_spec: Callable[..., FunctionSpec]
) -> None:
    async with emulator_at([make_spec()]) as running:
        assert running.emu.buckets_url is None
        assert running.emu.lambda_url.startswith("http://127.0.0.1:")


# --- The Invoke API's signature, ARN and body edges -------------------------------------------


async def test_the_function_name_and_qualifier_are_checked_as_aws_checks_them(
    emulator_at: Callable[..., Any], make_spec: Callable[..., FunctionSpec]
) -> None:
    async with emulator_at(
        [make_spec(name="fn"), make_spec(name="w", kind="loadgen-worker")]
    ) as running:
        url = running.emu.lambda_url
        role = running.emu.role_credentials["w"]
        client = _client(url)
        as_worker = boto3.client(
            "lambda",
            endpoint_url=url,
            region_name="us-east-1",
            aws_access_key_id=role.access_key_id,
            aws_secret_access_key=role.secret_access_key,
            aws_session_token=role.session_token,
            config=Config(retries={"max_attempts": 1, "mode": "standard"}, read_timeout=30),
        )

        def calls() -> dict[str, Any]:
            out: dict[str, Any] = {}
            # boto3 sends Qualifier=%24LATEST: signed over the encoded query, it passes
            out["latest"] = _invoke(client, "fn", {"rawPath": "/pid"}, Qualifier="$LATEST")[0]
            out["dry latest"] = _invoke(client, "fn", InvocationType="DryRun", Qualifier="$LATEST")[
                0
            ]
            arn = "arn:aws:lambda:{region}:{account}:function:fn"
            for case, name in (
                ("region", arn.format(region="eu-west-1", account="123456789012")),
                ("account", arn.format(region="us-east-1", account="999999999999")),
                ("partial account", "999999999999:function:fn"),
                ("partition", "arn:aws-cn:lambda:us-east-1:123456789012:function:fn"),
                ("service", "arn:aws:s3:::fn"),
                ("bad name", "fn/../other"),
                ("bad qualifier", "fn:no.dots"),
            ):
                with pytest.raises(ClientError) as caught:
                    _invoke(client, name)
                error = caught.value.response
                out[case] = (
                    error["ResponseMetadata"]["HTTPStatusCode"],
                    error["Error"]["Code"],
                    error["Error"]["Message"],
                )
            out["worker"] = _error_code(lambda: _invoke(as_worker, "fn"))
            # an independent signer: requests-aws4auth, an ARN and a qualifier needing encoding
            arn_path = quote("arn:aws:lambda:us-east-1:123456789012:function:fn", safe="")
            out["aws4auth"] = requests.post(
                f"{url}/2015-03-31/functions/{arn_path}/invocations?Qualifier=%24LATEST",
                data=b'{"rawPath": "/pid"}',
                timeout=30,
                auth=AWS4Auth(
                    DEFAULT_CREDENTIALS.access_key_id,
                    DEFAULT_CREDENTIALS.secret_access_key,
                    "us-east-1",
                    "lambda",
                ),
            )
            return out

        try:
            out = await asyncio.to_thread(calls)
        finally:
            client.close()
            as_worker.close()
    assert out["latest"]["StatusCode"] == 200 and out["latest"]["ExecutedVersion"] == "$LATEST"
    assert out["dry latest"]["StatusCode"] == 204
    assert out["region"] == (
        404,
        "ResourceNotFoundException",
        ("Functions from 'eu-west-1' are not reachable in this region ('us-east-1')"),
    )
    for case in ("account", "partial account"):
        status, code, message = out[case]
        assert (status, code) == (403, "AccessDeniedException")
        assert (
            "lambda:InvokeFunction on resource: arn:aws:lambda:us-east-1:999999999999:" in message
        )
    assert out["partition"][:2] == (404, "ResourceNotFoundException")
    for case in ("service", "bad name", "bad qualifier"):
        status, code, message = out[case]
        assert (status, code) == (400, "ValidationException"), case
        assert message.startswith("1 validation error detected: Value ")
    # a function's role (a worker's) may not invoke functions: its key is known, access denied
    assert out["worker"] == (403, "AccessDeniedException")
    assert out["aws4auth"].status_code == 200, out["aws4auth"].text


def _signed_invoke(url: str, body: bytes) -> tuple[str, dict[str, str]]:
    """A botocore-signed Invoke of ``fn`` with ``body`` as the payload: (url, headers)."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    target = f"{url}/2015-03-31/functions/fn/invocations"
    request = AWSRequest(method="POST", url=target, data=body)
    SigV4Auth(
        Credentials(DEFAULT_CREDENTIALS.access_key_id, DEFAULT_CREDENTIALS.secret_access_key),
        "lambda",
        "us-east-1",
    ).add_auth(request)
    return target, dict(request.headers.items())


async def test_bodies_aws_would_not_parse_or_take_get_its_answers(
    emulator_at: Callable[..., Any], make_spec: Callable[..., FunctionSpec]
) -> None:
    from contract import PAYLOAD_LIMIT_BYTES

    bodies = {
        "nested": b"[" * 100_000 + b"]" * 100_000,
        "nan": b'{"x": NaN}',
        "infinity": b"[Infinity]",
        "too large": b'"' + b"x" * (PAYLOAD_LIMIT_BYTES + 2048) + b'"',
    }
    async with (
        emulator_at([make_spec(name="fn")]) as running,
        httpx.AsyncClient(timeout=30) as client,
    ):
        answers = {}
        for case, body in bodies.items():
            target, headers = _signed_invoke(running.emu.lambda_url, body)
            answers[case] = await client.post(target, content=body, headers=headers)
        nothing_ran = running.events(kind="started") == []
    for case in ("nested", "nan", "infinity"):
        answer = answers[case]
        assert answer.status_code == 400, (case, answer.text)
        assert answer.headers["x-amzn-ErrorType"] == "InvalidRequestContentException"
        assert answer.json()["message"].startswith("Could not parse request body into json")
    too_large = answers["too large"]
    assert too_large.status_code == 413
    assert too_large.headers["x-amzn-ErrorType"] == "RequestTooLargeException"
    assert "InvokeFunction" in too_large.json()["message"]
    assert nothing_ran


async def _raw_request(
    url: str, head_and_body: bytes
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    host, port = url.removeprefix("http://").rsplit(":", 1)
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(head_and_body)
    await writer.drain()
    return reader, writer


_PARTIAL = (
    b"POST /2015-03-31/functions/fn/invocations HTTP/1.1\r\nHost: x\r\n"
    b'Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"a": '
)


async def test_a_stalled_body_is_timed_out_and_its_connection_closed(
    emulator_at: Callable[..., Any], make_spec: Callable[..., FunctionSpec]
) -> None:
    async with emulator_at([make_spec(name="fn")], connection_timeout_s=1.0) as running:
        reader, writer = await _raw_request(running.emu.lambda_url, _PARTIAL)
        try:
            async with asyncio.timeout(20):
                answer = await reader.read()  # until the emulator closes the connection
        finally:
            writer.close()
    status_line, _, rest = answer.partition(b"\r\n")
    assert status_line.split()[1] == b"408", answer
    assert b"RequestTimeoutException" in rest and b"did not arrive within 1 s" in rest


async def test_a_client_leaving_mid_body_costs_one_log_line(
    emulator_at: Callable[..., Any],
    make_spec: Callable[..., FunctionSpec],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING)
    async with emulator_at([make_spec(name="fn")]) as running:
        _, writer = await _raw_request(running.emu.lambda_url, _PARTIAL)
        writer.close()
        await writer.wait_closed()
        for _ in range(100):  # bounded: 10 s
            if any("left before sending its whole body" in r.getMessage() for r in caplog.records):
                break
            await asyncio.sleep(0.1)
        nothing_ran = running.events(kind="started") == []
    left = [r for r in caplog.records if "left before sending its whole body" in r.getMessage()]
    assert len(left) == 1, [r.getMessage() for r in caplog.records]
    assert "nothing was invoked" in left[0].getMessage()
    assert [r for r in caplog.records if r.exc_info] == []  # no traceback anywhere
    assert nothing_ran


async def test_control_operations_are_refused_and_not_found_by_their_own_names(
    emulator_at: Callable[..., Any], make_spec: Callable[..., FunctionSpec]
) -> None:
    async with emulator_at(
        [make_spec(name="fn"), make_spec(name="w", kind="loadgen-worker")]
    ) as running:
        url = running.emu.lambda_url
        role = running.emu.role_credentials["w"]
        client = _client(url)
        as_worker = boto3.client(
            "lambda",
            endpoint_url=url,
            region_name="us-east-1",
            aws_access_key_id=role.access_key_id,
            aws_secret_access_key=role.secret_access_key,
            aws_session_token=role.session_token,
            config=Config(retries={"max_attempts": 1, "mode": "standard"}, read_timeout=30),
        )
        other_account = "arn:aws:lambda:us-east-1:999999999999:function:fn"
        arn_prefix = "arn:aws:lambda:us-east-1:123456789012:function:"

        def message(call: Callable[[], object]) -> tuple[int, str, str]:
            with pytest.raises(ClientError) as caught:
                call()
            error = caught.value.response
            return (
                error["ResponseMetadata"]["HTTPStatusCode"],
                error["Error"]["Code"],
                error["Error"]["Message"],
            )

        def calls() -> dict[str, Any]:
            return {
                "publish": message(lambda: as_worker.publish_version(FunctionName="fn")),
                "configuration": message(
                    lambda: as_worker.get_function_configuration(FunctionName="fn")
                ),
                "update": message(
                    lambda: client.update_function_configuration(
                        FunctionName=other_account, MemorySize=256
                    )
                ),
                "invoke": message(lambda: _invoke(as_worker, "fn")),
                "unknown": message(lambda: client.get_function_configuration(FunctionName="nope")),
                "no version": message(
                    lambda: client.get_function_configuration(FunctionName="fn", Qualifier="9")
                ),
                "no alias": message(lambda: client.get_alias(FunctionName="fn", Name="gone")),
                "two qualifiers": message(lambda: _invoke(client, "fn:$LATEST", Qualifier="1")),
                "two qualifiers, control": message(
                    lambda: client.get_function_configuration(
                        FunctionName=f"{arn_prefix}fn:$LATEST", Qualifier="1"
                    )
                ),
                "same qualifier": _invoke(client, "fn:$LATEST", Qualifier="$LATEST")[0],
            }

        try:
            out = await asyncio.to_thread(calls)
        finally:
            client.close()
            as_worker.close()
    for case, action in (
        ("publish", "PublishVersion"),
        ("configuration", "GetFunctionConfiguration"),
        ("update", "UpdateFunctionConfiguration"),
        ("invoke", "InvokeFunction"),
    ):
        status, code, text = out[case]
        assert (status, code) == (403, "AccessDeniedException"), case
        assert f"not authorized to perform: lambda:{action} on resource: " in text, case
        assert text.endswith(f"allows the lambda:{action} action"), case
    arn = "arn:aws:lambda:us-east-1:123456789012:function:"
    assert out["unknown"] == (404, "ResourceNotFoundException", f"Function not found: {arn}nope")
    assert out["no version"] == (404, "ResourceNotFoundException", f"Function not found: {arn}fn:9")
    assert out["no alias"] == (404, "ResourceNotFoundException", f"Alias not found: {arn}fn:gone")
    # FunctionName fn:$LATEST with Qualifier=1 names two versions: refused, as AWS does.
    for case in ("two qualifiers", "two qualifiers, control"):
        assert out[case] == (
            400,
            "InvalidParameterValueException",
            (
                "The derived qualifier from the function name does not match the specified "
                "qualifier."
            ),
        ), case
    assert out["same qualifier"]["ExecutedVersion"] == "$LATEST"


async def test_an_environment_no_process_can_take_is_an_init_failure_not_a_500(
    emulator_at: Callable[..., Any], make_spec: Callable[..., FunctionSpec]
) -> None:
    async with emulator_at([make_spec(environment={"AB": "a\0b"})]) as running:
        client = _client(running.emu.lambda_url)
        try:
            response, payload = await asyncio.to_thread(_invoke, client, "fn")
        finally:
            client.close()
        failed = running.events(kind="init_failed")
    assert response["StatusCode"] == 200 and response["FunctionError"] == "Unhandled"
    assert "failed to initialise" in payload["errorMessage"]
    assert failed and "could not start" in failed[0]["reason"]
