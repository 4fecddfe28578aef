"""``python -m stack deployer-policy|prune-versions``: what deploying to AWS takes and leaves.

``deployer-policy`` writes the IAM policy (stdout, or ``--out FILE``) that an account admin
attaches to whoever runs ``pulumi up``; ``docs/deployer-policy.json`` is its output with the
defaults. ``prune-versions STACK`` deletes the published versions of a deployed stack's
function beyond its ``versions_kept`` (Pulumi never does). See README.md, "Before you deploy".
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from contract import ExitCode, run_main
from stack._deployer import MANAGED_POLICY_CHARS_MAX, deployer_policy
from stack._errors import StackError
from stack._limits import DEFAULT_NAME_PREFIX
from stack._loading import load_stack
from stack._names import name_prefix_problems
from stack._versions import prune_versions

PARTITIONS = ("aws", "aws-cn", "aws-us-gov")


def policy_text(*, name_prefix: str = DEFAULT_NAME_PREFIX, partition: str = "aws") -> str:
    """The policy as written to a file: two-space JSON and a final newline."""
    document = deployer_policy(name_prefix=name_prefix, partition=partition)
    return json.dumps(document, indent=2) + "\n"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m stack",
        description="What deploying a stack to AWS takes (deployer-policy) and leaves behind "
        "(prune-versions).",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    policy = sub.add_parser(
        "deployer-policy",
        help="the IAM policy document a deploying identity needs (docs/deployer-policy.json)",
        description="The IAM policy a deploying identity needs to create, update and destroy "
        "every stack of this project, generated from the resource types the program declares.",
    )
    policy.add_argument("--out", type=Path, help="write it to FILE (default: stdout)")
    policy.add_argument(
        "--name-prefix",
        default=DEFAULT_NAME_PREFIX,
        help=f"the stacks' name_prefix setting (default: {DEFAULT_NAME_PREFIX})",
    )
    policy.add_argument("--partition", choices=PARTITIONS, default="aws")
    prune = sub.add_parser(
        "prune-versions",
        help="delete a deployed stack's old function versions (Pulumi never does)",
        description="List, or with --yes delete, the published versions of the stack's "
        "function beyond the newest versions_kept, leaving every version an alias uses. "
        "Uses the standard AWS credential chain (AWS_PROFILE, ...) in the stack's region.",
    )
    prune.add_argument("stack", help="a stack that publishes versions (provisioned, snapstart)")
    prune.add_argument("--keep", type=int, help="versions to keep (default: versions_kept)")
    prune.add_argument("--yes", action="store_true", help="delete them (default: only list)")
    return parser


def _prune(args: argparse.Namespace, client: Any = None) -> int:
    settings = load_stack(args.stack)
    keep = settings.versions_kept if args.keep is None else args.keep
    if keep is None:
        print(f"error: stack {settings.name} publishes no versions (cold_start_mitigation "
              f"{settings.cold_start_mitigation}); nothing to prune", file=sys.stderr)  # fmt: skip
        return ExitCode.USAGE
    if keep < 1:
        print(f"error: --keep is {keep}; keep at least 1 (the version alias live serves)",
              file=sys.stderr)  # fmt: skip
        return ExitCode.USAGE
    if client is None:
        import boto3

        client = boto3.client("lambda", region_name=settings.region)
    doomed = prune_versions(client, settings.function_name, keep, delete=args.yes)
    verb = "deleted" if args.yes else "would delete (add --yes)"
    listed = ", ".join(doomed) if doomed else "none"
    print(f"{settings.function_name}: keeps the newest {keep} and any an alias uses; "
          f"{verb}: {listed}")  # fmt: skip
    return ExitCode.OK


def main(argv: list[str] | None = None, *, lambda_client: Any = None) -> int:
    return run_main(lambda given: _main(given, lambda_client), argv)


def _main(argv: list[str] | None, lambda_client: Any) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "prune-versions":
        # botocore only here: the policy needs no AWS library.
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return _prune(args, lambda_client)
        except StackError as error:
            print(f"error: {error}", file=sys.stderr)
            return ExitCode.USAGE
        except (BotoCoreError, ClientError) as error:
            print(f"error: {args.stack}: AWS refused or could not be reached: {error}",
                  file=sys.stderr)  # fmt: skip
            return ExitCode.USAGE
    problems = name_prefix_problems(args.name_prefix)
    if problems:
        print(f"error: {problems[0]}", file=sys.stderr)
        return ExitCode.USAGE
    text = policy_text(name_prefix=args.name_prefix, partition=args.partition)
    size = len("".join(text.split()))
    if size > MANAGED_POLICY_CHARS_MAX:
        # IAM refuses a managed policy this large; an inline policy takes less still.
        print(f"warning: the policy is {size} characters without whitespace, over IAM's "
              f"{MANAGED_POLICY_CHARS_MAX} for a managed policy", file=sys.stderr)  # fmt: skip
    if args.out is None:
        sys.stdout.write(text)
        return ExitCode.OK
    try:
        args.out.write_text(text, encoding="utf-8")
    except OSError as error:
        print(f"error: cannot write {args.out}: {error.strerror or error}", file=sys.stderr)
        return ExitCode.USAGE
    print(f"wrote {args.out} (attach it to the identity that runs pulumi up)", file=sys.stderr)
    return ExitCode.OK


if __name__ == "__main__":
    sys.exit(main())
