"""API Gateway's IAM authorisation in the emulator: botocore-signed requests pass, anything else
gets API Gateway's own 403, and a refused request never reaches the function."""

from __future__ import annotations

import asyncio
import calendar
import hashlib
import json
import time
from collections.abc import Callable
from email.utils import formatdate
from typing import Any

import httpx
import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from hypothesis import given, settings
from hypothesis import strategies as st
from requests_aws4auth import AWS4Auth

from emulator import FunctionSpec, StaticCredentials
from emulator._errors import EmulatorConfigError
from emulator.gateway._sigv4 import (
    DEFAULT_CREDENTIALS,
    SigV4Check,
    canonical_query,
    canonical_uri,
    credentials_from,
    role_credentials,
)

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
    request = AWSRequest(
        method="POST",
        url=f"http://{HOST}{path}",
        data=body,
        headers={"host": HOST, "content-type": "application/json"},
    )
    SigV4Auth(Credentials(key_id, secret, token), service, region).add_auth(request)
    return dict(request.headers.items())


def check(
    headers: dict[str, str],
    *,
    body: bytes = BODY,
    path: str = "/predict",
    now_s: float | None = None,
    creds: StaticCredentials = KEY,
) -> tuple[int, str, str] | None:
    refused = SigV4Check(creds, REGION).refusal(
        method="POST",
        raw_path=path,
        raw_query="",
        headers=headers.items(),
        body=body,
        request_id="rid",
        now_s=now_s,
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
        (
            lambda: signed(secret="wrong"),
            "InvalidSignatureException",
            "The request signature we calculated does not match the signature you provided.",
        ),
        (
            lambda: signed(key_id="AKIDSOMEONEELSE"),
            "UnrecognizedClientException",
            "The security token included in the request is invalid.",
        ),
        (
            lambda: signed(region="us-east-1"),
            "InvalidSignatureException",
            "Credential should be scoped to a valid region, not 'us-east-1'.",
        ),
        (
            lambda: signed(service="lambda"),
            "InvalidSignatureException",
            "Credential should be scoped to correct service: 'execute-api'.",
        ),
        (
            lambda: signed(token="tok"),
            "UnrecognizedClientException",
            "The security token included in the request is invalid.",
        ),
        (
            lambda: {"host": HOST, "authorization": "Bearer abc"},
            "IncompleteSignatureException",
            "Authorization header requires 'Credential' parameter.",
        ),
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
    request = AWSRequest(
        method="POST",
        url=f"http://127.0.0.1:{port}/pid",
        data=BODY,
        headers={"host": f"127.0.0.1:{port}"},
    )
    SigV4Auth(Credentials(KEY.access_key_id, secret), "execute-api", REGION).add_auth(request)
    return {k: v for k, v in request.headers.items() if k.lower() != "host"}


# --- Checked as API Gateway checks, over the request as sent ----------------------------------


class _WithoutHost(SigV4Auth):  # type: ignore[misc]  # botocore ships no types
    """botocore's signer, leaving ``host`` out of SignedHeaders (a hand-rolled client's bug)."""

    def headers_to_sign(self, request: AWSRequest) -> Any:
        headers = super().headers_to_sign(request)
        del headers["host"]
        return headers


def _signed_request(
    *,
    url: str = f"http://{HOST}/predict",
    body: bytes = BODY,
    params: dict[str, str] | None = None,
    extra: dict[str, str] | None = None,
    creds: StaticCredentials = KEY,
    auth: type[Any] = SigV4Auth,
) -> dict[str, str]:
    request = AWSRequest(
        method="POST",
        url=url,
        data=body,
        params=params or {},
        headers={"host": HOST, **(extra or {})},
    )
    auth(
        Credentials(creds.access_key_id, creds.secret_access_key, creds.session_token),
        "execute-api",
        REGION,
    ).add_auth(request)
    return dict(request.headers.items())


def _verdict(
    headers: dict[str, str],
    *,
    path: str = "/predict",
    query: str = "",
    body: bytes = BODY,
    check: SigV4Check | None = None,
) -> str | None:
    """None when admitted, else the refusal's error type."""
    refused = (check or SigV4Check(KEY, REGION)).refusal(
        method="POST",
        raw_path=path,
        raw_query=query,
        headers=headers.items(),
        body=body,
        request_id="rid",
    )
    return None if refused is None else dict(refused.headers)["x-amzn-errortype"]


def test_unsigned_payload_does_not_sign_the_body_for_execute_api() -> None:
    headers = _signed_request(extra={"x-amz-content-sha256": "UNSIGNED-PAYLOAD"})
    # API Gateway hashes the body it received: a swapped body is refused, and so is the
    # same body, since the signature covers the literal UNSIGNED-PAYLOAD.
    assert _verdict(headers, body=b'{"instances":[{"a":666}]}') == "InvalidSignatureException"
    assert _verdict(headers) == "InvalidSignatureException"
    # a client stating the real hash is fine
    real = _signed_request(extra={"x-amz-content-sha256": hashlib.sha256(BODY).hexdigest()})
    assert _verdict(real) is None


def test_host_must_be_a_signed_header() -> None:
    headers = _signed_request(auth=_WithoutHost)
    assert "host" not in headers["Authorization"].split("SignedHeaders=")[1].split(",")[0]
    refused = SigV4Check(KEY, REGION).refusal(
        method="POST",
        raw_path="/predict",
        raw_query="",
        headers=headers.items(),
        body=BODY,
        request_id="rid",
    )
    assert refused is not None and refused.status == 403
    assert json.loads(refused.body)["message"] == (
        "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."
    )


def test_a_request_for_another_host_is_refused() -> None:
    headers = _signed_request()
    assert _verdict(headers, check=SigV4Check(KEY, REGION, hosts=[HOST])) is None
    # Replayed, unchanged, to another stack's API (another port): not for that API.
    assert _verdict(headers, check=SigV4Check(KEY, REGION, hosts=["127.0.0.1:9001"])) == (
        "ForbiddenException"
    )


@pytest.mark.parametrize(
    ("params", "sent"),
    [
        ({"Qualifier": "$LATEST"}, "Qualifier=%24LATEST"),  # boto3's invoke(Qualifier=...)
        ({"q": "a b"}, "q=a+b"),  # a form-encoded space
        ({"q": "a b"}, "q=a%20b"),
        ({"t": "~x"}, "t=%7ex"),  # an unreserved character sent encoded
        ({"p": "a/b"}, "p=a%2fb"),  # lower-case hex
        ({"s": "*"}, "s=*"),  # '*' is signed as %2A
        ({"b": "2", "a": "1"}, "b=2&a=1"),  # sorted by name
        ({"k": ""}, "k"),  # a name without '='
        ({"é": "ü"}, "%C3%A9=%c3%bc"),
    ],
)
def test_a_query_is_canonicalised_per_aws_rules(params: dict[str, str], sent: str) -> None:
    """botocore signs the parameters canonically; the client may send them in any valid
    encoding (decode, then encode, then sort: AWS's rules)."""
    headers = _signed_request(params=params)
    assert _verdict(headers, query=sent) is None


def test_a_query_changed_in_value_is_refused() -> None:
    headers = _signed_request(params={"q": "a"})
    assert _verdict(headers, query="q=b") == "InvalidSignatureException"


def test_the_path_is_signed_as_sent() -> None:
    # botocore signs the path it sends, URI-encoded once more (/%68ealth -> /%2568ealth)
    as_sent = _signed_request(url=f"http://{HOST}/%68ealth")
    assert _verdict(as_sent, path="/%68ealth") is None
    assert _verdict(as_sent, path="/health") == "InvalidSignatureException"
    decoded = _signed_request(url=f"http://{HOST}/health")
    assert _verdict(decoded, path="/%68ealth") == "InvalidSignatureException"
    # dot segments and doubled slashes are normalised, as every SDK signs them
    assert _verdict(decoded, path="/x/../health") is None
    assert _verdict(decoded, path="//health") is None


def test_a_request_dated_by_the_date_header_passes() -> None:
    now_s = time.time()
    request = AWSRequest(
        method="POST",
        url=f"http://{HOST}/predict",
        data=BODY,
        headers={"host": HOST, "date": formatdate(now_s, usegmt=True)},
    )
    request.context["timestamp"] = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now_s))
    signer = SigV4Auth(Credentials(KEY.access_key_id, KEY.secret_access_key), "execute-api", REGION)
    canonical = signer.canonical_request(request)
    signature = signer.signature(signer.string_to_sign(request, canonical), request)
    signed_headers = signer.signed_headers(signer.headers_to_sign(request))
    headers = {
        "host": HOST,
        "date": request.headers["date"],
        "authorization": f"AWS4-HMAC-SHA256 Credential={signer.scope(request)}, "
        f"SignedHeaders={signed_headers}, Signature={signature}",
    }
    assert "date" in signed_headers
    assert _verdict(headers) is None
    assert _verdict({**headers, "date": formatdate(now_s + 1, usegmt=True)}) == (
        "InvalidSignatureException"
    )


