"""``python -m report logs --stack NAME --since 1h --out FILE``: REPORT lines (or, for a function
logging in JSON, platform.report records) from CloudWatch."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from contract import ExitCode
from resultfiles import ResultsError

from ._cloudwatch import (
    CloudWatchError,
    access_log_group,
    access_path,
    download_access_log,
    download_logs,
    function_log_group,
    parse_since,
)


def describe(name: str) -> tuple[str, str]:
    return (
        "download a deployed stack's function log (REPORT lines) from CloudWatch",
        (
            "Page through the function's CloudWatch log group and write its lines to a file in\n"
            "the emulator's format, for `python -m report write`. Put it beside the results as\n"
            "results/<run>/logs/<stack>.log. A function logging in JSON (log_format: json)\n"
            "gives platform.report records, one per line, which the report reads as REPORT\n"
            "lines. With --stack (or --access-log-group), the API stage's access log is written\n"
            "beside it as <stack>.access.jsonl: the report joins a function that returns no\n"
            "x-request-id to its REPORT lines through it. AWS credentials come from the usual\n"
            "places (environment, ~/.aws, an instance role)."
        ),
    )


def configure(name: str, parser: argparse.ArgumentParser) -> None:
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument(
        "--stack",
        metavar="NAME",
        help="a Pulumi stack: its log group comes from `pulumi stack output log_group`",
    )
    where.add_argument("--log-group", metavar="GROUP", help="the log group, e.g. /aws/lambda/NAME")
    parser.add_argument(
        "--access-log-group",
        metavar="GROUP",
        default=None,
        help="the API stage's access-log group (default with --stack: `pulumi "
        "stack output access_log_group`; with --log-group: none)",
    )
    parser.add_argument(
        "--since",
        required=True,
        metavar="WHEN",
        help="start: a duration ago (30m, 2h, 1d) or an ISO 8601 time",
    )
    parser.add_argument("--until", metavar="WHEN", default=None, help="end (default: now)")
    parser.add_argument("--region", default=None, help="AWS region (default: the SDK's)")
    parser.add_argument(
        "--out",
        type=Path,
        required=True,
        metavar="FILE",
        help="the log file to write, e.g. results/<run>/logs/python-512.log",
    )


def main(name: str, args: argparse.Namespace) -> int:
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        since = parse_since(args.since)
        until = parse_since(args.until) if args.until else None
        group = args.log_group or function_log_group(args.stack)
        access_group = args.access_log_group
        if access_group is None and args.stack:
            try:
                access_group = access_log_group(args.stack)
            except CloudWatchError as exc:
                # A stack deployed before the output existed: its function log still helps
                # (the model's functions return x-request-id); say what is missing.
                print(f"note: the access log is not downloaded: {exc}", file=sys.stderr)
        client = boto3.client("logs", region_name=args.region)
        count = download_logs(client, group, args.out, since=since, until=until)
        access_out = access_path(args.out)
        access_count = (
            download_access_log(client, access_group, access_out, since=since, until=until)
            if access_group
            else 0
        )
    except CloudWatchError as exc:
        raise ResultsError(str(exc)) from exc
    except (BotoCoreError, ClientError) as exc:
        # No credentials, no network, access denied: say so in one line, no traceback.
        raise ResultsError(f"cannot read CloudWatch Logs: {exc}") from exc
    print(f"{count} log events from {group} written to {args.out}")
    if access_group:
        print(f"{access_count} access-log events from {access_group} written to {access_out}")
    return ExitCode.OK
