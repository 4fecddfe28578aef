"""Read a deployed function's platform lines (``REPORT`` ...) from CloudWatch Logs.

The local emulator writes its logs to a file; for a stack on AWS the same lines live in the
log group ``/aws/lambda/<function>``. This module pages through ``FilterLogEvents`` (every
page, until ``nextToken`` runs out) and writes the messages to a file in the emulator's
format, so the report reads one format whatever the target; a REPORT event is written as one
line (its X-Ray part, which follows a newline in the event, after a tab). A function logging
in JSON (``logFormat: JSON``) has one JSON object per event, written as it is: the report reads
its ``platform.report`` records as it reads REPORT lines.
"""

from __future__ import annotations

import datetime as dt
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
    if shutil.which("pulumi") is None:
        raise CloudWatchError(
            "the pulumi CLI is not installed, so the stack's log group cannot be looked up; "
            "pass --log-group /aws/lambda/<function-name> instead"
        )
    done = subprocess.run(
        ["pulumi", "stack", "output", "log_group", "--stack", stack],
        capture_output=True, text=True, timeout=60, check=False,
    )
    if done.returncode != 0 or not done.stdout.strip():
        raise CloudWatchError(
            f"`pulumi stack output log_group --stack {stack}` failed: "
            f"{done.stderr.strip() or 'no output'}"
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
