"""API Gateway's IAM authorisation (``AWS_IAM`` routes): a request must carry a SigV4
signature made with the credentials the emulator was given, within API Gateway's clock window.

The signature is recomputed with botocore's own SigV4 implementation (``SigV4Auth``'s
canonical request, string to sign and signature), over exactly the headers the request says
it signed. What API Gateway answers for each way a request can fail is in docs/emulator.md;
the bodies are its own: an HTTP API answers an unsigned request ``{"message":"Forbidden"}``
(a REST API would say "Missing Authentication Token"), and the other messages are those of
AWS's SigV4 front end (``InvalidSignatureException``, ``IncompleteSignatureException``,
"The security token included in the request is invalid.").
"""

from __future__ import annotations

import calendar
import hashlib
import hmac
import json
import os
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.compat import HTTPHeaders
from botocore.credentials import Credentials

from ._apigw import ApiResponse
from ._errors import EmulatorConfigError

__all__ = [
    "DEFAULT_CREDENTIALS",
    "SIGNATURE_WINDOW_S",
    "SigV4Check",
    "StaticCredentials",
    "credentials_from",
]

SERVICE = "execute-api"
#: AWS accepts a signature dated up to 5 minutes either side of its clock.
SIGNATURE_WINDOW_S = 300
_ALGORITHM = "AWS4-HMAC-SHA256"
_AMZ_DATE = "%Y%m%dT%H%M%SZ"


@dataclass(frozen=True, kw_only=True)
class StaticCredentials:
    """The one principal the emulator admits (it has no IAM policies: this key may invoke)."""

    access_key_id: str
    secret_access_key: str
    session_token: str | None = None
    #: Where they came from: ``default`` (the documented local ones), ``option``, ``environment``.
    source: str = "default"

    def describe(self) -> dict[str, str]:
        """What endpoints.json states: the key id always; the secret only for the documented
        default credentials, which are public (so a local run needs no AWS account)."""
        out = {"access_key_id": self.access_key_id, "source": self.source}
        if self.source == "default":
            out["secret_access_key"] = self.secret_access_key
        return out


#: The local study's credentials: AWS's documented example key pair, valid nowhere on AWS.
DEFAULT_CREDENTIALS = StaticCredentials(
    access_key_id="AKIAIOSFODNN7EXAMPLE",
    secret_access_key="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
)


def credentials_from(option: str | None,
                     environ: Mapping[str, str] | None = None) -> StaticCredentials:
    """``--credentials ACCESS_KEY_ID:SECRET`` first, else the environment's
    ``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY`` (and ``AWS_SESSION_TOKEN``), else the
    documented local default. Raises EmulatorConfigError (one line) for a malformed option."""
    env = os.environ if environ is None else environ
    if option is not None:
        key_id, sep, secret = option.partition(":")
        if not sep or not key_id.strip() or not secret:
            raise EmulatorConfigError(
                "--credentials must be ACCESS_KEY_ID:SECRET_ACCESS_KEY (or set AWS_ACCESS_KEY_ID "
                "and AWS_SECRET_ACCESS_KEY)"
            )
        return StaticCredentials(access_key_id=key_id.strip(), secret_access_key=secret,
                                 source="option")
    env_key_id, env_secret = env.get("AWS_ACCESS_KEY_ID"), env.get("AWS_SECRET_ACCESS_KEY")
    if env_key_id and env_secret:
        return StaticCredentials(access_key_id=env_key_id, secret_access_key=env_secret,
                                 session_token=env.get("AWS_SESSION_TOKEN") or None,
                                 source="environment")
    return DEFAULT_CREDENTIALS


def _refusal(error_type: str, message: str, request_id: str) -> ApiResponse:
    body = json.dumps({"message": message}, separators=(",", ":")).encode()
    return ApiResponse(
        403,
        (
            ("content-type", "application/json"),
            ("x-amzn-errortype", error_type),
            ("apigw-requestid", request_id),
        ),
        body,
    )


class _SignedHeadersOnly(SigV4Auth):  # type: ignore[misc]  # botocore ships no types
    """botocore's SigV4, canonicalising exactly the headers the client listed as signed
    (botocore, as a signer, would choose them itself)."""

    def headers_to_sign(self, request: AWSRequest) -> HTTPHeaders:
        return request.headers


