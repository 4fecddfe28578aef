"""API Gateway HTTP API, payload format 2.0: the event a request becomes, and the response a
function's result becomes. Pure functions of their inputs, so they are tested without servers.

Sources: "Create AWS Lambda proxy integrations for HTTP APIs" (event structure; response
format 2.0 and the rules for a result without ``statusCode``), "Quotas for configuring and
running an HTTP API" (10 MB payload, 30 s integration timeout), "Throttling requests to your
HTTP API" (429 Too Many Requests). docs/emulator.md lists each status with its source.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import unquote, unquote_plus, urlsplit

from contract import GATEWAY_REQUEST_ID_HEADER, path_parameters, route_matches

#: The account and API ids the events carry; the emulator has no account.
ACCOUNT_ID = "123456789012"

_TEXT_TYPES = (
    "application/json",
    "application/xml",
    "application/javascript",
    "application/x-www-form-urlencoded",
    "application/x-ndjson",
)


@dataclass(frozen=True)
class ApiResponse:
    """What the front door sends back: status, headers (repeatable), body."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes


class MalformedResult(ValueError):
    """The function's result cannot be read as a payload-2.0 response (API Gateway: 500)."""


def gateway_error(status: int, message: str, request_id: str) -> ApiResponse:
    """API Gateway's own error responses: a JSON ``{"message": ...}`` body."""
    body = json.dumps({"message": message}, separators=(",", ":")).encode()
    return ApiResponse(
        status,
        (("content-type", "application/json"), (GATEWAY_REQUEST_ID_HEADER, request_id)),
        body,
    )


INTERNAL_SERVER_ERROR = (500, "Internal Server Error")
REQUEST_TIMEOUT = (408, "Request Timeout")
SERVICE_UNAVAILABLE = (503, "Service Unavailable")
TOO_MANY_REQUESTS = (429, "Too Many Requests")
NOT_FOUND = (404, "Not Found")
PAYLOAD_TOO_LARGE = (413, "Request Entity Too Large")