def test_canonical_forms_follow_the_sigv4_rules() -> None:
    assert canonical_query("b=2&a=%7e&a=*&c") == "a=%2A&a=~&b=2&c="
    assert canonical_uri("/a b/%41") == "/a%20b/%2541"


def test_a_role_may_invoke_only_the_apis_its_policy_names() -> None:
    mine, other = role_credentials("workers-a"), role_credentials("workers-b")
    assert mine.access_key_id.startswith("ASIA") and mine.session_token
    assert mine.access_key_id != other.access_key_id
    check = SigV4Check(KEY, REGION, admitted=[mine], denied=[other])
    assert _verdict(_signed_request(creds=mine), check=check) is None
    assert _verdict(_signed_request(creds=other), check=check) == "ForbiddenException"
    assert _verdict(_signed_request(creds=KEY), check=check) is None
    # a role's key without its session token is not that role
    bare = StaticCredentials(
        access_key_id=mine.access_key_id, secret_access_key=mine.secret_access_key
    )
    assert _verdict(_signed_request(creds=bare), check=check) == "UnrecognizedClientException"
    # a role's key with a wrong secret: its signature does not hold
    forged = StaticCredentials(
        access_key_id=other.access_key_id,
        secret_access_key="guess",
        session_token=other.session_token,
    )
    assert _verdict(_signed_request(creds=forged), check=check) == "InvalidSignatureException"


