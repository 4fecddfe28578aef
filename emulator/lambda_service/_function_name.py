"""Invoke's FunctionName as AWS reads it: a name, a partial ARN or a full ARN split into its
parts, and checked against the FunctionName and Qualifier patterns of Lambda's service model."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

__all__ = ["FunctionRef", "function_ref", "invalid_name"]


@functools.cache
def _patterns() -> dict[str, re.Pattern[str]]:
    """Invoke's FunctionName and Qualifier patterns, from botocore's copy of Lambda's model."""
    import botocore.session

    shape = (
        botocore.session.get_session()
        .get_service_model("lambda")
        .operation_model("Invoke")
        .input_shape
    )
    return {
        member: re.compile(shape.members[name].metadata["pattern"])
        for member, name in (("functionName", "FunctionName"), ("qualifier", "Qualifier"))
    }


@dataclass(frozen=True)
class FunctionRef:
    """A FunctionName as Invoke reads it: a name, a partial ARN or a full ARN."""

    name: str
    qualifier: str | None = None
    partition: str | None = None
    region: str | None = None
    account: str | None = None


def function_ref(raw: str) -> FunctionRef:
    """Split a FunctionName (``[arn:PARTITION:lambda:][REGION:][ACCOUNT:][function:]NAME
    [:QUALIFIER]``) into its parts; the pattern check is separate (``invalid_name``)."""
    parts = raw.split(":")
    partition = None
    if raw.startswith("arn:") and len(parts) >= 3:
        partition, parts = parts[1], parts[3:]
    region = account = None
    if len(parts) > 1 and re.fullmatch(r"[a-z]{2}(-[a-z]+)+-\d", parts[0]):
        region, parts = parts[0], parts[1:]
    if len(parts) > 1 and re.fullmatch(r"\d{12}", parts[0]):
        account, parts = parts[0], parts[1:]
    if len(parts) > 1 and parts[0] == "function":
        parts = parts[1:]
    return FunctionRef(
        name=parts[0] if parts else "",
        qualifier=parts[1] if len(parts) > 1 else None,
        partition=partition,
        region=region,
        account=account,
    )


def invalid_name(field: str, value: str) -> str | None:
    """AWS's validation message when ``value`` does not match Invoke's pattern for ``field``
    (``functionName`` or ``qualifier``); None when it matches."""
    pattern = _patterns()[field]
    if pattern.fullmatch(value):
        return None
    return (
        f"1 validation error detected: Value '{value}' at '{field}' failed to satisfy "
        f"constraint: Member must satisfy regular expression pattern: {pattern.pattern}"
    )
