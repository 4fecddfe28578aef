"""API Gateway's IAM authorisation (``AWS_IAM`` routes), and Lambda's for its Invoke API: a
request must carry a SigV4 signature made with credentials the emulator knows, within AWS's
clock window, over the request as it arrived.

What is checked, in order, and each answer, are listed with their sources in docs/emulator.md
("IAM authorisation"). The canonical request is built per AWS's SigV4 rules from the request as
sent: the path as it came on the wire (botocore's normalisation: dot segments and repeated
slashes removed, then URI-encoded once more, as every SDK signs it), the query decoded and
re-encoded name by name, then sorted; exactly the headers the request lists as signed (``host``
among them, and its value this API's own host); and the SHA-256 of the body actually received,
whatever ``x-amz-content-sha256`` claims (``UNSIGNED-PAYLOAD`` is S3's, not execute-api's or
Lambda's). The string to sign and the signature are botocore's own code. The bodies are AWS's:
an HTTP API answers an unsigned request ``{"message":"Forbidden"}`` (a REST API would say
"Missing Authentication Token"), and the other messages are those of AWS's SigV4 front end
(``InvalidSignatureException``, ``IncompleteSignatureException``, "The security token included
in the request is invalid.").

Principals: the emulator's own credentials (the user's) may invoke everything; a function's
*role credentials* (``role_credentials``: what its instances get, as Lambda gives a function its
execution role's temporary keys) are recognised everywhere but admitted only by the APIs its
role may ``execute-api:Invoke`` (a worker stack's ``invoke_targets``).
"""

from __future__ import annotations

import base64
import calendar
import hashlib
import hmac
import json
import os
import secrets
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC
from email.utils import parsedate_to_datetime
from urllib.parse import quote, unquote_to_bytes

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.utils import normalize_url_path

from contract import GATEWAY_REQUEST_ID_HEADER

from .._errors import EmulatorConfigError
from ._apigw import ACCOUNT_ID, ApiResponse

__all__ = [
    "DEFAULT_CREDENTIALS",
    "SIGNATURE_WINDOW_S",
    "SigV4Check",
    "StaticCredentials",
    "canonical_query",
    "canonical_uri",
    "credentials_from",
    "role_credentials",
]

SERVICE = "execute-api"
#: AWS accepts a signature dated up to 5 minutes either side of its clock.
SIGNATURE_WINDOW_S = 300
_ALGORITHM = "AWS4-HMAC-SHA256"
_AMZ_DATE = "%Y%m%dT%H%M%SZ"
#: what SigV4 leaves unencoded in a canonical query (RFC 3986's unreserved characters)
_UNRESERVED = "-_.~"


@dataclass(frozen=True, kw_only=True)
class StaticCredentials:
    """A key the emulator recognises: its own principal's, or a function role's."""

    access_key_id: str
    secret_access_key: str
    session_token: str | None = None
    #: Where they came from: ``default`` (the documented local ones), ``option``,
    #: ``environment``, or ``role`` (a function's execution role, ``role_credentials``).
    source: str = "default"
    #: who signs with them, as AWS names the caller in an AccessDenied message
    principal_arn: str = f"arn:aws:iam::{ACCOUNT_ID}:user/local-study"

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


def credentials_from(
    option: str | None, environ: Mapping[str, str] | None = None
) -> StaticCredentials:
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
        return StaticCredentials(
            access_key_id=key_id.strip(), secret_access_key=secret, source="option"
        )
    env_key_id, env_secret = env.get("AWS_ACCESS_KEY_ID"), env.get("AWS_SECRET_ACCESS_KEY")
    if env_key_id and env_secret:
        return StaticCredentials(
            access_key_id=env_key_id,
            secret_access_key=env_secret,
            session_token=env.get("AWS_SESSION_TOKEN") or None,
            source="environment",
        )
    return DEFAULT_CREDENTIALS


def role_credentials(function: str) -> StaticCredentials:
    """Temporary credentials of ``function``'s execution role, new for each emulator: an
    ``ASIA…`` key with a session token, as Lambda hands a function its role's keys. They live in
    the function's instances only; the front doors recognise them (``SigV4Check``)."""
    key = base64.b32encode(secrets.token_bytes(10)).decode()[:16]
    return StaticCredentials(
        access_key_id=f"ASIA{key}",
        secret_access_key=secrets.token_urlsafe(30),
        session_token=secrets.token_urlsafe(96),
        source="role",
        principal_arn=f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/{function}-role/{function}",
    )