@pytest.mark.anyio
@pytest.mark.slow
async def test_on_loopback_signers_agree_and_roles_and_hosts_are_enforced(
    emulator_at: Callable[..., Any], make_spec: Callable[..., FunctionSpec]
) -> None:
    """Two IAM stacks and a worker whose role may invoke ``a`` only, on 127.0.0.1: botocore's
    and requests-aws4auth's signatures pass with queries needing encoding; a request signed
    for ``a`` replayed on ``b``'s port, a worker's request to ``b`` and a body swapped under
    UNSIGNED-PAYLOAD are refused before any instance starts."""
    specs = [
        make_spec(name="a", authorization="iam", region=REGION),
        make_spec(name="b", authorization="iam", region=REGION),
        make_spec(name="w", kind="loadgen-worker", invoke_targets=("a",), region=REGION),
    ]
    async with emulator_at(specs, credentials=KEY) as run, httpx.AsyncClient(timeout=30) as client:
        role = run.emu.role_credentials["w"]

        async def post(
            stack: str, headers: dict[str, str], *, query: str = "", body: bytes = BODY
        ) -> httpx.Response:
            url = run.url(stack) + "/pid" + (f"?{query}" if query else "")
            return await client.post(url, content=body, headers=headers)

        def boto_signed(
            stack: str,
            creds: StaticCredentials,
            params: dict[str, str] | None = None,
            extra: dict[str, str] | None = None,
        ) -> dict[str, str]:
            request = AWSRequest(
                method="POST",
                url=run.url(stack) + "/pid",
                data=BODY,
                params=params or {},
                headers=extra or {},
            )
            SigV4Auth(
                Credentials(creds.access_key_id, creds.secret_access_key, creds.session_token),
                "execute-api",
                REGION,
            ).add_auth(request)
            return dict(request.headers.items())

        def aws4auth_signed(stack: str, query: str) -> dict[str, str]:
            auth = AWS4Auth(KEY.access_key_id, KEY.secret_access_key, REGION, "execute-api")
            prepared = requests.Request(
                "POST", f"{run.url(stack)}/pid?{query}", data=BODY
            ).prepare()
            auth(prepared)
            return {k: str(v) for k, v in prepared.headers.items() if k.lower() != "content-length"}

        # refused first: nothing may start an instance
        # the very request (Host included) sent to b's port
        replayed = await post(
            "b", {**boto_signed("a", KEY), "host": run.url("a").removeprefix("http://")}
        )
        denied = await post("b", boto_signed("b", role))
        swapped = await post(
            "a",
            boto_signed("a", KEY, extra={"x-amz-content-sha256": "UNSIGNED-PAYLOAD"}),
            body=b'{"swapped":1}',
        )
        assert [r.status_code for r in (replayed, denied, swapped)] == [403, 403, 403]
        assert replayed.json() == denied.json() == {"message": "Forbidden"}
        assert "signature we calculated" in swapped.json()["message"]
        assert run.events("a", kind="started") == run.events("b", kind="started") == []

        # botocore signs the parameters canonically; they are sent in another valid encoding
        by_botocore = await post(
            "a", boto_signed("a", KEY, {"x": "a b", "y": "~"}), query="y=%7e&x=a+b"
        )
        by_aws4auth = await post(
            "a", aws4auth_signed("a", "q=a+b&s=*&t=%7ex"), query="q=a+b&s=*&t=%7ex"
        )
        by_role = await post("a", boto_signed("a", role))
        assert [r.status_code for r in (by_botocore, by_aws4auth, by_role)] == [200, 200, 200], (
            by_botocore.text,
            by_aws4auth.text,
            by_role.text,
        )
        assert len(run.reports("a")) == 3 and run.reports("b") == []


