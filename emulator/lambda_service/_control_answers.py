"""The control plane's answers: a JSON body, or a refusal with Lambda's error type and status."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from aiohttp import web

__all__ = ["Refused", "error_answer", "invalid", "json_answer", "not_found"]


def error_answer(status: int, error_type: str, message: str, request_id: str) -> web.Response:
    body = json.dumps({"Type": "User", "message": message}, separators=(",", ":"))
    return web.Response(
        status=status,
        text=body,
        content_type="application/json",
        headers={"x-amzn-ErrorType": error_type, "x-amzn-RequestId": request_id},
    )


def json_answer(status: int, body: Mapping[str, Any] | None, request_id: str) -> web.Response:
    if body is None:
        return web.Response(status=status, headers={"x-amzn-RequestId": request_id})
    return web.Response(
        status=status,
        text=json.dumps(body),
        content_type="application/json",
        headers={"x-amzn-RequestId": request_id},
    )


class Refused(Exception):
    """A request the control plane refuses: its HTTP status, Lambda's error type, why."""

    def __init__(self, status: int, error_type: str, message: str) -> None:
        super().__init__(message)
        self.status, self.error_type, self.message = status, error_type, message


def not_found(message: str) -> Refused:
    return Refused(404, "ResourceNotFoundException", message)


def invalid(message: str) -> Refused:
    return Refused(400, "InvalidParameterValueException", message)