def canonical_uri(raw_path: str) -> str:
    """The canonical URI of a path as sent: dot segments and repeated slashes removed, then
    URI-encoded (so ``%`` becomes ``%25``: a path is encoded twice, once to send it and once to
    sign it, as AWS's SigV4 guide says for every service but S3, and as botocore signs)."""
    return quote(normalize_url_path(raw_path or "/"), safe="/~")


def canonical_query(raw_query: str) -> str:
    """The canonical query string of a query as sent, per AWS's rules: each name and value
    decoded (``+`` read as a space, as form encoding has it), then URI-encoded with only the
    unreserved characters left as they are (so ``*`` is ``%2A``, ``%7e`` is ``~``, hex is
    upper case), sorted by name, then by value; a name without ``=`` has an empty value."""
    pairs: list[tuple[str, str]] = []
    for piece in raw_query.split("&"):
        if not piece:
            continue
        name, _, value = piece.partition("=")
        pairs.append((_reencode(name), _reencode(value)))
    return "&".join(f"{name}={value}" for name, value in sorted(pairs))


def _reencode(text: str) -> str:
    return quote(unquote_to_bytes(text.replace("+", " ")), safe=_UNRESERVED)


def _refusal(error_type: str, message: str, request_id: str) -> ApiResponse:
    body = json.dumps({"message": message}, separators=(",", ":")).encode()
    return ApiResponse(
        403,
        (
            ("content-type", "application/json"),
            ("x-amzn-errortype", error_type),
            (GATEWAY_REQUEST_ID_HEADER, request_id),
        ),
        body,
    )


def _forbidden(request_id: str) -> ApiResponse:
    return _refusal("ForbiddenException", "Forbidden", request_id)


