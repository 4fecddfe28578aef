"""The s3 model strategy of both functions against a local S3 stand-in on 127.0.0.1 that checks
every request's SigV4 signature with botocore's signer; and AWS's documented signing example."""

from __future__ import annotations

import http.server
import sys
import threading
import urllib.parse
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from ..support.runtimes import (
    RUNTIMES,
    JavaHarness,
    PythonFunction,
    artifact_bytes,
    body_of,
    event,
    fixture_model,
)

ACCESS_KEY = "AKIDLOCALTEST0001"
SECRET_KEY = "local/secret+key=="
TOKEN = "session-token/with+chars="
REGION = "eu-west-1"
BUCKET = "study-models"
KEY = "models/v 1/m\u00f8del+http.zip"


class FakeS3(http.server.ThreadingHTTPServer):
    objects: dict[str, bytes]
    requests: list[dict[str, Any]]


class FakeS3Handler(http.server.BaseHTTPRequestHandler):
    server: FakeS3

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _reply(self, status: int, body: bytes, content_type: str = "application/xml") -> None:
        self.send_response(status)
        self.send_header("content-type", content_type)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        headers = {k.lower(): v for k, v in self.headers.items()}
        self.server.requests.append({"path": self.path, "headers": headers})
        authorization = headers.get("authorization", "")
        if headers.get("x-amz-security-token") != TOKEN:
            # The key pair is temporary (a role's, as in Lambda): S3 wants its session token.
            self._reply(403, b"<Error><Code>InvalidToken</Code></Error>")
            return
        if not self._signature_ok(authorization, headers):
            self._reply(403, b"<Error><Code>SignatureDoesNotMatch</Code></Error>")
            return
        bucket, _, key = urllib.parse.unquote(self.path.lstrip("/")).partition("/")
        data = self.server.objects.get(f"{bucket}/{key}")
        if data is None:
            self._reply(404, b"<Error><Code>NoSuchKey</Code><Message>none</Message></Error>")
            return
        self._reply(200, data, "application/zip")

    def _signature_ok(self, authorization: str, headers: dict[str, str]) -> bool:
        try:
            fields = dict(
                part.strip().split("=", 1)
                for part in authorization.removeprefix("AWS4-HMAC-SHA256 ").split(",")
            )
            access_key, date, region, service, _ = fields["Credential"].split("/")
            signed = fields["SignedHeaders"].split(";")
        except (KeyError, ValueError):
            return False
        if access_key != ACCESS_KEY or region != REGION or service != "s3":
            return False
        if not {"host", "x-amz-date", "x-amz-content-sha256"} <= set(signed):
            return False
        request = AWSRequest(
            method="GET",
            url=f"http://{headers['host']}{self.path}",
            headers={name: headers[name] for name in signed},
        )
        request.context["timestamp"] = headers["x-amz-date"]
        auth = S3SigV4Auth(
            Credentials(ACCESS_KEY, SECRET_KEY, headers.get("x-amz-security-token")), "s3", REGION
        )
        expected = auth.signature(
            auth.string_to_sign(request, auth.canonical_request(request)), request
        )
        return bool(fields["Signature"] == expected and date == headers["x-amz-date"][:8])


@pytest.fixture(scope="module")
def fake_s3() -> Iterator[FakeS3]:
    server = FakeS3(("127.0.0.1", 0), FakeS3Handler)
    server.objects = {f"{BUCKET}/{KEY}": artifact_bytes(fixture_model("model_http.json"))}
    server.requests = []
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


def s3_env(server: FakeS3, tmp_path: Path, **changes: str) -> dict[str, str]:
    host, port = str(server.server_address[0]), int(server.server_address[1])
    env = {
        "MODEL_BUCKET": BUCKET,
        "MODEL_KEY": KEY,
        "MODEL_S3_ENDPOINT": f"http://{host}:{port}/",
        "AWS_ACCESS_KEY_ID": ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
        "AWS_SESSION_TOKEN": TOKEN,
        "AWS_REGION": REGION,
        "TMPDIR": str(tmp_path),
        "MODEL_PATH": "",
        "AWS_DEFAULT_REGION": "",
    }
    env.update(changes)
    return env


def start(
    runtime: str, env: dict[str, str], python_app: Any, classpath: Callable[[], str]
) -> tuple[Any, str | None]:
    """(function, None) when init succeeds, else (None, the init error message)."""
    if runtime == "python":
        errors = sys.modules["_errors"]
        try:
            return PythonFunction(python_app, env), None
        except errors.InitError as exc:
            return None, str(exc)
    harness = JavaHarness(classpath(), env)
    if harness.ready["ready"]:
        return harness, None
    harness.close()
    return None, str(harness.ready["error"])


