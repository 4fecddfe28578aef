"""Recorded-shape API Gateway HTTP API v2 events (tests/events/) through both functions."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from ..support.paths import EVENTS_DIR
from ..support.runtimes import RUNTIMES, Functions, body_of, error_code, load_json

#: event file -> (status, error code, number of predictions)
EXPECTED: dict[str, tuple[int, str | None, int]] = {
    "get-health.json": (200, None, 0),
    "post-predict.json": (200, None, 1),
    "post-predict-base64.json": (200, None, 3),
    "post-predict-query-string.json": (200, None, 3),
    "post-predict-named-stage.json": (200, None, 1),
    "post-predict-invalid-json.json": (400, "invalid_json", 0),
    "delete-predict.json": (405, "method_not_allowed", 0),
    "get-favicon.json": (404, "not_found", 0),
}
EVENT_FILES = sorted(p.name for p in EVENTS_DIR.glob("*.json"))


def test_every_event_file_has_an_expectation() -> None:
    assert sorted(EXPECTED) == EVENT_FILES


@pytest.mark.parametrize("name", EVENT_FILES)
def test_event_follows_the_documented_v2_format(name: str) -> None:
    evt = load_json(EVENTS_DIR / name)
    assert evt["version"] == "2.0"
    for key in (
        "routeKey",
        "rawPath",
        "rawQueryString",
        "headers",
        "requestContext",
        "isBase64Encoded",
    ):
        assert key in evt, key
    assert all(h == h.lower() for h in evt["headers"]), "API Gateway lower-cases header names"
    context = evt["requestContext"]
    for key in (
        "accountId",
        "apiId",
        "domainName",
        "domainPrefix",
        "http",
        "requestId",
        "routeKey",
        "stage",
        "time",
        "timeEpoch",
    ):
        assert key in context, key
    assert set(context["http"]) == {"method", "path", "protocol", "sourceIp", "userAgent"}
    assert context["http"]["path"] == evt["rawPath"]
    assert context["routeKey"] == evt["routeKey"]
    if evt["rawQueryString"]:
        # Repeated parameters are joined with commas in payload 2.0.
        pairs: dict[str, list[str]] = {}
        for part in evt["rawQueryString"].split("&"):
            key, _, value = part.partition("=")
            pairs.setdefault(key, []).append(value)
        assert evt["queryStringParameters"] == {k: ",".join(v) for k, v in pairs.items()}
    if "body" in evt:
        assert isinstance(evt["body"], str)
        raw = (
            base64.b64decode(evt["body"], validate=True)
            if evt["isBase64Encoded"]
            else evt["body"].encode()
        )
        assert evt["headers"]["content-length"] == str(len(raw))


@pytest.fixture(scope="module")
def http_artifact(artifacts: dict[str, Path]) -> Path:
    # The events carry the http subset's features: the trained model when its vectors exist.
    return artifacts.get("vectors_http", artifacts["http_fixture"])


@pytest.mark.parametrize("runtime", RUNTIMES)
@pytest.mark.parametrize("name", EVENT_FILES)
def test_event(runtime: str, name: str, functions: Functions, http_artifact: Path) -> None:
    evt = load_json(EVENTS_DIR / name)
    function = functions.get(runtime, http_artifact)
    status, code, predictions = EXPECTED[name]
    # Without a Lambda context the request id is API Gateway's.
    response = function.invoke(evt)
    assert (response["statusCode"], error_code(response)) == (status, code)
    assert response["headers"]["x-request-id"] == evt["requestContext"]["requestId"]
    body: Any = body_of(response)
    if name == "get-health.json":
        assert body["runtime"] == runtime
        assert body["features"] == ["duration", "src_bytes", "dst_bytes"]
    elif status == 200:
        assert len(body["predictions"]) == predictions
    # With one, it is the Lambda request id.
    again = function.invoke(evt, request_id="8f5e-lambda")
    assert again["headers"]["x-request-id"] == "8f5e-lambda"
    assert again["statusCode"] == status


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_same_answer_in_text_and_base64(
    runtime: str, functions: Functions, http_artifact: Path
) -> None:
    function = functions.get(runtime, http_artifact)
    encoded = load_json(EVENTS_DIR / "post-predict-base64.json")
    plain = dict(encoded, body=base64.b64decode(encoded["body"]).decode(), isBase64Encoded=False)
    first = body_of(function.invoke(encoded))
    second = body_of(function.invoke(plain))
    assert first == second
    assert len(first["predictions"]) == len(json.loads(plain["body"])["instances"])
