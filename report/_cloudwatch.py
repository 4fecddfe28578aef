"""Read a deployed function's platform lines (``REPORT`` ...) from CloudWatch Logs.

The local emulator writes its logs to a file; for a stack on AWS the same lines live in the
log group ``/aws/lambda/<function>``. This module pages through ``FilterLogEvents`` (every
page, until ``nextToken`` runs out) and writes the messages to a file in the emulator's
format, so the report reads one format whatever the target; a REPORT event is written as one
line (its X-Ray part, which follows a newline in the event, after a tab). A function logging
in JSON (``logFormat: JSON``) has one JSON object per event, written as it is: the report reads
its ``platform.report`` records as it reads REPORT lines.

The stack's API stage writes an access log too (output ``access_log_group``: one JSON object per
request, with API Gateway's id and the Lambda request id of its invocation). It is written
beside the log as ``<stack>.access.jsonl`` in the emulator's format, so that a function that
returns no ``x-request-id`` (a team's own) is joined to its REPORT lines through it, on AWS as
locally.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from resultfiles import write_text_atomic

from ._reportline import is_report_line

_SINCE = re.compile(r"^(\d+)\s*([smhd])$")
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400}


class CloudWatchError(RuntimeError):
    """The logs could not be read; the message says why and what to do."""


def parse_since(text: str, *, now: dt.datetime | None = None) -> dt.datetime:
    """``30m``, ``2h``, ``1d`` (ago) or an ISO 8601 time (UTC when it names no zone)."""
    now = now or dt.datetime.now(dt.UTC)
    match = _SINCE.match(text.strip())
    if match:
        return now - dt.timedelta(seconds=int(match.group(1)) * _UNIT_S[match.group(2)])
    try:
        when = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise CloudWatchError(
            f"--since {text!r} is neither a duration (30m, 2h, 1d) nor an ISO 8601 time"
        ) from None
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


def _millis(when: dt.datetime) -> int:
    return int(when.timestamp() * 1000)


def iter_log_messages(
    client: Any,
    log_group: str,
    *,
    since: dt.datetime,
    until: dt.datetime | None = None,
    pattern: str | None = None,
) -> Iterator[tuple[int, str]]:
    """(timestamp ms, message) of every event in the group between ``since`` and ``until``."""
    kwargs: dict[str, Any] = {"logGroupName": log_group, "startTime": _millis(since)}
    if until is not None:
        kwargs["endTime"] = _millis(until)
    if pattern:
        kwargs["filterPattern"] = pattern
    try:
        paginator = client.get_paginator("filter_log_events")
        for page in paginator.paginate(**kwargs):
            for event in page.get("events", []):
                yield int(event["timestamp"]), str(event["message"])
    except client.exceptions.ResourceNotFoundException:
        raise CloudWatchError(
            f"log group {log_group!r} does not exist in this account/region; has the stack "
            "been deployed and invoked at least once? (check --region and `pulumi stack output "
            "log_group`)"
        ) from None


def function_log_group(stack: str) -> str:
    """The stack's log group, from its Pulumi output ``log_group``."""
    return stack_output(stack, "log_group", instead="--log-group /aws/lambda/<function-name>")


def access_log_group(stack: str) -> str:
    """The log group of the stack's API access log, from its Pulumi output
    ``access_log_group``."""
    return stack_output(
        stack,
        "access_log_group",
        instead="--access-log-group /aws/vendedlogs/apigateway/<function-name>",
    )


def stack_output(stack: str, output: str, *, instead: str) -> str:
    """One output of a deployed stack, through the pulumi CLI; ``instead`` names the option
    that gives it by hand."""
    if shutil.which("pulumi") is None:
        raise CloudWatchError(
            f"the pulumi CLI is not installed, so the stack's {output} cannot be looked up; "
            f"pass {instead} instead"
        )
    done = subprocess.run(
        ["pulumi", "stack", "output", output, "--stack", stack],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if done.returncode != 0 or not done.stdout.strip():
        raise CloudWatchError(
            f"`pulumi stack output {output} --stack {stack}` failed: "
            f"{done.stderr.strip() or 'no output'} (a stack deployed before this output existed "
            f"needs `pulumi up` again, or pass {instead})"
        )
    return done.stdout.strip()


def download_logs(
    client: Any,
    log_group: str,
    out: Path,
    *,
    since: dt.datetime,
    until: dt.datetime | None = None,
) -> int:
    """Write the group's messages (one per line, ordered by time) to ``out``; returns the count.

    The file is replaced atomically, so a failure half-way leaves the previous one intact.
    """
    events = sorted(iter_log_messages(client, log_group, since=since, until=until))
    out.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(out, "".join(_one_line(m) for _, m in events))
    return len(events)


def _one_line(message: str) -> str:
    """The event as one line when it is a REPORT event; other messages as they are.

    With X-Ray on, a REPORT event goes on after a newline with its trace ids; written as
    two lines, the ids would never reach the REPORT parser. A tab is the field separator.
    """
    if is_report_line(message):
        message = re.sub(r"[\r\n]+", "\t", message.rstrip("\r\n"))
    return message + "\n" if not message.endswith("\n") else message


#: The fields of the stage's access log (stack/aws/_api.py ``ACCESS_LOG_FORMAT``) that the
#: emulator's access-log lines hold too; a test holds the two to each other.
AWS_ACCESS_FIELDS = {
    "apigw_id": "requestId",
    "request_id": "lambdaRequestId",
    "t": "requestTime",
    "status": "status",
    "response_ms": "responseLatency",
}


def access_path(log: Path) -> Path:
    """Where the access log of the function log ``log`` goes: ``<stack>.access.jsonl``."""
    return log.with_name(log.name.removesuffix(".log") + ".access.jsonl")


def download_access_log(
    client: Any,
    log_group: str,
    out: Path,
    *,
    since: dt.datetime,
    until: dt.datetime | None = None,
) -> int:
    """Write the stage's access-log events to ``out`` in the emulator's format (one JSON object
    per line: ``t``, ``apigw_id``, ``request_id``, ``status``, ``added_ms``, ``response_ms``);
    returns the count. An event that is not such a JSON object is skipped."""
    lines = []
    for _, message in sorted(iter_log_messages(client, log_group, since=since, until=until)):
        entry = aws_access_entry(message)
        if entry is not None:
            lines.append(json.dumps(entry, separators=(",", ":")) + "\n")
    out.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(out, "".join(lines))
    return len(lines)


def aws_access_entry(message: str) -> dict[str, object] | None:
    """One access-log event of an HTTP API stage as the emulator writes it, or None.

    API Gateway writes ``-`` for a value it does not have (no integration when it answered
    itself: a 403 from IAM, a 404, a 429); ``added_ms`` is 0: nothing was emulated.
    """
    try:
        raw = json.loads(message)
    except ValueError:
        return None
    if not isinstance(raw, dict) or not isinstance(raw.get("requestId"), str):
        return None

    def value(key: str) -> str | None:
        found = raw.get(AWS_ACCESS_FIELDS[key])
        return None if found in (None, "", "-") else str(found)

    def number(key: str) -> float | None:
        try:
            return float(value(key) or "")
        except ValueError:
            return None

    epoch_ms, status, response_ms = number("t"), number("status"), number("response_ms")
    return {
        "t": None if epoch_ms is None else epoch_ms / 1000.0,
        "apigw_id": raw["requestId"],
        "request_id": value("request_id"),
        "status": None if status is None else int(status),
        "added_ms": 0.0,
        "response_ms": response_ms,
    }