class SigV4Check:
    """Checks one request against the keys it knows, for one API (service, region, host).

    ``credentials``: the emulator's own principal, admitted; ``admitted``: role credentials
    whose policy allows invoking this API; ``denied``: role credentials recognised (their
    signatures are checked) but not allowed here (an HTTP API's 403 ``Forbidden``).
    ``hosts``: the ``Host`` values this API answers to (``host:port``); None: any.
    """

    def __init__(
        self,
        credentials: StaticCredentials,
        region: str,
        *,
        service: str = SERVICE,
        hosts: Iterable[str] | None = None,
        admitted: Sequence[StaticCredentials] = (),
        denied: Sequence[StaticCredentials] = (),
    ) -> None:
        self.credentials = credentials
        self.region = region
        #: ``execute-api`` (API Gateway) or ``lambda`` (the Invoke API, ``_lambda_api``)
        self.service = service
        self.hosts = None if hosts is None else frozenset(h.lower() for h in hosts)
        #: every key recognised, and whether it may invoke this API
        self.keys: dict[str, tuple[StaticCredentials, bool]] = {
            c.access_key_id: (c, False) for c in denied
        }
        for allowed in (credentials, *admitted):
            self.keys[allowed.access_key_id] = (allowed, True)

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
        """None when the request is signed by a key allowed here, else API Gateway's 403.

        ``raw_path`` and ``raw_query`` are the request target as sent (not decoded)."""
        signer = self.authenticate(
            method=method,
            raw_path=raw_path,
            raw_query=raw_query,
            headers=headers,
            body=body,
            request_id=request_id,
            now_s=now_s,
        )
        if isinstance(signer, ApiResponse):
            return signer
        if not self.keys[signer.access_key_id][1]:
            # An HTTP API has no resource policy: a caller whose own policy does not allow
            # execute-api:Invoke on the route gets the gateway's plain 403.
            return _forbidden(request_id)
        return None

    def authenticate(
        self,
        *,
        method: str,
        raw_path: str,
        raw_query: str,
        headers: Iterable[tuple[str, str]],
        body: bytes,
        request_id: str,
        now_s: float | None = None,
    ) -> StaticCredentials | ApiResponse:
        """Who signed the request (a key this check knows, its signature valid), or the 403."""
        values: dict[str, list[str]] = {}
        for name, value in headers:
            values.setdefault(name.lower(), []).append(value)
        host = values.get("host", [""])[0].strip().lower()
        if self.hosts is not None and host not in self.hosts:
            # No API answers to that host here (a request meant for another stack).
            return _forbidden(request_id)
        authorization = values.get("authorization", [""])[0].strip()
        if not authorization:
            return _forbidden(request_id)
        scheme, _, rest = authorization.partition(" ")
        params: dict[str, str] = {}
        for part in rest.split(","):
            name, sep, value = part.strip().partition("=")
            if sep:
                params[name.strip()] = value.strip()
        amz_date = values.get("x-amz-date", [""])[0].strip()
        http_date = values.get("date", [""])[0].strip()
        missing = [
            f"Authorization header requires '{name}' parameter."
            for name in ("Credential", "Signature", "SignedHeaders")
            if not params.get(name)
        ]
        if not amz_date and not http_date:
            missing.append(
                "Authorization header requires existence of either a 'X-Amz-Date' "
                "or a 'Date' header."
            )
        if scheme != _ALGORITHM or missing:
            text = " ".join(missing) or f"Unsupported Authorization Type: {scheme}"
            return _refusal(
                "IncompleteSignatureException", f"{text} Authorization={authorization}", request_id
            )
        signed = [name.strip().lower() for name in params["SignedHeaders"].split(";")]
        if "host" not in signed:
            return _refusal(
                "IncompleteSignatureException",
                "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
                request_id,
            )

        scope = params["Credential"].split("/")
        if len(scope) != 5 or scope[4] != "aws4_request":
            return _refusal(
                "IncompleteSignatureException",
                "Credential must have exactly 5 slash-delimited elements, e.g. "
                f"keyid/date/region/service/term, got '{params['Credential']}'",
                request_id,
            )
        key_id, date, region, service = scope[:4]
        known = self.keys.get(key_id)
        token = values.get("x-amz-security-token", [None])[0]
        if known is None or token != known[0].session_token:
            return _refusal(
                "UnrecognizedClientException",
                "The security token included in the request is invalid.",
                request_id,
            )
        signer_credentials = known[0]
        if region != self.region:
            return _refusal(
                "InvalidSignatureException",
                f"Credential should be scoped to a valid region, not '{region}'. ",
                request_id,
            )
        if service != self.service:
            return _refusal(
                "InvalidSignatureException",
                f"Credential should be scoped to correct service: '{self.service}'. ",
                request_id,
            )
        stamp = amz_date or _amz_stamp_of(http_date)
        try:
            signed_at_s = calendar.timegm(time.strptime(stamp, _AMZ_DATE))
        except ValueError:
            return _refusal(
                "IncompleteSignatureException",
                f"Date must be in ISO-8601 'basic format'. Got '{stamp}'.",
                request_id,
            )
        if date != stamp[:8]:
            return _refusal(
                "InvalidSignatureException",
                f"Date in Credential scope does not match YYYYMMDD from ISO-8601 version of "
                f"date from HTTP: '{date}' != '{stamp[:8]}', from '{stamp}'.",
                request_id,
            )
        now_s = time.time() if now_s is None else now_s
        expired = _skew(signed_at_s, now_s)
        if expired is not None:
            return _refusal("InvalidSignatureException", expired, request_id)

        canonical_headers = "".join(
            f"{name}:{','.join(' '.join(v.split()) for v in values.get(name, ()))}\n"
            for name in signed
        )
        canonical = "\n".join(
            (
                method.upper(),
                canonical_uri(raw_path),
                canonical_query(raw_query),
                canonical_headers,
                params["SignedHeaders"].strip().lower(),
                # The body received, not what x-amz-content-sha256 claims
                # (UNSIGNED-PAYLOAD is S3's).
                hashlib.sha256(body).hexdigest(),
            )
        )
        request = AWSRequest(method=method, url="http://emulator/")
        request.context["timestamp"] = stamp
        auth = SigV4Auth(
            Credentials(
                signer_credentials.access_key_id,
                signer_credentials.secret_access_key,
                signer_credentials.session_token,
            ),
            self.service,
            self.region,
        )
        expected = auth.signature(auth.string_to_sign(request, canonical), request)
        if not hmac.compare_digest(expected, params["Signature"]):
            return _mismatch(request_id)
        return signer_credentials


def _amz_stamp_of(http_date: str) -> str:
    """An HTTP ``Date`` (RFC 7231) as SigV4's timestamp; the text itself when it is not one."""
    try:
        when = parsedate_to_datetime(http_date)
    except (TypeError, ValueError, IndexError):
        return http_date
    return (when.astimezone(UTC) if when.tzinfo is not None else when).strftime(_AMZ_DATE)


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
        return (
            f"Signature expired: {_stamp(signed_at_s)} is now earlier than "
            f"{_stamp(now_s - SIGNATURE_WINDOW_S)} ({_stamp(now_s)} - 5 min.)"
        )
    if signed_at_s > now_s + SIGNATURE_WINDOW_S:
        return (
            f"Signature not yet current: {_stamp(signed_at_s)} is still later than "
            f"{_stamp(now_s + SIGNATURE_WINDOW_S)} ({_stamp(now_s)} + 5 min.)"
        )
    return None