def event_payload(event: Mapping[str, object]) -> bytes:
    """The event as the bytes Lambda receives: UTF-8 JSON, not ASCII escapes (the 6 MB
    invocation limit counts these bytes, so an "é" costs 2 of them, not the 6 of ``\\u00e9``)."""
    try:
        return json.dumps(event, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        # A header that was not valid UTF-8 on the wire: escaped, it is still valid JSON.
        return json.dumps(event, separators=(",", ":")).encode("ascii")


def new_request_id() -> str:
    """An API Gateway request id: 16 characters of base64, the shape ``apigw-requestid`` has."""
    return base64.b64encode(os.urandom(12)).decode()[:15] + "="


def route_path(target: str, *, authorities: Iterable[str]) -> tuple[str, str] | None:
    """The path an HTTP API routes on (and passes as ``rawPath``) and the raw query string.

    HTTP APIs percent-decode the path before matching routes and pass it decoded to the
    integration (so ``/%68ealth`` is ``/health``), while the query string stays as sent. An
    absolute-form target (``GET http://host/path``) is for this API only when it names one of
    ``authorities``. None when the target cannot be a request for this API: another authority,
    not a path, or a path that does not decode to UTF-8.
    """
    if not target.startswith("/"):
        parts = urlsplit(target)
        if parts.scheme.lower() not in ("http", "https") or parts.netloc.lower() not in authorities:
            return None
        target = parts.path or "/"
        if parts.query:
            target += "?" + parts.query
    elif target.startswith("//"):
        return None
    raw_path, _, raw_query = target.partition("?")
    try:
        path = unquote(raw_path, encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        return None
    return path, raw_query


def sent_path(target: str) -> str:
    """The path of a request target exactly as it was sent (not decoded): what a SigV4
    signature covers. An absolute-form target's path, or ``/`` when it has none."""
    if not target.startswith("/"):
        return urlsplit(target).path or "/"
    return target.partition("?")[0]


def match_route(routes: Iterable[str] | None, method: str, path: str) -> str | None:
    """The route key a request matches, ``$default`` when there are no routes, else None."""
    if routes is None:
        return "$default"
    # Exact paths, ``{name}`` segments and a greedy ``{name+}``; API Gateway prefers the most
    # specific match (fewest variables, greedy last), then the method over ANY.
    matching = [route for route in routes if route_matches(route, method, path)]
    if not matching:
        return None
    return min(
        matching, key=lambda route: ("+}" in route, route.count("{"), route.startswith("ANY "))
    )


def is_text_content(content_type: str | None) -> bool:
    if not content_type:
        return False
    main = content_type.split(";", 1)[0].strip().lower()
    return main.startswith("text/") or main in _TEXT_TYPES or main.endswith(("+json", "+xml"))


def trace_id(now_s: float) -> str:
    """An X-Ray trace id (``Root=1-<epoch hex>-<96 random bits>``), as the gateway's
    ``x-amzn-trace-id`` and the runtime's ``Lambda-Runtime-Trace-Id`` carry it."""
    return f"Root=1-{int(now_s):08x}-{os.urandom(12).hex()}"


def build_event(
    *,
    method: str,
    raw_path: str,
    raw_query: str,
    headers: Iterable[tuple[str, str]],
    body: bytes,
    source_ip: str,
    route_key: str,
    request_id: str,
    api_id: str,
    host: str,
    now_s: float | None = None,
) -> dict[str, object]:
    """The payload-2.0 event API Gateway would send for this request."""
    now_s = time.time() if now_s is None else now_s
    merged: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in headers:
        key = name.lower()
        if key == "cookie":
            # Format 2.0 moves cookies out of the headers into their own list.
            cookies.extend(c.strip() for c in value.split(";") if c.strip())
            continue
        # Duplicate headers are combined with commas (format 2.0 has no multiValueHeaders).
        merged[key] = f"{merged[key]},{value}" if key in merged else value
    merged.setdefault("x-forwarded-for", source_ip)
    merged.setdefault("x-forwarded-proto", "http")
    merged.setdefault("x-amzn-trace-id", trace_id(now_s))
    if "host" in merged:
        host = merged["host"]

    event: dict[str, object] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": raw_path,
        "rawQueryString": raw_query,
    }
    if cookies:
        event["cookies"] = cookies
    event["headers"] = merged
    if raw_query:
        params: dict[str, str] = {}
        for pair in raw_query.split("&"):
            if not pair:
                continue
            name, _, value = pair.partition("=")
            name, value = unquote_plus(name), unquote_plus(value)
            params[name] = f"{params[name]},{value}" if name in params else value
        event["queryStringParameters"] = params
    if "{" in route_key:
        event["pathParameters"] = path_parameters(route_key, raw_path)
    event["requestContext"] = {
        "accountId": ACCOUNT_ID,
        "apiId": api_id,
        "domainName": host,
        "domainPrefix": host.split(".", 1)[0],
        "http": {
            "method": method,
            "path": raw_path,
            "protocol": "HTTP/1.1",
            "sourceIp": source_ip,
            "userAgent": merged.get("user-agent", ""),
        },
        "requestId": request_id,
        "routeKey": route_key,
        "stage": "$default",
        "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now_s)),
        "timeEpoch": int(now_s * 1000),
    }
    is_base64 = False
    if body:
        text: str | None = None
        if is_text_content(merged.get("content-type")):
            try:
                text = body.decode("utf-8")
            except UnicodeDecodeError:
                text = None
        if text is None:
            text = base64.b64encode(body).decode("ascii")
            is_base64 = True
        event["body"] = text
    event["isBase64Encoded"] = is_base64
    return event


def _header_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    raise MalformedResult(f"header value {value!r} is not a string or number")


def map_result(payload: bytes, request_id: str) -> ApiResponse:
    """The client's response for a function result, as API Gateway interprets format 2.0.

    A JSON object with ``statusCode`` is a proxy response; any other valid JSON is the body of
    a 200 ``application/json`` response (a JSON string becomes its text). Raises
    :class:`MalformedResult` for anything API Gateway would refuse (answered as 500).
    """
    try:
        result = json.loads(payload)
    except (ValueError, UnicodeDecodeError) as exc:
        raise MalformedResult(f"the result is not valid JSON: {exc}") from None
    base_headers: list[tuple[str, str]] = [(GATEWAY_REQUEST_ID_HEADER, request_id)]
    if not (isinstance(result, dict) and "statusCode" in result):
        body = result.encode() if isinstance(result, str) else payload
        return ApiResponse(200, (("content-type", "application/json"), *base_headers), body)

    status = result["statusCode"]
    if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599:
        raise MalformedResult(f"statusCode {status!r} is not an HTTP status code")
    headers = result.get("headers")
    headers = {} if headers is None else headers
    if not isinstance(headers, Mapping):
        raise MalformedResult("headers is not an object")
    out: list[tuple[str, str]] = [(str(k), _header_value(v)) for k, v in headers.items()]
    if not any(k.lower() == "content-type" for k, _ in out):
        out.append(("content-type", "application/json"))
    cookies = result.get("cookies")
    cookies = [] if cookies is None else cookies
    if not isinstance(cookies, list) or not all(isinstance(c, str) for c in cookies):
        raise MalformedResult("cookies is not a list of strings")
    out.extend(("set-cookie", c) for c in cookies)
    out.extend(base_headers)
    raw_body = result.get("body")
    if raw_body is None:
        body = b""
    elif not isinstance(raw_body, str):
        raise MalformedResult("body is not a string")
    elif result.get("isBase64Encoded") is True:
        try:
            body = base64.b64decode(raw_body, validate=True)
        except (binascii.Error, ValueError):
            raise MalformedResult("body is marked isBase64Encoded but is not base64") from None
    else:
        body = raw_body.encode("utf-8")
    return ApiResponse(status, tuple(out), body)


class TokenBucket:
    """API Gateway's stage throttle: ``rate`` requests per second with a bucket of ``burst``."""

    def __init__(self, *, rate_per_s: float, burst: int) -> None:
        self.rate_per_s = rate_per_s
        self.burst = burst
        self._tokens = float(burst)
        self._stamp_s = time.monotonic()

    def take(self, now_s: float | None = None) -> bool:
        now_s = time.monotonic() if now_s is None else now_s
        self._tokens = min(self.burst, self._tokens + (now_s - self._stamp_s) * self.rate_per_s)
        self._stamp_s = now_s
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return True
        return False
