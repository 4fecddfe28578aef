"""Invoke's FunctionName read as AWS reads it: a name, a partial ARN or a full ARN, and the
service model's patterns checked with AWS's validation message."""

from __future__ import annotations

from emulator.lambda_service._function_name import FunctionRef, function_ref, invalid_name


def test_a_full_arn_gives_every_part() -> None:
    ref = function_ref("arn:aws:lambda:eu-west-1:123456789012:function:python-256:prod")
    assert ref == FunctionRef(
        name="python-256",
        qualifier="prod",
        partition="aws",
        region="eu-west-1",
        account="123456789012",
    )


def test_a_partial_arn_and_a_plain_name_give_what_they_name() -> None:
    assert function_ref("123456789012:function:python-256") == FunctionRef(
        name="python-256", account="123456789012"
    )
    assert function_ref("python-256:7") == FunctionRef(name="python-256", qualifier="7")
    assert function_ref("python-256") == FunctionRef(name="python-256")


def test_a_name_outside_invoke_s_pattern_gets_aws_s_validation_message() -> None:
    assert invalid_name("functionName", "python-256") is None
    assert invalid_name("qualifier", "$LATEST") is None
    message = invalid_name("functionName", "no spaces here")
    assert message is not None
    assert message.startswith(
        "1 validation error detected: Value 'no spaces here' at 'functionName' failed to "
        "satisfy constraint: Member must satisfy regular expression pattern: "
    )
