"""What the Invoke API answers: its error responses (Lambda's error types in
``x-amzn-ErrorType``), the payload of an invocation that ran, and the body's JSON check."""

from __future__ import annotations

import json

from aiohttp import web

from contract import PAYLOAD_LIMIT_BYTES

from ..instance._instance import Outcome

__all__ = ["error_response", "invoke_result", "not_json", "too_large"]

_TOO_LARGE = "Request must be smaller than {limit} bytes for the InvokeFunction operation"


def error_response(
    status: int, error_type: str, message: str, request_id: str, **extra: str
) -> web.Response:
    """An Invoke API error: its type in ``x-amzn-ErrorType``, ``{"Type": "User", "message"}``."""
    body = json.dumps({"Type": "User", "message": message, **extra}, separators=(",", ":"))
    return web.Response(
        status=status,
        text=body,
        content_type="application/json",
        headers={"x-amzn-ErrorType": error_type, "x-amzn-RequestId": request_id},
    )


def too_large(request_id: str) -> web.Response:
    """413 ``RequestTooLargeException``: a payload over Lambda's 6 MB."""
    return error_response(
        413, "RequestTooLargeException", _TOO_LARGE.format(limit=PAYLOAD_LIMIT_BYTES), request_id
    )


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


def _refuse_constant(name: str) -> object:
    raise ValueError(f"{name} is not a JSON value")


def not_json(body: bytes) -> str | None:
    """Why ``body`` is not a JSON document AWS would parse (None when it is one)."""
    try:
        json.loads(body, parse_constant=_refuse_constant)
    except RecursionError:
        return "the document is nested too deeply"
    except UnicodeDecodeError:
        return "the body is not UTF-8"
    except ValueError as exc:
        return str(exc)
    return None