@pytest.fixture(scope="module")
def classpath(request: pytest.FixtureRequest) -> Callable[[], str]:
    return lambda: str(request.getfixturevalue("java_classpath"))


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_downloads_the_artifact_with_a_valid_signature(
    runtime: str, fake_s3: FakeS3, tmp_path: Path, python_app: Any, classpath: Callable[[], str]
) -> None:
    before = len(fake_s3.requests)
    function, error = start(runtime, s3_env(fake_s3, tmp_path), python_app, classpath)
    assert error is None
    health = body_of(function.invoke(event("GET", "/health")))
    assert health["model_version"] == fixture_model("model_http.json")["model_version"]
    if isinstance(function, JavaHarness):
        function.close()
    (request,) = fake_s3.requests[before:]
    assert request["path"] == "/study-models/models/v%201/m%C3%B8del%2Bhttp.zip"
    assert request["headers"]["x-amz-security-token"] == TOKEN
    saved = list(tmp_path.glob("model-*.zip"))
    assert len(saved) == 1 and saved[0].read_bytes() == fake_s3.objects[f"{BUCKET}/{KEY}"]


@pytest.mark.parametrize("runtime", RUNTIMES)
@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"AWS_SECRET_ACCESS_KEY": "wrong"}, "HTTP 403 SignatureDoesNotMatch"),
        ({"AWS_SESSION_TOKEN": ""}, "HTTP 403 InvalidToken"),
        ({"MODEL_KEY": "models/absent.zip"}, "HTTP 404 NoSuchKey"),
        ({"AWS_ACCESS_KEY_ID": ""}, "AWS_ACCESS_KEY_ID is not"),
        ({"AWS_REGION": ""}, "AWS_REGION is not"),
        ({"MODEL_S3_ENDPOINT": "ftp://127.0.0.1/"}, "MODEL_S3_ENDPOINT 'ftp://127.0.0.1/' is not"),
    ],
    ids=[
        "bad-secret",
        "token-missing",
        "no-such-key",
        "no-access-key",
        "no-region",
        "bad-endpoint",
    ],
)
def test_download_failures_fail_init_with_the_reason(
    runtime: str,
    changes: dict[str, str],
    expected: str,
    fake_s3: FakeS3,
    tmp_path: Path,
    python_app: Any,
    classpath: Callable[[], str],
) -> None:
    _, error = start(runtime, s3_env(fake_s3, tmp_path, **changes), python_app, classpath)
    assert error is not None and expected in error, error


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_unreachable_endpoint_fails_init(
    runtime: str, tmp_path: Path, python_app: Any, classpath: Callable[[], str], fake_s3: FakeS3
) -> None:
    server = http.server.HTTPServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler)
    port = server.server_address[1]
    server.server_close()  # nothing listens there now
    env = s3_env(fake_s3, tmp_path, MODEL_S3_ENDPOINT=f"http://127.0.0.1:{port}")
    _, error = start(runtime, env, python_app, classpath)
    assert error is not None
    assert f"s3://{BUCKET}/{KEY}" in error and "failed" in error


# AWS's documented example "GET Object" of Signature Version 4 for Amazon S3
# (Authenticating Requests: Using the Authorization Header), and its published signature.
AWS_EXAMPLE = {
    "host": "examplebucket.s3.amazonaws.com",
    "path": "/test.txt",
    "region": "us-east-1",
    "access_key": "AKIAIOSFODNN7EXAMPLE",
    "secret_key": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "amz_date": "20130524T000000Z",
    "extra_headers": {"Range": "bytes=0-9"},
}
AWS_EXAMPLE_SIGNATURE = "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_signer_reproduces_the_aws_documented_example(
    runtime: str, functions: Any, artifacts: dict[str, Path]
) -> None:
    if runtime == "python":
        signer = sys.modules.get("_s3") or __import__("_s3")
        headers = signer.sign_get(**AWS_EXAMPLE, session_token=None)
    else:
        harness = functions.get("java", artifacts["mixed"])
        headers = harness.request({"op": "sign", **AWS_EXAMPLE, "session_token": None})["headers"]
    assert headers["authorization"] == (
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
        f"SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
        f"Signature={AWS_EXAMPLE_SIGNATURE}"
    )


@pytest.mark.java
def test_java_date_and_encoding_match_python(functions: Any, artifacts: dict[str, Path]) -> None:
    import time

    harness = functions.get("java", artifacts["mixed"])
    signer = sys.modules.get("_s3") or __import__("_s3")
    for epoch_ms in (0, 951782400000, 1709208000000, 4102444799000, 1732786800123):
        expected = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(epoch_ms / 1000))
        assert harness.request({"op": "amz_date", "epoch_ms": epoch_ms})["value"] == expected
    for text in (KEY, "a/b c/~_-.!*'()", "\u00e9\U0001f600", ""):
        for keep in (True, False):
            java = harness.request({"op": "uri_encode", "text": text, "keep_slash": keep})["value"]
            assert java == signer.uri_encode(text, keep_slash=keep)
