"""The IAM and S3 policy documents of a stack, as data (tests compare them as data too)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

PolicyDocument = dict[str, Any]

#: Only what a function needs to write its own logs (what AWSLambdaBasicExecutionRole grants,
#: minus CreateLogGroup: the program creates the group, with retention, before the function).
LOG_ACTIONS = ("logs:CreateLogStream", "logs:PutLogEvents")


def lambda_assume_role_policy() -> PolicyDocument:
    """Lambda, and only Lambda, may assume the function's role."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "LambdaAssumesTheFunctionRole",
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }


def function_policy(log_group_arn: str, model_object_arn: str | None) -> PolicyDocument:
    """Least privilege for the function: write to its own log group's streams and, when the
    model comes from S3, read that one object."""
    # A log group ARN as the provider reports it has no trailing ":*"; streams live under it.
    streams = f"{log_group_arn.removesuffix(':*')}:*"
    statements: list[dict[str, Any]] = [
        {
            "Sid": "WriteOwnLogs",
            "Effect": "Allow",
            "Action": list(LOG_ACTIONS),
            "Resource": streams,
        }
    ]
    if model_object_arn is not None:
        statements.append(
            {
                "Sid": "ReadTheModel",
                "Effect": "Allow",
                "Action": "s3:GetObject",
                "Resource": model_object_arn,
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}


#: What Lambda needs of an ECR repository to pull a function's image (AWS: "Amazon ECR
#: permissions" for Lambda container images; same-account functions are allowed through the
#: repository's policy, for the Lambda service principal).
IMAGE_PULL_ACTIONS = ("ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer")


def image_pull_policy(function_arn: str) -> PolicyDocument:
    """The repository policy of an image function: Lambda may pull the image for this function
    (or a version of it) only. Declared by the program, so that Lambda need not add its own
    statement (which needs ecr:SetRepositoryPolicy of the deployer, and drifts from the code)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "LambdaPullsTheFunctionImage",
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": list(IMAGE_PULL_ACTIONS),
                "Condition": {"StringLike": {"aws:sourceArn": [function_arn, f"{function_arn}:*"]}},
            }
        ],
    }


def tls_only_bucket_policy(bucket_arn: str) -> PolicyDocument:
    """Refuse every request to the bucket or its objects that does not arrive over TLS."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [bucket_arn, f"{bucket_arn}/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ],
    }


#: The only S3 action a worker needs: to upload its result folder's files.
WORKER_S3_ACTIONS = ("s3:PutObject",)


def worker_policy(
    log_group_arn: str,
    bucket_arn: str,
    runs_prefix: str,
    *,
    invoke_apis: Sequence[str] = (),
) -> PolicyDocument:
    """Least privilege for a load-generator worker: write to its own log group's streams, put
    objects under ``<runs_prefix>`` of its own bucket (it cannot read, list or delete), and
    sign requests to the HTTP APIs whose execution ARNs are ``invoke_apis`` (any stage,
    method and route of those; HTTP APIs have no resource policy, so this is what admits the
    workers' signed requests) and to no other API."""
    streams = f"{log_group_arn.removesuffix(':*')}:*"
    invoke: list[dict[str, Any]] = []
    if invoke_apis:
        invoke.append(
            {
                "Sid": "LoadTheTargetApis",
                "Effect": "Allow",
                "Action": "execute-api:Invoke",
                "Resource": [f"{arn}/*" for arn in sorted(set(invoke_apis))],
            }
        )
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "WriteOwnLogs",
                "Effect": "Allow",
                "Action": list(LOG_ACTIONS),
                "Resource": streams,
            },
            {
                "Sid": "WriteResultFolders",
                "Effect": "Allow",
                "Action": list(WORKER_S3_ACTIONS),
                "Resource": f"{bucket_arn}/{runs_prefix}*",
            },
            *invoke,
        ],
    }