@pytest.mark.anyio
@pytest.mark.slow
async def test_a_worker_instance_may_load_its_targets_only(
    emulator_at: Callable[..., Any], make_spec: Callable[..., FunctionSpec]
) -> None:
    """A worker's instances sign with their role's keys (from their environment, as
    on Lambda), which the stacks in its invoke_targets admit and every other IAM stack answers
    with the gateway's 403."""
    import boto3

    specs = [
        make_spec(name="a", authorization="iam"),
        make_spec(name="b", authorization="iam"),
        make_spec(name="w", kind="loadgen-worker", invoke_targets=("a",)),
    ]
    async with emulator_at(specs) as run:
        client = boto3.client(
            "lambda",
            endpoint_url=run.emu.lambda_url,
            region_name="us-east-1",
            aws_access_key_id=DEFAULT_CREDENTIALS.access_key_id,
            aws_secret_access_key=DEFAULT_CREDENTIALS.secret_access_key,
        )

        def call_from_worker(stack: str) -> dict[str, Any]:
            event = {"rawPath": "/call", "queryStringParameters": {"url": run.url(stack) + "/pid"}}
            response = client.invoke(FunctionName="w", Payload=json.dumps(event).encode())
            payload = json.loads(response["Payload"].read())
            assert "FunctionError" not in response, payload
            result: dict[str, Any] = json.loads(payload["body"])
            return result

        try:
            to_a = await asyncio.to_thread(call_from_worker, "a")
            to_b = await asyncio.to_thread(call_from_worker, "b")
        finally:
            client.close()
        assert to_a == {"status": 200}
        assert to_b["status"] == 403 and json.loads(to_b["body"]) == {"message": "Forbidden"}
        assert len(run.reports("a")) == 1 and run.reports("b") == []


def _any_valid_encoding(text: str, draw: Callable[[Any], Any]) -> str:
    """``text`` as a client may send it in a query: each byte of an unreserved character as
    itself or %-encoded (either case), a space as ``+`` or ``%20``, anything else %-encoded."""
    out = []
    for byte in text.encode("utf-8"):
        char = chr(byte)
        escaped = f"%{byte:02X}"
        choices = [escaped, escaped.lower()]
        if char.isascii() and (char.isalnum() or char in "-_.~"):
            choices.append(char)
        if char == " ":
            choices.append("+")
        out.append(draw(st.sampled_from(choices)))
    return "".join(out)


@given(
    data=st.data(),
    params=st.dictionaries(
        st.text(min_size=1, max_size=8), st.text(max_size=8), min_size=1, max_size=4
    ),
)
@settings(max_examples=60, deadline=None)
def test_any_valid_encoding_of_signed_parameters_passes(
    data: st.DataObject, params: dict[str, str]
) -> None:
    """botocore signs the parameters; the query may carry them in any order and any valid
    encoding, and still passes (decode, encode, sort: AWS's rules)."""
    headers = _signed_request(params=params)
    pairs = [
        f"{_any_valid_encoding(k, data.draw)}={_any_valid_encoding(v, data.draw)}"
        for k, v in params.items()
    ]
    sent = "&".join(data.draw(st.permutations(pairs)))
    assert _verdict(headers, query=sent) is None
