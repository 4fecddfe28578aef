"""SigV4 signing for IAM-authorised endpoints (API Gateway routes with ``AWS_IAM``).

botocore signs (``SigV4Auth``, service ``execute-api``) with the standard AWS credential chain
(environment, shared files and profiles, SSO, container and instance roles), or with the
local emulator's credentials when its endpoints file states them. A signature covers the
body and a timestamp to the second, so on the request path the signed headers of a body are
kept for the rest of that second: the study cycles through a fixed set of bodies, and each is
signed at most once a second (bench/README.md gives the CPU per request either way).

``--sign auto`` (the default) signs when the target says it is IAM-authorised (the emulator's
endpoints file) or is an AWS ``execute-api`` URL, whose stacks are IAM-authorised unless
deployed with ``authorization: none``; ``always`` and ``never`` decide for any URL.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

from .._errors import TargetError

__all__ = ["SIGN_MODES", "RequestSigner", "signer_for"]

SIGN_MODES = ("auto", "always", "never")
#: What botocore adds to a request to sign it.
_SIGNATURE_HEADERS = frozenset({"X-Amz-Date", "Authorization", "X-Amz-Security-Token"})
SERVICE = "execute-api"
#: ``https://{api-id}.execute-api.{region}.amazonaws.com``: an API Gateway default endpoint.
_EXECUTE_API_HOST = re.compile(r"[a-z0-9]+\.execute-api\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?")


class RequestSigner:
    """Signs requests to one endpoint for one principal."""

    def __init__(self, credentials: Any, region: str, *, source: str) -> None:
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest

        #: botocore credentials (static or refreshable: frozen anew for each signature).
        self.credentials = credentials
        self.region = region
        #: Where the credentials came from: ``emulator`` (its endpoints file) or ``aws``.
        self.source = source
        self._auth = SigV4Auth
        self._request = AWSRequest

    @property
    def access_key_id(self) -> str:
        return str(self.credentials.get_frozen_credentials().access_key)

    def headers(self, method: str, url: str, body: bytes = b"") -> dict[str, str]:
        """The headers that sign one request (``X-Amz-Date``, ``Authorization``, and
        ``X-Amz-Security-Token`` for temporary credentials). Host and body are signed."""
        request = self._request(method=method, url=url, data=body)
        credentials = self.credentials.get_frozen_credentials()
        self._auth(credentials, SERVICE, self.region).add_auth(request)
        return {
            name: value for name, value in request.headers.items() if name in _SIGNATURE_HEADERS
        }

    def for_post(self, host_header: str, path: str) -> Callable[[bytes], bytes]:
        """The request path's signer: the signed header lines (each ending CRLF) of a POST of
        ``body`` to ``path``, cached per body for the current second."""
        return self.for_request(host_header, "POST", path)

    def for_request(self, host_header: str, method: str, path: str) -> Callable[[bytes], bytes]:
        """The signer of ``method`` requests to ``path`` (a request set's), as ``for_post``."""
        url = f"http://{host_header}{path}"
        cache: dict[bytes, bytes] = {}
        current_s = -1

        def sign(body: bytes) -> bytes:
            nonlocal current_s
            now_s = int(time.time())
            if now_s != current_s:
                cache.clear()
                current_s = now_s
            lines = cache.get(body)
            if lines is None:
                request = self._request(
                    method=method, url=url, data=body, headers={"host": host_header}
                )
                credentials = self.credentials.get_frozen_credentials()
                self._auth(credentials, SERVICE, self.region).add_auth(request)
                lines = "".join(
                    f"{name.lower()}: {value}\r\n"
                    for name, value in request.headers.items()
                    if name in _SIGNATURE_HEADERS
                ).encode("latin-1")
                cache[body] = lines
            return lines

        return sign

    def describe(self) -> dict[str, str]:
        """What run.json records: the scheme, the scope and whose key (never a secret)."""
        return {
            "scheme": "sigv4",
            "service": SERVICE,
            "region": self.region,
            "access_key_id": self.access_key_id,
            "credentials": self.source,
        }


def _region_of(url: str) -> str | None:
    match = _EXECUTE_API_HOST.fullmatch(urlsplit(url).hostname or "")
    return match.group(1) if match else None


def _wants_signing(url: str, settings: Mapping[str, Any] | None, source: str) -> bool:
    if settings is not None and "authorization" in settings:
        return bool(settings["authorization"] == "iam")
    if source == "emulator":
        return False  # an endpoints file from before IAM authorisation: every stack is open
    return _region_of(url) is not None


def signer_for(
    *,
    url: str,
    mode: str,
    settings: Mapping[str, Any] | None = None,
    source: str = "url",
    emulator_credentials: Mapping[str, Any] | None = None,
    session: Any = None,
) -> RequestSigner | None:
    """The signer a target needs under ``--sign MODE``, or None. TargetError (one line) when
    signing is needed and no credentials or region can be found."""
    if mode not in SIGN_MODES:
        raise TargetError(f"--sign {mode!r}: use one of {', '.join(SIGN_MODES)}")
    if mode == "never" or (mode == "auto" and not _wants_signing(url, settings, source)):
        return None
    from botocore.credentials import Credentials
    from botocore.exceptions import BotoCoreError

    why = "is IAM-authorised" if mode == "auto" else "is to be signed (--sign always)"
    given = emulator_credentials or {}
    if given.get("access_key_id") and given.get("secret_access_key"):
        # The emulator's documented local credentials: public, so it states them.
        credentials: Any = Credentials(str(given["access_key_id"]), str(given["secret_access_key"]))
        credentials_source = "emulator"
    else:
        try:
            if session is None:
                import botocore.session

                session = botocore.session.Session()
            credentials = session.get_credentials()
        except BotoCoreError as exc:
            raise TargetError(
                f"{url} {why} but the AWS credentials cannot be read: {exc}"
            ) from None
        if credentials is None:
            raise TargetError(
                f"{url} {why} but no AWS credentials were found (environment, ~/.aws, SSO or "
                "instance role): set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, "
                "or pass --sign never for a public endpoint"
            )
        credentials_source = "aws"
        expected = given.get("access_key_id")
        actual = credentials.get_frozen_credentials().access_key
        if expected and actual != expected:
            raise TargetError(
                f"the emulator admits requests signed by {expected} but the AWS credential "
                f"chain gives {actual}: sign with the key the emulator was started with"
            )
    # AWS_REGION is what the AWS SDKs and Lambda set; botocore reads AWS_DEFAULT_REGION and
    # the profile's region.
    region = _region_of(url) or (settings or {}).get("region") or os.environ.get("AWS_REGION")
    if not region:
        try:
            if session is None:
                import botocore.session

                session = botocore.session.Session()
            region = session.get_config_variable("region")
        except BotoCoreError:
            region = None
    if not region:
        raise TargetError(
            f"cannot tell the region to sign requests to {url} for: set AWS_REGION (or the "
            "profile's region)"
        )
    return RequestSigner(credentials, str(region), source=credentials_source)
