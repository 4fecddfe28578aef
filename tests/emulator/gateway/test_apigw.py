"""API Gateway's event and proxy-result rules, its routes and its throttle's token bucket."""

from __future__ import annotations

import base64
import json

import pytest

from emulator.gateway._apigw import (
    MalformedResult,
    TokenBucket,
    build_event,
    event_payload,
    map_result,
    match_route,
    route_path,
)


def _event(**kw: object) -> dict[str, object]:
    args: dict[str, object] = {
        "method": "POST",
        "raw_path": "/predict",
        "raw_query": "a=1&a=2&b=x%20y",
        "headers": [
            ("Content-Type", "application/json"),
            ("X-Dup", "1"),
            ("x-dup", "2"),
            ("Cookie", "s=1; t=2"),
            ("User-Agent", "ua"),
        ],
        "body": b'{"instances": []}',
        "source_ip": "127.0.0.1",
        "route_key": "POST /predict",
        "request_id": "abc=",
        "api_id": "api",
        "host": "127.0.0.1:9000",
        "now_s": 1_700_000_000.25,
    }
    args.update(kw)
    return build_event(**args)  # type: ignore[arg-type]


def test_event_has_the_payload_2_0_shape() -> None:
    event = _event()
    assert event["version"] == "2.0" and event["routeKey"] == "POST /predict"
    assert event["rawPath"] == "/predict" and event["rawQueryString"] == "a=1&a=2&b=x%20y"
    headers = event["headers"]
    assert isinstance(headers, dict)
    assert headers["content-type"] == "application/json"
    assert headers["x-dup"] == "1,2", "duplicate headers are comma-joined"
    assert "cookie" not in headers and event["cookies"] == ["s=1", "t=2"]
    assert all(k == k.lower() for k in headers)
    assert event["queryStringParameters"] == {"a": "1,2", "b": "x y"}
    ctx = event["requestContext"]
    assert isinstance(ctx, dict)
    assert ctx["http"] == {
        "method": "POST",
        "path": "/predict",
        "protocol": "HTTP/1.1",
        "sourceIp": "127.0.0.1",
        "userAgent": "ua",
    }
    assert ctx["requestId"] == "abc=" and ctx["stage"] == "$default"
    assert ctx["timeEpoch"] == 1_700_000_000_250
    assert event["body"] == '{"instances": []}' and event["isBase64Encoded"] is False


def test_binary_body_is_base64_and_no_body_means_no_body_field() -> None:
    raw = bytes(range(256))
    event = _event(headers=[("content-type", "application/octet-stream")], body=raw)
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(str(event["body"])) == raw
    empty = _event(method="GET", raw_query="", body=b"")
    assert "body" not in empty and "queryStringParameters" not in empty
    assert empty["isBase64Encoded"] is False


def test_routes_match_method_and_path_or_default() -> None:
    routes = ("POST /predict", "GET /health")
    assert match_route(routes, "POST", "/predict") == "POST /predict"
    assert match_route(routes, "GET", "/predict") is None
    assert match_route(routes, "GET", "/nope") is None
    assert match_route(None, "DELETE", "/anything") == "$default"


def test_route_path_is_the_decoded_path_of_a_target_for_this_api() -> None:
    own = ("127.0.0.1:8000", "localhost:8000")
    assert route_path("/%68ealth?a=%20b", authorities=own) == ("/health", "a=%20b")
    assert route_path("/a%2Fb", authorities=own) == ("/a/b", "")
    assert route_path("http://127.0.0.1:8000/health?x=1", authorities=own) == ("/health", "x=1")
    assert route_path("HTTP://LOCALHOST:8000", authorities=own) == ("/", "")
    for foreign in (
        "http://evil.example/health",
        "http://127.0.0.1:9999/health",
        "//evil.example/health",
        "*",
        "/%ff",
        "ftp://127.0.0.1:8000/health",
    ):
        assert route_path(foreign, authorities=own) is None, foreign


def test_event_payload_is_utf8_json() -> None:
    assert event_payload({"body": "é"}) == '{"body":"é"}'.encode()
    # A header value that was not UTF-8 on the wire stays valid JSON, escaped.
    assert json.loads(event_payload({"h": "\udcff"})) == {"h": "\udcff"}


def test_proxy_result_maps_status_headers_cookies_and_body() -> None:
    payload = json.dumps(
        {
            "statusCode": 201,
            "headers": {"x-a": "1", "x-n": 2, "content-type": "text/plain"},
            "cookies": ["c=1"],
            "body": "hi",
        }
    ).encode()
    response = map_result(payload, "rid=")
    assert response.status == 201 and response.body == b"hi"
    headers = dict(response.headers)
    assert (
        headers["x-a"] == "1" and headers["x-n"] == "2" and headers["content-type"] == "text/plain"
    )
    assert headers["set-cookie"] == "c=1" and headers["apigw-requestid"] == "rid="


def test_base64_proxy_body_is_decoded() -> None:
    payload = json.dumps(
        {"statusCode": 200, "isBase64Encoded": True, "body": base64.b64encode(b"\x00\x01").decode()}
    ).encode()
    assert map_result(payload, "r").body == b"\x00\x01"


@pytest.mark.parametrize(
    "payload, body",
    [
        (b'"Hello from Lambda!"', b"Hello from Lambda!"),
        (b'{ "message": "Hello from Lambda!" }', b'{ "message": "Hello from Lambda!" }'),
        (b"[1,2]", b"[1,2]"),
        (b"42", b"42"),
    ],
)
def test_result_without_status_code_is_a_200_json_body(payload: bytes, body: bytes) -> None:
    # AWS's own examples: a string becomes the body; an object is the body as JSON text.
    response = map_result(payload, "r")
    assert response.status == 200 and response.body == body
    assert dict(response.headers)["content-type"] == "application/json"


@pytest.mark.parametrize(
    "payload",
    [
        b"not json",
        b'{"statusCode": "200"}',
        b'{"statusCode": true}',
        b'{"statusCode": 99}',
        b'{"statusCode": 200, "headers": []}',
        b'{"statusCode": 200, "headers": {"a": {"b": 1}}}',
        b'{"statusCode": 200, "body": {"a": 1}}',
        b'{"statusCode": 200, "cookies": "c=1"}',
        b'{"statusCode": 200, "isBase64Encoded": true, "body": "***"}',
    ],
)
def test_malformed_results_are_refused(payload: bytes) -> None:
    with pytest.raises(MalformedResult):
        map_result(payload, "r")


def test_token_bucket_allows_burst_then_rate() -> None:
    bucket = TokenBucket(rate_per_s=2.0, burst=3)
    t0 = bucket._stamp_s
    assert [bucket.take(t0) for _ in range(4)] == [True, True, True, False]
    assert bucket.take(t0 + 0.5) is True and bucket.take(t0 + 0.5) is False
