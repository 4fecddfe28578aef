"""``python -m stack deployer-policy``: the IAM policy whoever runs ``pulumi up`` needs.

Writes the document (stdout, or ``--out FILE``) that an account admin attaches to the deploying
user or role; ``docs/deployer-policy.json`` is its output with the defaults. See README.md,
"Before you deploy".
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from stack._deployer import MANAGED_POLICY_CHARS_MAX, deployer_policy
from stack._settings import DEFAULT_NAME_PREFIX, name_prefix_problems

PARTITIONS = ("aws", "aws-cn", "aws-us-gov")


def policy_text(*, name_prefix: str = DEFAULT_NAME_PREFIX, partition: str = "aws") -> str:
    """The policy as written to a file: two-space JSON and a final newline."""
    document = deployer_policy(name_prefix=name_prefix, partition=partition)
    return json.dumps(document, indent=2) + "\n"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m stack", description=__doc__.splitlines()[0])
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
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    problems = name_prefix_problems(args.name_prefix)
    if problems:
        print(f"error: {problems[0]}", file=sys.stderr)
        return 2
    text = policy_text(name_prefix=args.name_prefix, partition=args.partition)
    size = len("".join(text.split()))
    if size > MANAGED_POLICY_CHARS_MAX:
        # IAM refuses a managed policy this large; an inline policy takes less still.
        print(f"warning: the policy is {size} characters without whitespace, over IAM's "
              f"{MANAGED_POLICY_CHARS_MAX} for a managed policy", file=sys.stderr)  # fmt: skip
    if args.out is None:
        sys.stdout.write(text)
        return 0
    try:
        args.out.write_text(text, encoding="utf-8")
    except OSError as error:
        print(f"error: cannot write {args.out}: {error.strerror or error}", file=sys.stderr)
        return 2
    print(f"wrote {args.out} (attach it to the identity that runs pulumi up)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
