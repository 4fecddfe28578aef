"""The ``s3`` model strategy: fetch the artifact at init with a SigV4-signed GET.

Standard library only (hmac, hashlib, urllib), so the function carries no AWS SDK: boto3 alone
would cost more init time than the whole function. Imported only when MODEL_BUCKET is set.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import time
import urllib.error
import urllib.parse
import urllib.request

from _errors import InitError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

#: SHA-256 of the empty payload of a GET.
EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
_UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~")
#: Lambda's init phase is cut at 10 s; fail with a message before that.
TIMEOUT_S = 8.0
MAX_ARTIFACT_BYTES = 256 * 1024 * 1024


def uri_encode(text: str, *, keep_slash: bool) -> str:
    """SigV4 URI encoding: every byte but the unreserved set, as upper-case %XX."""
    out = []
    for byte in text.encode("utf-8"):
        if byte in _UNRESERVED or (keep_slash and byte == 0x2F):
            out.append(chr(byte))
        else:
            out.append(f"%{byte:02X}")
    return "".join(out)


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).digest()


def sign_get(
    *,
    host: str,
    path: str,
    region: str,
    access_key: str,
    secret_key: str,
    session_token: str | None,
    amz_date: str,
    extra_headers: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The headers that sign ``GET path`` (already URI-encoded) on ``host`` for service s3."""
    headers = {"host": host, "x-amz-content-sha256": EMPTY_SHA256, "x-amz-date": amz_date}
    if session_token:
        headers["x-amz-security-token"] = session_token
    for name, value in (extra_headers or {}).items():
        headers[name.lower()] = value
    names = sorted(headers)
    canonical_headers = "".join(f"{n}:{' '.join(headers[n].split())}\n" for n in names)
    signed_headers = ";".join(names)
    canonical_request = f"GET\n{path}\n\n{canonical_headers}\n{signed_headers}\n{EMPTY_SHA256}"
    date = amz_date[:8]
    scope = f"{date}/{region}/s3/aws4_request"
    string_to_sign = "\n".join(
        [
            "AWS4-HMAC-SHA256",
            amz_date,
            scope,
            hashlib.sha256(canonical_request.encode("utf-8")).hexdigest(),
        ]
    )
    key = _hmac(("AWS4" + secret_key).encode("utf-8"), date)
    for part in (region, "s3", "aws4_request"):
        key = _hmac(key, part)
    signature = hmac.new(key, string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
    signed = dict(headers)
    signed["authorization"] = (
        f"AWS4-HMAC-SHA256 Credential={access_key}/{scope}, "
        f"SignedHeaders={signed_headers}, Signature={signature}"
    )
    return signed


def object_url(bucket: str, key: str, region: str, endpoint: str | None) -> tuple[str, str, str]:
    """(url, host header, canonical path): virtual-hosted AWS, or path-style on ``endpoint``."""
    encoded_key = uri_encode(key, keep_slash=True)
    if endpoint:
        parts = urllib.parse.urlsplit(endpoint.rstrip("/"))
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise InitError(f"MODEL_S3_ENDPOINT {endpoint!r} is not an http(s) URL")
        path = f"{parts.path}/{uri_encode(bucket, keep_slash=False)}/{encoded_key}"
        default_port = 443 if parts.scheme == "https" else 80
        host = (
            parts.hostname
            if parts.port in (None, default_port)
            else f"{parts.hostname}:{parts.port}"
        )
        return f"{parts.scheme}://{host}{path}", host, path
    host = f"{bucket}.s3.{region}.amazonaws.com"
    path = "/" + encoded_key
    return f"https://{host}{path}", host, path


def download(bucket: str, key: str, environ: Mapping[str, str]) -> str:
    """Fetch s3://bucket/key into TMPDIR (or /tmp); the local path, or InitError."""
    region = environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION")
    access_key = environ.get("AWS_ACCESS_KEY_ID")
    secret_key = environ.get("AWS_SECRET_ACCESS_KEY")
    missing = [
        name
        for name, value in (
            ("AWS_REGION", region),
            ("AWS_ACCESS_KEY_ID", access_key),
            ("AWS_SECRET_ACCESS_KEY", secret_key),
        )
        if not value
    ]
    if missing:
        raise InitError(
            f"MODEL_BUCKET is set but {', '.join(missing)} is not: Lambda sets these "
            "from the function's role; set them when running elsewhere"
        )
    assert region and access_key and secret_key
    url, host, path = object_url(bucket, key, region, environ.get("MODEL_S3_ENDPOINT"))
    headers = sign_get(
        host=host,
        path=path,
        region=region,
        access_key=access_key,
        secret_key=secret_key,
        session_token=environ.get("AWS_SESSION_TOKEN"),
        amz_date=time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()),
    )
    where = f"s3://{bucket}/{key} ({url})"
    request = urllib.request.Request(url, headers=headers, method="GET")
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
            data = response.read(MAX_ARTIFACT_BYTES + 1)
    except urllib.error.HTTPError as exc:
        detail = exc.read(4096).decode("utf-8", "replace")
        code = _xml_text(detail, "Code") or exc.reason
        raise InitError(
            f"downloading the model artifact {where} failed: HTTP {exc.code} {code}; "
            "check MODEL_BUCKET, MODEL_KEY and the role's s3:GetObject "
            "permission"
        ) from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise InitError(f"downloading the model artifact {where} failed: {reason}") from None
    if len(data) > MAX_ARTIFACT_BYTES:
        raise InitError(f"the model artifact {where} is larger than {MAX_ARTIFACT_BYTES} bytes")
    directory = environ.get("TMPDIR") or "/tmp"
    name = hashlib.sha256(f"{bucket}/{key}".encode()).hexdigest()[:16]
    target = os.path.join(directory, f"model-{name}.zip")
    try:
        with open(target + ".part", "wb") as f:
            f.write(data)
        os.replace(target + ".part", target)
    except OSError as exc:
        raise InitError(f"cannot save the model artifact {where} to {target}: {exc}") from None
    return target


def _xml_text(xml: str, tag: str) -> str:
    start = xml.find(f"<{tag}>")
    end = xml.find(f"</{tag}>")
    if start < 0 or end < start:
        return ""
    return xml[start + len(tag) + 2 : end]
