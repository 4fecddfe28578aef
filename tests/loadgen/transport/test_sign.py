"""SigV4 signing: when the load generator signs, with whose key, and that what it sends on the
request path is a signature API Gateway's check (the emulator's) accepts."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from botocore.credentials import Credentials

from emulator.gateway._sigv4 import DEFAULT_CREDENTIALS, SigV4Check
from loadgen import TargetError, resolve_stack, sign_target, target_from_url
from loadgen.transport._http import connect
from loadgen.transport._sign import signer_for

LOCAL = DEFAULT_CREDENTIALS.describe()


class FakeSession:
    """A botocore session whose credential chain gives ``credentials`` (or nothing)."""

    def __init__(self, credentials: Credentials | None, region: str | None = None) -> None:
        self.credentials = credentials
        self.region = region

    def get_credentials(self) -> Credentials | None:
        return self.credentials

    def get_config_variable(self, name: str) -> str | None:
        return self.region if name == "region" else None


def endpoints(
    tmp_path: Path, authorization: str | None, credentials: dict[str, Any] | None = LOCAL
) -> Path:
    entry: dict[str, Any] = {
        "url": "http://127.0.0.1:8123",
        "settings": {"memory_mb": 256, "region": "eu-west-1"},
    }
    if authorization is not None:
        entry["authorization"] = authorization
    document: dict[str, Any] = {"stacks": {"python-256": entry}, "cpu_limited": True}
    if credentials is not None:
        document["credentials"] = credentials
    path = tmp_path / "endpoints.json"
    path.write_text(json.dumps(document))
    return path


def test_auto_signs_an_iam_stack_of_the_emulator_with_its_stated_key(tmp_path: Path) -> None:
    target = sign_target(resolve_stack("python-256", endpoints_file=endpoints(tmp_path, "iam")))
    assert target.signer is not None
    assert target.describe()["signing"] == {
        "scheme": "sigv4",
        "service": "execute-api",
        "region": "eu-west-1",
        "access_key_id": DEFAULT_CREDENTIALS.access_key_id,
        "credentials": "emulator",
    }
    assert sign_target(target, "never").signer is None


@pytest.mark.parametrize("authorization", ["none", None])
def test_auto_leaves_an_open_stack_unsigned(tmp_path: Path, authorization: str | None) -> None:
    target = sign_target(
        resolve_stack("python-256", endpoints_file=endpoints(tmp_path, authorization))
    )
    assert target.signer is None


def test_auto_signs_an_execute_api_url_for_its_region_with_the_credential_chain() -> None:
    session = FakeSession(Credentials("AKIDCHAIN", "secret"))
    signer = signer_for(
        url="https://abc123.execute-api.ap-south-1.amazonaws.com", mode="auto", session=session
    )
    assert signer is not None
    assert (signer.region, signer.access_key_id) == ("ap-south-1", "AKIDCHAIN")
    assert signer_for(url="http://127.0.0.1:9000", mode="auto", session=session) is None
    always = signer_for(
        url="http://127.0.0.1:9000",
        mode="always",
        session=FakeSession(Credentials("AKIDCHAIN", "secret"), "eu-north-1"),
    )
    assert always is not None and always.region == "eu-north-1"


def test_no_credentials_is_one_line_that_says_what_to_do() -> None:
    with pytest.raises(TargetError) as raised:
        signer_for(
            url="https://abc123.execute-api.eu-west-1.amazonaws.com",
            mode="auto",
            session=FakeSession(None),
        )
    message = str(raised.value)
    assert "\n" not in message
    assert "no AWS credentials were found" in message and "--sign never" in message


def test_a_chain_key_the_emulator_does_not_admit_is_refused_before_sending(tmp_path: Path) -> None:
    path = endpoints(tmp_path, "iam", {"access_key_id": "AKIDEMULATOR", "source": "environment"})
    target = resolve_stack("python-256", endpoints_file=path)
    with pytest.raises(TargetError, match="admits requests signed by AKIDEMULATOR"):
        signer_for(
            url=target.url,
            mode="auto",
            settings=target.settings,
            source=target.source,
            emulator_credentials=target.extra["credentials"],
            session=FakeSession(Credentials("AKIDOTHER", "secret")),
        )


@pytest.mark.anyio
async def test_the_request_paths_signature_is_one_api_gateway_accepts() -> None:
    """What HttptoolsConnection writes, read back by a raw server and checked by the emulator."""
    received: asyncio.Queue[bytes] = asyncio.Queue()

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        for _ in range(2):
            head = await reader.readuntil(b"\r\n\r\n")
            length = int(
                next(
                    line.split(b":")[1]
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length")
                )
            )
            await received.put(head + await reader.readexactly(length))
            writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}")
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    base = target_from_url(f"http://127.0.0.1:{port}")
    target = sign_target(
        replace(
            base,
            settings={"authorization": "iam", "region": "us-east-1"},
            source="emulator",
            extra={"credentials": LOCAL},
        )
    )
    assert target.signer is not None
    check = SigV4Check(DEFAULT_CREDENTIALS, "us-east-1")
    try:
        conn = await connect("127.0.0.1", port, "/predict", 5.0, signer=target.signer)
        for body in (b'{"instances":[{"a":1}]}', b'{"instances":[{"a":1}]}'):
            response = await conn.post(body, timeout_s=5.0)
            assert response.status == 200
            raw = await received.get()
            head, _, sent_body = raw.partition(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")[1:]
            headers = [
                (name, value.strip()) for name, _, value in (h.partition(":") for h in lines)
            ]
            assert sent_body == body
            assert (
                check.refusal(
                    method="POST",
                    raw_path="/predict",
                    raw_query="",
                    headers=headers,
                    body=sent_body,
                    request_id="r",
                )
                is None
            )
            # a different body under the same signature is refused
            assert (
                check.refusal(
                    method="POST",
                    raw_path="/predict",
                    raw_query="",
                    headers=headers,
                    body=b'{"instances":[{"a":2}]}',
                    request_id="r",
                )
                is not None
            )
        conn.close()
    finally:
        server.close()
        await server.wait_closed()


def test_a_region_comes_from_aws_region_else_the_error_says_so(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    session = FakeSession(Credentials("AKIDCHAIN", "secret"))
    monkeypatch.delenv("AWS_REGION", raising=False)
    with pytest.raises(TargetError, match="cannot tell the region .* set AWS_REGION"):
        signer_for(url="http://127.0.0.1:9000", mode="always", session=session)
    monkeypatch.setenv("AWS_REGION", "sa-east-1")
    signer = signer_for(url="http://127.0.0.1:9000", mode="always", session=session)
    assert signer is not None and signer.region == "sa-east-1"
