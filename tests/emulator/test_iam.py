"""API Gateway's IAM authorisation in the emulator: botocore-signed requests pass, anything else
gets API Gateway's own 403, and a refused request never reaches the function."""

from __future__ import annotations

import calendar
import json
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from emulator import FunctionSpec, StaticCredentials
from emulator._errors import EmulatorConfigError
from emulator._sigv4 import DEFAULT_CREDENTIALS, SigV4Check, credentials_from

KEY = StaticCredentials(access_key_id="AKIDTESTKEY", secret_access_key="s3cr3t", source="option")
REGION = "eu-west-1"
HOST = "127.0.0.1:9000"
BODY = b'{"instances":[{"a":1}]}'


def signed(
    *,
    key_id: str = KEY.access_key_id,
    secret: str = KEY.secret_access_key,
    region: str = REGION,
    service: str = "execute-api",
    body: bytes = BODY,
    path: str = "/predict",
    token: str | None = None,
) -> dict[str, str]:
    """The headers botocore's signer puts on a POST (what any AWS SDK client sends)."""
    request = AWSRequest(method="POST", url=f"http://{HOST}{path}", data=body,
                         headers={"host": HOST, "content-type": "application/json"})
    SigV4Auth(Credentials(key_id, secret, token), service, region).add_auth(request)
    return dict(request.headers.items())


def check(headers: dict[str, str], *, body: bytes = BODY, path: str = "/predict",
          now_s: float | None = None,
          creds: StaticCredentials = KEY) -> tuple[int, str, str] | None:
    refused = SigV4Check(creds, REGION).refusal(
        method="POST", raw_path=path, raw_query="", headers=headers.items(), body=body,
        request_id="rid", now_s=now_s,
    )
    if refused is None:
        return None
    kinds = dict(refused.headers)
    return refused.status, kinds["x-amzn-errortype"], json.loads(refused.body)["message"]


def test_a_request_signed_with_the_credentials_passes() -> None:
    assert check(signed()) is None


def test_an_unsigned_request_gets_the_http_apis_forbidden() -> None:
    assert check({"host": HOST}) == (403, "ForbiddenException", "Forbidden")


@pytest.mark.parametrize(
    ("headers", "kind", "message"),
    [
        (lambda: signed(secret="wrong"), "InvalidSignatureException",
         "The request signature we calculated does not match the signature you provided."),
        (lambda: signed(key_id="AKIDSOMEONEELSE"), "UnrecognizedClientException",
         "The security token included in the request is invalid."),
        (lambda: signed(region="us-east-1"), "InvalidSignatureException",
         "Credential should be scoped to a valid region, not 'us-east-1'."),
        (lambda: signed(service="lambda"), "InvalidSignatureException",
         "Credential should be scoped to correct service: 'execute-api'."),
        (lambda: signed(token="tok"), "UnrecognizedClientException",
         "The security token included in the request is invalid."),
        (lambda: {"host": HOST, "authorization": "Bearer abc"}, "IncompleteSignatureException",
         "Authorization header requires 'Credential' parameter."),
    ],
)
def test_each_bad_signature_gets_api_gateways_message(
    headers: Callable[[], dict[str, str]], kind: str, message: str
) -> None:
    status, error_type, text = check(headers()) or (0, "", "")
    assert (status, error_type) == (403, kind)
    assert text.startswith(message), text


def test_a_signature_covers_the_body_and_the_path() -> None:
    headers = signed()
    assert check(headers, body=b'{"instances":[{"a":2}]}') is not None
    assert check(headers, path="/health") is not None


def test_the_date_must_be_within_five_minutes() -> None:
    headers = signed()
    signed_at_s = calendar.timegm(time.strptime(headers["X-Amz-Date"], "%Y%m%dT%H%M%SZ"))
    assert check(headers, now_s=signed_at_s + 299) is None
    late = check(headers, now_s=signed_at_s + 301)
    assert late is not None and late[2].startswith("Signature expired: ")
    early = check(headers, now_s=signed_at_s - 301)
    assert early is not None and early[2].startswith("Signature not yet current: ")


def test_credentials_come_from_the_option_then_the_environment_then_the_default() -> None:
    env = {"AWS_ACCESS_KEY_ID": "AKIDENV", "AWS_SECRET_ACCESS_KEY": "envsecret"}
    assert credentials_from("AKIDOPT:optsecret", env).access_key_id == "AKIDOPT"
    from_env = credentials_from(None, env)
    assert (from_env.access_key_id, from_env.source) == ("AKIDENV", "environment")
    # a real secret is never written out; only the public local default is
    assert "secret_access_key" not in from_env.describe()
    assert credentials_from(None, {}) == DEFAULT_CREDENTIALS
    described = DEFAULT_CREDENTIALS.describe()
    assert described["secret_access_key"] == DEFAULT_CREDENTIALS.secret_access_key
    with pytest.raises(EmulatorConfigError, match="ACCESS_KEY_ID:SECRET_ACCESS_KEY"):
        credentials_from("no-colon", {})


@pytest.mark.anyio
@pytest.mark.slow
async def test_the_front_door_refuses_before_invoking(
    emulator_at: Callable[..., Any], make_spec: Callable[..., FunctionSpec]
) -> None:
    spec = make_spec(authorization="iam", region=REGION, routes=("POST /pid",))
    async with emulator_at([spec], credentials=KEY) as run, httpx.AsyncClient(timeout=30) as client:
        url = run.url() + "/pid"
        port = url.rsplit(":", 1)[1].split("/")[0]
        unsigned = await client.post(url, content=BODY)
        assert unsigned.status_code == 403
        assert unsigned.json() == {"message": "Forbidden"}
        bad = await client.post(url, content=BODY, headers=_signed_for(port, secret="nope"))
        assert bad.status_code == 403 and "signature we calculated" in bad.json()["message"]
        # nothing refused has started an instance or written a REPORT line
        assert run.events(kind="started") == [] and run.reports() == []
        good = await client.post(url, content=BODY, headers=_signed_for(port))
        assert good.status_code == 200, good.text
        assert len(run.reports()) == 1


def _signed_for(port: str, secret: str = KEY.secret_access_key) -> dict[str, str]:
    request = AWSRequest(method="POST", url=f"http://127.0.0.1:{port}/pid", data=BODY,
                         headers={"host": f"127.0.0.1:{port}"})
    SigV4Auth(Credentials(KEY.access_key_id, secret), "execute-api", REGION).add_auth(request)
    return {k: v for k, v in request.headers.items() if k.lower() != "host"}
