"""What a stack and the resources named after it may be called: the stack name's rule (S3's
for bucket names) and ``name_prefix``'s, alone and with the stack name."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from contract import FUNCTION_NAME_MAX, PROJECT
from stack._limits import NAME_PREFIX_MAX, PING_RULE_SUFFIX, STACK_NAME_MAX
from stack._schema import setting_key

# Pulumi names a stack's buckets after the stack (``<stack>-models-<random>``), so a stack name
# must be what S3 takes at the start of a bucket name: lower case letters, digits and '-',
# starting with a letter or digit, and not one of the prefixes S3 reserves.
BUCKET_SAFE_NAME = re.compile(r"[a-z0-9][a-z0-9-]*")
_BUCKET_RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_NAME_PREFIX = re.compile(r"[a-z][a-z0-9-]*")


def name_problems(values: Mapping[str, Any]) -> list[str]:
    """What is wrong with the stack name, then with ``name_prefix`` (with the stack name, once
    that is valid itself)."""
    problems: list[str] = []
    name = values.get("name", "")
    if (
        not isinstance(name, str)
        or not BUCKET_SAFE_NAME.fullmatch(name)
        or name.startswith(_BUCKET_RESERVED_PREFIXES)
        or len(name) > STACK_NAME_MAX
    ):
        problems.append(
            f"stack name {name!r} must be 1 to {STACK_NAME_MAX} lower-case letters, digits or "
            "'-', starting with a letter or digit and not with "
            f"{', '.join(_BUCKET_RESERVED_PREFIXES)}: S3's rule for bucket names, which are "
            f"named after the stack, and the Lambda function {PROJECT}-<stack> takes at most "
            f"{FUNCTION_NAME_MAX} characters; rename the stack file"
        )
    problems.extend(_name_prefix_problems(values, name_is_valid=not problems))
    return problems


def name_prefix_problems(prefix: str) -> list[str]:
    """What is wrong with ``prefix`` as a ``name_prefix``, on its own (no stack name)."""
    if not _NAME_PREFIX.fullmatch(prefix) or len(prefix) > NAME_PREFIX_MAX:
        return [
            (
                f"{setting_key('name_prefix')} is {prefix!r}; use 1 to {NAME_PREFIX_MAX} "
                "lower-case letters, digits or '-', starting with a letter (e.g. alice-lms-)"
            )
        ]
    return []


def _name_prefix_problems(values: Mapping[str, Any], *, name_is_valid: bool) -> list[str]:
    """``name_prefix`` must make valid names of every resource named after it (with the stack
    name, once that is valid itself)."""
    prefix = values.get("name_prefix")
    if not isinstance(prefix, str):
        return []
    if name_prefix_problems(prefix) or not name_is_valid:
        return name_prefix_problems(prefix)
    key = setting_key("name_prefix")
    name = values.get("name", "")
    # The ping rule is named <function>-ping; EventBridge takes 64 characters, Lambda 64.
    longest = FUNCTION_NAME_MAX - (
        len(PING_RULE_SUFFIX) if values.get("cold_start_mitigation") == "ping" else 0
    )
    if isinstance(name, str) and len(prefix) + len(name) > longest:
        return [
            (
                f"{key} {prefix!r} and the stack name {name!r} make a "
                f"{len(prefix) + len(name)}-character function name; at most {longest} fit: "
                "shorten the prefix"
            )
        ]
    return []
