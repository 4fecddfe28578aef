"""Lambda's Invoke API on 127.0.0.1: ``POST /2015-03-31/functions/{name}/invocations``.

It serves every hosted function, so boto3's ``lambda`` client with ``endpoint_url`` set to it
invokes them unchanged (the load generator's workers are invoked this way: they have no HTTP
API). What it answers, after AWS's "Invoke" API reference and its error list:

- RequestResponse (the default): 200 with the function's result; a function error, a crash,
  a timeout or a failed init is 200 with ``X-Amz-Function-Error: Unhandled`` and the error as
  the payload (``errorType``, ``errorMessage``), as Lambda answers a synchronous invocation;
- ``DryRun``: 204 for a function that exists; ``Event`` (asynchronous) is refused with 400
  ``InvalidParameterValueException``: the emulator has no event queue, retries nor
  destinations;
- an unknown function or qualifier: 404 ``ResourceNotFoundException``; no concurrency left
  (the account's, or the function's reserved): 429 ``TooManyRequestsException``; a payload
  over 6 MB: 413 ``RequestTooLargeException`` (a body past 6 MB + 1 KB is not read further);
  a payload that is not JSON (``NaN`` and ``Infinity`` are not JSON; nesting too deep to
  parse): 400 ``InvalidRequestContentException``;
- the function name is checked as AWS checks it: against Invoke's FunctionName pattern
  (botocore's service model; else 400 ``ValidationException``), a qualifier in the name that
  ``Qualifier`` contradicts (400 ``InvalidParameterValueException``), then an ARN's region (another
  one: 404 "Functions from '…' are not reachable in this region"), account (another one: 403
  ``AccessDeniedException``) and partition (404);
- the request must be SigV4-signed for service ``lambda`` with the emulator's credentials
  (``_sigv4``; 403 ``UnrecognizedClientException``, ``InvalidSignatureException`` or
  ``IncompleteSignatureException`` otherwise), as IAM-authorised stacks are; a function role's
  credentials (a worker's) are recognised and refused (403 ``AccessDeniedException``: no role
  here may ``lambda:InvokeFunction``);
- a body that has not fully arrived within ``body_timeout_s`` (the front door's bound, 60 s)
  is answered 408 and its connection closed; a client that leaves mid-body costs one log line.

Errors carry the type in ``x-amzn-ErrorType`` (what botocore reads) and a JSON body
``{"Type": "User", "message": ...}``. ``Qualifier`` (or an ARN's qualifier) names ``$LATEST``,
a published version or an alias (``X-Amz-Executed-Version`` says which version ran);
``X-Amz-Log-Type: Tail`` answers the last 4 KB of the invocation's log, base64, in
``X-Amz-Log-Result`` (``_log_tail.LogTail``).

Beside Invoke it serves the control plane a memory sweep needs: configuration updates,
versions and aliases (``_function_versions``, routed by ``_control_routes``). Reading a
FunctionName is ``_function_name``'s; the answers' shapes and the JSON check ``_invoke_answers``'.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import uuid
from collections.abc import Mapping
from urllib.parse import unquote

from aiohttp import web
from aiohttp.client_exceptions import ClientError
from aiohttp.http_exceptions import HttpProcessingError

from contract import PAYLOAD_LIMIT_BYTES

from .._spec import CONNECTION_TIMEOUT_S
from ..gateway._apigw import ACCOUNT_ID
from ..gateway._sigv4 import DEFAULT_CREDENTIALS, SigV4Check, StaticCredentials
from ._control_routes import control_operation
from ._function_name import function_ref, invalid_name
from ._function_versions import FunctionVersions
from ._host import FunctionHost
from ._invoke_answers import error_response, invoke_result, not_json, too_large
from ._log_tail import LogTail

__all__ = ["LambdaApi"]

_PATH_PREFIX = "/2015-03-31/functions/"
_PATH_SUFFIX = "/invocations"
#: the service a Lambda API request is signed for
LAMBDA_SERVICE = "lambda"
#: AWS reads no more of an Invoke body than this (6 MB + 1 KB) before answering 413
BODY_READ_LIMIT_BYTES = PAYLOAD_LIMIT_BYTES + 1024
_PARTITION = "aws"

log = logging.getLogger("emulator.lambda_api")


class LambdaApi:
    """The Invoke API for the hosted functions (see the module doc)."""

    def __init__(
        self,
        hosts: Mapping[str, FunctionHost],
        *,
        credentials: StaticCredentials | None = None,
        roles: Mapping[str, StaticCredentials] | None = None,
        body_timeout_s: float = CONNECTION_TIMEOUT_S,
    ) -> None:
        self.hosts = hosts
        self.credentials = credentials or DEFAULT_CREDENTIALS
        #: the functions' role credentials (recognised, but no role may invoke functions)
        self.roles = roles if roles is not None else {}
        #: a body not fully arrived by then is answered 408 (the front door's bound)
        self.body_timeout_s = body_timeout_s
        #: invocations answered so far, per function (the sampler's per-second counts)
        self.invocations: dict[str, int] = {}
        self._checks: dict[str, SigV4Check] = {}
        #: configuration, versions and aliases of the hosted functions
        self.versions = FunctionVersions(hosts)
        app = web.Application(client_max_size=BODY_READ_LIMIT_BYTES)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(
            app, access_log=None, handle_signals=False, shutdown_timeout=0.5
        )
        self.url = ""

    async def start(self) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        await self._runner.setup()
        await web.SockSite(self._runner, sock).start()
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}"

    async def close(self) -> None:
        await self._runner.cleanup()
        await self.versions.close()

    def _check(self, region: str) -> SigV4Check:
        check = self._checks.get(region)
        if check is None:
            host, port = self.url.removeprefix("http://").rsplit(":", 1)
            check = SigV4Check(
                self.credentials,
                region,
                service=LAMBDA_SERVICE,
                hosts=(f"{host}:{port}", f"localhost:{port}"),
                denied=list(self.roles.values()),
            )
            self._checks[region] = check
        return check

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        request_id = str(uuid.uuid4())
        raw_path = request.raw_path.partition("?")[0]
        control = control_operation(request.method, raw_path)
        if control is None and not (
            request.method == "POST"
            and raw_path.startswith(_PATH_PREFIX)
            and raw_path.endswith(_PATH_SUFFIX)
        ):
            return error_response(
                404,
                "UnknownOperationException",
                f"{request.method} {raw_path} is no operation of this Lambda API: it "
                "serves Invoke (POST /2015-03-31/functions/NAME/invocations) and the "
                "configuration, version and alias operations of docs/emulator.md",
                request_id,
            )
        encoded = (
            control.function
            if control is not None
            else raw_path[len(_PATH_PREFIX) : -len(_PATH_SUFFIX)]
        )
        raw_name = unquote(encoded)
        ref = function_ref(raw_name)
        raw_query = request.raw_path.partition("?")[2]
        qualifier = request.query.get("Qualifier") or ref.qualifier
        host = self.hosts.get(ref.name)
        body = await self._read_body(request, request_id)
        if isinstance(body, web.StreamResponse):
            return body
        region = (
            host.spec.region
            if host is not None
            else next((h.spec.region for h in self.hosts.values()), "us-east-1")
        )
        signer = self._check(region).authenticate(
            method=request.method,
            raw_path=raw_path,
            raw_query=raw_query,
            headers=request.headers.items(),
            body=body,
            request_id=request_id,
        )
        if not isinstance(signer, StaticCredentials):
            return web.Response(
                status=signer.status, body=signer.body, headers=dict(signer.headers)
            )
        problem = invalid_name("functionName", raw_name) or (
            invalid_name("qualifier", qualifier) if qualifier is not None else None
        )
        if problem is not None:
            return error_response(400, "ValidationException", problem, request_id)
        asked = request.query.get("Qualifier")
        if asked and ref.qualifier is not None and asked != ref.qualifier:
            # AWS's words (quoted in EventBridge Scheduler's guide to Lambda targets' errors).
            return error_response(
                400,
                "InvalidParameterValueException",
                "The derived qualifier from the function name does not match the "
                "specified qualifier.",
                request_id,
            )
        arn = (
            f"arn:{ref.partition or _PARTITION}:lambda:{ref.region or region}:"
            f"{ref.account or ACCOUNT_ID}:function:{ref.name}"
        )
        shown = f"{arn}:{qualifier}" if qualifier else arn
        if ref.region is not None and ref.region != region:
            return error_response(
                404,
                "ResourceNotFoundException",
                f"Functions from '{ref.region}' are not reachable in this region ('{region}')",
                request_id,
            )
        if signer.source == "role" or (ref.account is not None and ref.account != ACCOUNT_ID):
            policy = "identity-based" if signer.source == "role" else "resource-based"
            # IAM names each operation's own action (lambda:PublishVersion, ...), as AWS does.
            action = f"lambda:{control.name}" if control is not None else "lambda:InvokeFunction"
            return error_response(
                403,
                "AccessDeniedException",
                f"User: {signer.principal_arn} is not authorized to perform: "
                f"{action} on resource: {shown} because no {policy} "
                f"policy allows the {action} action",
                request_id,
            )
        if control is not None and host is None:
            return error_response(
                404, "ResourceNotFoundException", f"Function not found: {shown}", request_id
            )
        if control is not None and ref.partition in (None, _PARTITION):
            return await self.versions.serve(
                control,
                name=ref.name,
                qualifier=qualifier,
                query=request.query,
                body=body,
                request_id=request_id,
            )
        resolved = self.versions.resolve(ref.name, qualifier) if host is not None else None
        executed_version = "$LATEST"
        if resolved is not None:
            host, executed_version = resolved
        if host is None or resolved is None or ref.partition not in (None, _PARTITION):
            return error_response(
                404, "ResourceNotFoundException", f"Function not found: {shown}", request_id
            )
        invocation_type = request.headers.get("X-Amz-Invocation-Type", "RequestResponse")
        if invocation_type == "DryRun":
            return web.Response(status=204, headers={"x-amzn-RequestId": request_id})
        if invocation_type != "RequestResponse":
            return error_response(
                400,
                "InvalidParameterValueException",
                f"invocation type {invocation_type!r}: the emulator runs "
                "RequestResponse and DryRun invocations only (no event queue)",
                request_id,
            )
        if len(body) > PAYLOAD_LIMIT_BYTES:
            return too_large(request_id)
        problem = not_json(body or b"{}")
        if problem is not None:
            return error_response(
                400,
                "InvalidRequestContentException",
                f"Could not parse request body into json: {problem}",
                request_id,
            )
        tail = (
            LogTail(host.log, request_id)
            if request.headers.get("X-Amz-Log-Type") == "Tail"
            else None
        )
        try:
            outcome = await host.invoke(body or b"{}", request_id, invoked_arn=shown)
            log_result = (
                await tail.result(
                    expect_report=outcome.kind not in ("throttled", "too_large", "init_error")
                )
                if tail is not None
                else None
            )
        finally:
            if tail is not None:
                tail.close()
        self.invocations[ref.name] = self.invocations.get(ref.name, 0) + 1
        if outcome.kind == "throttled":
            reason = (
                "ReservedFunctionConcurrentInvocationLimitExceeded"
                if host.spec.reserved_concurrency is not None
                else "ConcurrentInvocationLimitExceeded"
            )
            return error_response(
                429, "TooManyRequestsException", "Rate Exceeded.", request_id, Reason=reason
            )
        if outcome.kind == "too_large":
            return too_large(request_id)
        payload, function_error = invoke_result(outcome, host.spec.timeout_s)
        headers = {"x-amzn-RequestId": request_id, "X-Amz-Executed-Version": executed_version}
        if function_error is not None:
            headers["X-Amz-Function-Error"] = function_error
        if log_result is not None:
            headers["X-Amz-Log-Result"] = log_result
        return web.Response(
            status=200, body=payload, headers=headers, content_type="application/json"
        )

    async def _read_body(self, request: web.Request, request_id: str) -> bytes | web.StreamResponse:
        """The body, or the answer when it is too large (413, read no further), too slow (408,
        the connection closed) or abandoned by its client (one log line)."""
        declared = request.content_length
        if declared is not None and declared > BODY_READ_LIMIT_BYTES:
            refused = too_large(request_id)
            refused.force_close()
            return refused
        chunks: list[bytes] = []
        total = 0
        try:
            async with asyncio.timeout(self.body_timeout_s):
                async for chunk in request.content.iter_any():
                    total += len(chunk)
                    if total > BODY_READ_LIMIT_BYTES:
                        refused = too_large(request_id)
                        refused.force_close()
                        return refused
                    chunks.append(chunk)
        except TimeoutError:
            late = error_response(
                408,
                "RequestTimeoutException",
                f"the request body did not arrive within {self.body_timeout_s:g} s "
                f"({total} bytes came)",
                request_id,
            )
            late.force_close()
            return late
        except (ConnectionError, ClientError, HttpProcessingError) as exc:
            log.warning(
                "Lambda API: %s left before sending its whole body (%d bytes came: %s); "
                "nothing was invoked",
                request.remote or "a client",
                total,
                " ".join(str(exc).split()) or type(exc).__name__,
            )
            gone = web.Response(status=400)
            gone.force_close()
            return gone
        return b"".join(chunks)