class SigV4Check:
    """Checks one request against the credentials and the stack's region."""

    def __init__(self, credentials: StaticCredentials, region: str, *,
                 service: str = SERVICE) -> None:
        self.credentials = credentials
        self.region = region
        #: ``execute-api`` (API Gateway) or ``lambda`` (the Invoke API, ``_lambda_api``)
        self.service = service
        self._botocore = Credentials(
            credentials.access_key_id, credentials.secret_access_key, credentials.session_token
        )

    def refusal(
        self,
        *,
        method: str,
        raw_path: str,
        raw_query: str,
        headers: Iterable[tuple[str, str]],
        body: bytes,
        request_id: str,
        now_s: float | None = None,
    ) -> ApiResponse | None:
        """None when the request is signed by the credentials, else API Gateway's 403."""
        values: dict[str, list[str]] = {}
        for name, value in headers:
            values.setdefault(name.lower(), []).append(value)
        authorization = values.get("authorization", [""])[0].strip()
        if not authorization:
            return _refusal("ForbiddenException", "Forbidden", request_id)
        scheme, _, rest = authorization.partition(" ")
        params: dict[str, str] = {}
        for part in rest.split(","):
            name, sep, value = part.strip().partition("=")
            if sep:
                params[name.strip()] = value.strip()
        amz_date = values.get("x-amz-date", [""])[0]
        missing = [
            f"Authorization header requires '{name}' parameter."
            for name in ("Credential", "Signature", "SignedHeaders")
            if not params.get(name)
        ]
        if not amz_date:
            missing.append("Authorization header requires existence of either a 'X-Amz-Date' "
                           "or a 'Date' header.")
        if scheme != _ALGORITHM or missing:
            text = " ".join(missing) or f"Unsupported Authorization Type: {scheme}"
            return _refusal("IncompleteSignatureException",
                            f"{text} Authorization={authorization}", request_id)

        scope = params["Credential"].split("/")
        if len(scope) != 5 or scope[4] != "aws4_request":
            return _refusal(
                "IncompleteSignatureException",
                "Credential must have exactly 5 slash-delimited elements, e.g. "
                f"keyid/date/region/service/term, got '{params['Credential']}'",
                request_id,
            )
        key_id, date, region, service = scope[:4]
        if key_id != self.credentials.access_key_id:
            return _refusal("UnrecognizedClientException",
                            "The security token included in the request is invalid.", request_id)
        token = values.get("x-amz-security-token", [None])[0]
        if token != self.credentials.session_token:
            return _refusal("UnrecognizedClientException",
                            "The security token included in the request is invalid.", request_id)
        if region != self.region:
            return _refusal("InvalidSignatureException",
                            f"Credential should be scoped to a valid region, not '{region}'. ",
                            request_id)
        if service != self.service:
            return _refusal("InvalidSignatureException",
                            f"Credential should be scoped to correct service: '{self.service}'. ",
                            request_id)
        try:
            signed_at_s = calendar.timegm(time.strptime(amz_date, _AMZ_DATE))
        except ValueError:
            return _refusal("IncompleteSignatureException",
                            f"Date must be in ISO-8601 'basic format'. Got '{amz_date}'.",
                            request_id)
        if date != amz_date[:8]:
            return _refusal(
                "InvalidSignatureException",
                f"Date in Credential scope does not match YYYYMMDD from ISO-8601 version of "
                f"date from HTTP: '{date}' != '{amz_date[:8]}', from '{amz_date}'.",
                request_id,
            )
        now_s = time.time() if now_s is None else now_s
        expired = _skew(signed_at_s, now_s)
        if expired is not None:
            return _refusal("InvalidSignatureException", expired, request_id)

        signed = [name.strip().lower() for name in params["SignedHeaders"].split(";")]
        header_map = HTTPHeaders()
        for name in signed:
            for value in values.get(name, ()):
                header_map[name] = value
        content_sha256 = values.get("x-amz-content-sha256", [None])[0]
        body_sha256 = hashlib.sha256(body).hexdigest()
        if content_sha256 is not None and content_sha256 not in (body_sha256, "UNSIGNED-PAYLOAD"):
            return _mismatch(request_id)
        url = (f"http://{self.region}.emulator{raw_path or '/'}"
               + (f"?{raw_query}" if raw_query else ""))
        request = AWSRequest(method=method, url=url, data=body, headers=header_map)
        request.context["timestamp"] = amz_date
        signer = _SignedHeadersOnly(self._botocore, self.service, self.region)
        canonical = signer.canonical_request(request)
        expected = signer.signature(signer.string_to_sign(request, canonical), request)
        if not hmac.compare_digest(expected, params["Signature"]):
            return _mismatch(request_id)
        return None


def _mismatch(request_id: str) -> ApiResponse:
    return _refusal(
        "InvalidSignatureException",
        "The request signature we calculated does not match the signature you provided. "
        "Check your AWS Secret Access Key and signing method. Consult the service "
        "documentation for details.",
        request_id,
    )


def _stamp(epoch_s: float) -> str:
    return time.strftime(_AMZ_DATE, time.gmtime(epoch_s))


def _skew(signed_at_s: float, now_s: float) -> str | None:
    """AWS's own wording when the signature's date is outside the window, else None."""
    if signed_at_s < now_s - SIGNATURE_WINDOW_S:
        return (f"Signature expired: {_stamp(signed_at_s)} is now earlier than "
                f"{_stamp(now_s - SIGNATURE_WINDOW_S)} ({_stamp(now_s)} - 5 min.)")
    if signed_at_s > now_s + SIGNATURE_WINDOW_S:
        return (f"Signature not yet current: {_stamp(signed_at_s)} is still later than "
                f"{_stamp(now_s + SIGNATURE_WINDOW_S)} ({_stamp(now_s)} + 5 min.)")
    return None
