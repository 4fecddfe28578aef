"""UpdateFunctionConfiguration's ``Environment``, checked as Lambda checks it: its shape, the
variables' names, its 4 KB limit, the reserved names."""

from __future__ import annotations

import json
import re

from ._control_answers import Refused, invalid

__all__ = ["updated_variables"]

#: environment variables Lambda sets itself and refuses in UpdateFunctionConfiguration
_RESERVED_ENV = frozenset(
    {
        "_HANDLER",
        "_X_AMZN_TRACE_ID",
        "AWS_DEFAULT_REGION",
        "AWS_REGION",
        "AWS_EXECUTION_ENV",
        "AWS_LAMBDA_FUNCTION_NAME",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
        "AWS_LAMBDA_FUNCTION_VERSION",
        "AWS_LAMBDA_INITIALIZATION_TYPE",
        "AWS_LAMBDA_LOG_GROUP_NAME",
        "AWS_LAMBDA_LOG_STREAM_NAME",
        "AWS_ACCESS_KEY",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_LAMBDA_RUNTIME_API",
        "LAMBDA_TASK_ROOT",
        "LAMBDA_RUNTIME_DIR",
    }
)
#: Lambda's model (botocore: ``EnvironmentVariables``' key pattern) and its 4 KB limit on them
_VARIABLE_NAME = re.compile(r"[a-zA-Z]([a-zA-Z0-9_])+")
_ENVIRONMENT_LIMIT_BYTES = 4096


def updated_variables(environment: object) -> dict[str, str]:
    """The variables an ``Environment`` field sets; Refused if Lambda would refuse it."""
    if not isinstance(environment, dict):
        raise invalid("Environment must be an object with Variables")
    variables = environment.get("Variables", {})
    if not isinstance(variables, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in variables.items()
    ):
        raise invalid("Environment.Variables must map names to string values")
    bad = sorted(name for name in variables if not _VARIABLE_NAME.fullmatch(name))
    if bad:
        raise Refused(
            400,
            "ValidationException",
            f"1 validation error detected: Value '{', '.join(bad)}' at "
            "'environment.variables' failed to satisfy constraint: Map keys must "
            "satisfy constraint: [Member must satisfy regular expression pattern: "
            f"{_VARIABLE_NAME.pattern}]",
        )
    measured = json.dumps(variables, separators=(",", ":"), ensure_ascii=False)
    if len(measured.encode()) > _ENVIRONMENT_LIMIT_BYTES:
        raise invalid(
            "Lambda was unable to configure your environment variables because the "
            "environment variables you have provided exceeded the 4KB limit. "
            f"String measured: {measured[:200]}..."
        )
    if any("\0" in value for value in variables.values()):
        raise invalid(
            "Environment.Variables: a value holds a NUL character, which no "
            "process environment can carry: remove it"
        )
    reserved = sorted(set(variables) & _RESERVED_ENV)
    if reserved:
        raise invalid(
            "Lambda was unable to configure your environment variables because the "
            "environment variables you have provided contains reserved keys that "
            f"are currently not supported for modification. Reserved keys used in "
            f"this request: {', '.join(reserved)}"
        )
    return dict(variables)
