"""The Invoke API's answers: its error responses, the payload and ``X-Amz-Function-Error`` of
an invocation that ran, and which bodies are JSON as AWS parses it."""

from __future__ import annotations

import json

from contract import PAYLOAD_LIMIT_BYTES
from emulator.instance._instance import Outcome
from emulator.lambda_service._invoke_answers import (
    error_response,
    invoke_result,
    not_json,
    too_large,
)


def test_an_error_carries_its_type_where_botocore_reads_it() -> None:
    answer = error_response(404, "ResourceNotFoundException", "Function not found: x", "r1")
    assert answer.status == 404
    assert answer.headers["x-amzn-ErrorType"] == "ResourceNotFoundException"
    assert answer.headers["x-amzn-RequestId"] == "r1"
    assert answer.text is not None
    assert json.loads(answer.text) == {"Type": "User", "message": "Function not found: x"}
    refused = too_large("r2")
    assert refused.status == 413
    assert refused.headers["x-amzn-ErrorType"] == "RequestTooLargeException"
    assert str(PAYLOAD_LIMIT_BYTES) in (refused.text or "")


def test_an_invocation_s_result_is_its_payload_or_lambda_s_error_document() -> None:
    assert invoke_result(Outcome("ok", "r1", payload=b'{"a":1}'), 3.0) == (b'{"a":1}', None)
    raised = b'{"errorType":"ValueError","errorMessage":"bad"}'
    assert invoke_result(Outcome("function_error", "r1", payload=raised), 3.0) == (
        raised,
        "Unhandled",
    )
    body, error = invoke_result(Outcome("timeout", "r1", error_type="Sandbox.Timedout"), 3.0)
    assert error == "Unhandled"
    assert json.loads(body) == {
        "errorType": "Sandbox.Timedout",
        "errorMessage": "RequestId: r1 Error: Task timed out after 3.00 seconds",
    }
    body, _ = invoke_result(Outcome("crash", "r1", exit_how="signal: killed"), 3.0)
    assert json.loads(body) == {
        "errorType": "Runtime.Unknown",
        "errorMessage": "RequestId: r1 Error: Runtime exited with error: signal: killed",
    }


def test_only_a_json_document_aws_would_parse_is_json() -> None:
    assert not_json(b'{"instances": [[1, 2]]}') is None
    assert not_json(b"NaN") == "NaN is not a JSON value"
    assert not_json(b"\xff\xfe\xfd") is not None
    assert not_json(b"[" * 100_000 + b"]" * 100_000) == "the document is nested too deeply"
    assert not_json(b"{") is not None
