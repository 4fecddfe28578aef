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
  over 6 MB: 413 ``RequestEntityTooLargeException``; a payload that is not JSON: 400
  ``InvalidRequestContentException``;
- the request must be SigV4-signed for service ``lambda`` with the emulator's credentials
  (``_sigv4``; 403 ``UnrecognizedClientException``, ``InvalidSignatureException`` or
  ``IncompleteSignatureException`` otherwise), as IAM-authorised stacks are.

Errors carry the type in ``x-amzn-ErrorType`` (what botocore reads) and a JSON body
``{"Type": "User", "message": ...}``. ``Qualifier`` (or an ARN's qualifier) names ``$LATEST``,
a published version or an alias (``X-Amz-Executed-Version`` says which version ran);
``X-Amz-Log-Type: Tail`` answers the last 4 KB of the invocation's log, base64, in
``X-Amz-Log-Result`` (``_lambda_control.LogTail``).

Beside Invoke it serves the control plane a memory sweep needs: configuration updates,
versions and aliases (``_lambda_control``).
"""

from __future__ import annotations

import json
import socket
import uuid
from collections.abc import Mapping
from urllib.parse import unquote

from aiohttp import web

from ._apigw import ACCOUNT_ID
from ._host import FunctionHost
from ._instance import Outcome
from ._lambda_control import FunctionVersions, LogTail, control_operation
from ._sigv4 import DEFAULT_CREDENTIALS, SigV4Check, StaticCredentials
from ._spec import LAMBDA_PAYLOAD_LIMIT_BYTES

__all__ = ["LambdaApi", "invoke_result"]

_PATH_PREFIX = "/2015-03-31/functions/"
_PATH_SUFFIX = "/invocations"
#: the service a Lambda API request is signed for
LAMBDA_SERVICE = "lambda"


def _error(status: int, error_type: str, message: str, request_id: str,
           **extra: str) -> web.Response:
    body = json.dumps({"Type": "User", "message": message, **extra}, separators=(",", ":"))
    return web.Response(status=status, text=body, content_type="application/json",
                        headers={"x-amzn-ErrorType": error_type,
                                 "x-amzn-RequestId": request_id})


def _function_name(raw: str) -> tuple[str, str | None]:
    """A FunctionName (name, partial or full ARN, maybe ``:qualifier``) as (name, qualifier)."""
    parts = raw.split(":")
    if raw.startswith("arn:"):
        # arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]
        rest = parts[6:] if len(parts) >= 7 else [""]
    elif len(parts) >= 3 and parts[1] == "function":
        rest = parts[2:]  # ACCOUNT:function:NAME[:QUALIFIER]
    else:
        rest = parts
    return rest[0], (rest[1] if len(rest) > 1 else None)


def invoke_result(outcome: Outcome, timeout_s: float) -> tuple[bytes, str | None]:
    """The payload and ``X-Amz-Function-Error`` of a synchronous invocation that ran."""
    if outcome.kind == "ok":
        return outcome.payload, None
    if outcome.kind in ("function_error", "init_error") and outcome.payload:
        return outcome.payload, "Unhandled"
    prefix = f"RequestId: {outcome.request_id} Error: "
    if outcome.kind == "timeout":
        message = f"Task timed out after {timeout_s:.2f} seconds"
    elif outcome.kind == "crash" and outcome.exit_how:
        message = f"Runtime exited with error: {outcome.exit_how}"
    elif outcome.kind == "crash":
        message = "Runtime exited without providing a reason"
    elif outcome.kind == "init_error":
        message = "Runtime failed to initialise"
    else:
        message = outcome.kind.replace("_", " ")
    body = {"errorType": outcome.error_type or "Runtime.Unknown", "errorMessage": prefix + message}
    return json.dumps(body, separators=(",", ":")).encode(), "Unhandled"


class LambdaApi:
    """The Invoke API for the hosted functions (see the module doc)."""

    def __init__(self, hosts: Mapping[str, FunctionHost], *,
                 credentials: StaticCredentials | None = None) -> None:
        self.hosts = hosts
        self.credentials = credentials or DEFAULT_CREDENTIALS
        #: invocations answered so far, per function (the sampler's per-second counts)
        self.invocations: dict[str, int] = {}
        self._checks: dict[str, SigV4Check] = {}
        #: configuration, versions and aliases of the hosted functions
        self.versions = FunctionVersions(hosts)
        app = web.Application(client_max_size=LAMBDA_PAYLOAD_LIMIT_BYTES + 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False,
                                     shutdown_timeout=0.5)
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
            check = SigV4Check(self.credentials, region, service=LAMBDA_SERVICE)
            self._checks[region] = check
        return check

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        request_id = str(uuid.uuid4())
        raw_path = request.raw_path.partition("?")[0]
        control = control_operation(request.method, raw_path)
        if control is None and not (request.method == "POST" and raw_path.startswith(_PATH_PREFIX)
                                    and raw_path.endswith(_PATH_SUFFIX)):
            return _error(404, "UnknownOperationException",
                          f"{request.method} {raw_path} is no operation of this Lambda API: it "
                          "serves Invoke (POST /2015-03-31/functions/NAME/invocations) and the "
                          "configuration, version and alias operations of docs/emulator.md",
                          request_id)
        encoded = (control.function if control is not None
                   else raw_path[len(_PATH_PREFIX):-len(_PATH_SUFFIX)])
        name, qualifier = _function_name(unquote(encoded))
        qualifier = request.query.get("Qualifier") or qualifier
        host = self.hosts.get(name)
        body = await request.read()
        region = host.spec.region if host is not None else next(
            (h.spec.region for h in self.hosts.values()), "us-east-1")
        refused = self._check(region).refusal(
            method=request.method, raw_path=raw_path, raw_query=request.query_string,
            headers=request.headers.items(), body=body, request_id=request_id)
        if refused is not None:
            return web.Response(status=refused.status, body=refused.body,
                                headers=dict(refused.headers))
        if control is not None:
            return await self.versions.serve(control, name=name, qualifier=qualifier,
                                             query=request.query, body=body,
                                             request_id=request_id)
        resolved = self.versions.resolve(name, qualifier) if host is not None else None
        executed_version = "$LATEST"
        if resolved is not None:
            host, executed_version = resolved
        if host is None or resolved is None:
            arn = f"arn:aws:lambda:{region}:{ACCOUNT_ID}:function:{name}"
            shown = f"{arn}:{qualifier}" if qualifier else arn
            return _error(404, "ResourceNotFoundException", f"Function not found: {shown}",
                          request_id)
        invocation_type = request.headers.get("X-Amz-Invocation-Type", "RequestResponse")
        if invocation_type == "DryRun":
            return web.Response(status=204, headers={"x-amzn-RequestId": request_id})
        if invocation_type != "RequestResponse":
            return _error(400, "InvalidParameterValueException",
                          f"invocation type {invocation_type!r}: the emulator runs "
                          "RequestResponse and DryRun invocations only (no event queue)",
                          request_id)
        if len(body) > LAMBDA_PAYLOAD_LIMIT_BYTES:
            return _error(413, "RequestEntityTooLargeException",
                          f"Request must be smaller than {LAMBDA_PAYLOAD_LIMIT_BYTES} bytes for "
                          "the InvokeFunction operation", request_id)
        try:
            json.loads(body or b"{}")
        except (ValueError, UnicodeDecodeError):
            return _error(400, "InvalidRequestContentException",
                          "Could not parse request body into json", request_id)
        tail = (LogTail(host.log, request_id)
                if request.headers.get("X-Amz-Log-Type") == "Tail" else None)
        try:
            outcome = await host.invoke(body or b"{}", request_id)
            log_result = (await tail.result(
                expect_report=outcome.kind not in ("throttled", "too_large", "init_error"))
                if tail is not None else None)
        finally:
            if tail is not None:
                tail.close()
        self.invocations[name] = self.invocations.get(name, 0) + 1
        if outcome.kind == "throttled":
            reason = ("ReservedFunctionConcurrentInvocationLimitExceeded"
                      if host.spec.reserved_concurrency is not None
                      else "ConcurrentInvocationLimitExceeded")
            return _error(429, "TooManyRequestsException", "Rate Exceeded.", request_id,
                          Reason=reason)
        if outcome.kind == "too_large":
            return _error(413, "RequestEntityTooLargeException",
                          f"Request must be smaller than {LAMBDA_PAYLOAD_LIMIT_BYTES} bytes for "
                          "the InvokeFunction operation", request_id)
        payload, function_error = invoke_result(outcome, host.spec.timeout_s)
        headers = {"x-amzn-RequestId": request_id, "X-Amz-Executed-Version": executed_version}
        if function_error is not None:
            headers["X-Amz-Function-Error"] = function_error
        if log_result is not None:
            headers["X-Amz-Log-Result"] = log_result
        return web.Response(status=200, body=payload, headers=headers,
                            content_type="application/json")
