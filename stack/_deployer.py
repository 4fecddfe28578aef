"""The IAM policy a deploying identity needs for ``pulumi up``, ``refresh`` and ``destroy`` of
any stack of this project, as data: what each resource type the program declares (and each
provider function it calls) needs of AWS to be created, read, updated and deleted.

``deployer_policy()`` turns the table into one policy document; ``python -m stack
deployer-policy`` writes it (``docs/deployer-policy.json`` is its output for the default
``name_prefix``). A test runs the program under Pulumi's mocks for every stack file and holds
the table to exactly the types it registers, so a resource added to the program without its
permissions fails there, not in someone's ``pulumi up``. No Pulumi here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from contract import PROJECT, log_group_name
from stack._limits import DEFAULT_NAME_PREFIX

#: The IAM path of every role the program creates, so that the deployer may create, change
#: and pass those roles and no other (``iam:PassRole`` is what would let it escalate).
ROLE_PATH = f"/{PROJECT}/"

#: What each scope of a grant covers, as ARN patterns (``{p}``: the partition, ``{n}``: the
#: stack's ``name_prefix``). Buckets and roles are named by Pulumi (``<stack>-models-<random>``,
#: ``<stack>-results-<random>``; roles under ``ROLE_PATH``); the rest after the function,
#: ``<name_prefix><stack>``. API Gateway ids are random: its scope is every HTTP API's path.
SCOPES: Mapping[str, tuple[str, ...]] = {
    "Account": ("*",),
    "Functions": ("arn:{p}:lambda:*:*:function:{n}*",),
    "Layers": ("arn:{p}:lambda:*:*:layer:{n}*",),
    "LogGroups": (
        "arn:{p}:logs:*:*:log-group:" + log_group_name("{n}*"),
        "arn:{p}:logs:*:*:log-group:/aws/vendedlogs/apigateway/{n}*",
    ),
    "Roles": ("arn:{p}:iam::*:role" + ROLE_PATH + "*",),
    "Buckets": ("arn:{p}:s3:::*-models-*", "arn:{p}:s3:::*-results-*"),
    "Objects": ("arn:{p}:s3:::*-models-*/*", "arn:{p}:s3:::*-results-*/*"),
    "Repositories": ("arn:{p}:ecr:*:*:repository/{n}*",),
    "HttpApis": (
        "arn:{p}:apigateway:*::/apis",
        "arn:{p}:apigateway:*::/apis/*",
        "arn:{p}:apigateway:*::/tags/*",
    ),
    "PingRules": ("arn:{p}:events:*:*:rule/{n}*",),
}


@dataclass(frozen=True)
class Grant:
    """IAM actions on one scope (a key of ``SCOPES``)."""

    scope: str
    actions: tuple[str, ...]


_API = ("apigateway:DELETE", "apigateway:GET", "apigateway:PATCH", "apigateway:POST")
_BUCKET_READS = (
    "s3:GetAccelerateConfiguration",
    "s3:GetBucketAcl",
    "s3:GetBucketCORS",
    "s3:GetBucketLocation",
    "s3:GetBucketLogging",
    "s3:GetBucketObjectLockConfiguration",
    "s3:GetBucketOwnershipControls",
    "s3:GetBucketPolicy",
    "s3:GetBucketPublicAccessBlock",
    "s3:GetBucketRequestPayment",
    "s3:GetBucketTagging",
    "s3:GetBucketVersioning",
    "s3:GetBucketWebsite",
    "s3:GetEncryptionConfiguration",
    "s3:GetLifecycleConfiguration",
    "s3:GetReplicationConfiguration",
)
# Lambda reads code and layers deployed from S3 with the deployer's credentials.
_READ_ARCHIVE = Grant("Objects", ("s3:GetObject", "s3:GetObjectVersion"))
# HTTP API access logging is a CloudWatch Logs delivery, set up with the deployer's identity
# (API Gateway docs, "Permissions for CloudWatch logging"); these actions take no resource.
_ACCESS_LOG_DELIVERY = (
    "logs:CreateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:DescribeLogGroups",
    "logs:DescribeResourcePolicies",
    "logs:GetLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:UpdateLogDelivery",
)

#: Pulumi type token (or provider-function token) → what the deployer needs for it. Every
#: type the program registers is here, and nothing else (tests/stack/test_every_stack.py).
GRANTS: Mapping[str, tuple[Grant, ...]] = {
    # The provider checks its credentials once (skipCredentialsValidation: false).
    "pulumi:providers:aws": (Grant("Account", ("sts:GetCallerIdentity",)),),
    # Answered by the provider from its region, without calling AWS.
    "aws:index/getPartition:getPartition": (),
    "aws:s3/bucket:Bucket": (
        Grant(
            "Buckets",
            (
                "s3:CreateBucket",
                "s3:DeleteBucket",
                "s3:ListBucket",
                "s3:ListBucketVersions",
                "s3:PutBucketTagging",
                *_BUCKET_READS,
            ),
        ),
        # force_destroy: `pulumi destroy` empties the bucket, every version, first.
        Grant("Objects", ("s3:DeleteObject", "s3:DeleteObjectVersion")),
    ),
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": (
        Grant("Buckets", ("s3:GetBucketPublicAccessBlock", "s3:PutBucketPublicAccessBlock")),
    ),
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": (
        Grant("Buckets", ("s3:GetEncryptionConfiguration", "s3:PutEncryptionConfiguration")),
    ),
    "aws:s3/bucketPolicy:BucketPolicy": (
        Grant("Buckets", ("s3:DeleteBucketPolicy", "s3:GetBucketPolicy", "s3:PutBucketPolicy")),
    ),
    "aws:s3/bucketVersioning:BucketVersioning": (
        Grant("Buckets", ("s3:GetBucketVersioning", "s3:PutBucketVersioning")),
    ),
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": (
        Grant("Buckets", ("s3:GetLifecycleConfiguration", "s3:PutLifecycleConfiguration")),
    ),
    "aws:s3/bucketObjectv2:BucketObjectv2": (
        Grant(
            "Objects",
            (
                "s3:DeleteObject",
                "s3:DeleteObjectVersion",
                "s3:GetObject",
                "s3:GetObjectTagging",
                "s3:GetObjectVersion",
                "s3:PutObject",
                "s3:PutObjectTagging",
            ),
        ),
        Grant("Buckets", ("s3:ListBucket",)),
    ),
    "aws:cloudwatch/logGroup:LogGroup": (
        Grant(
            "LogGroups",
            (
                "logs:CreateLogGroup",
                "logs:DeleteLogGroup",
                "logs:DeleteRetentionPolicy",
                "logs:ListTagsForResource",
                "logs:PutRetentionPolicy",
                "logs:TagResource",
                "logs:UntagResource",
            ),
        ),
        Grant("Account", ("logs:DescribeLogGroups",)),
    ),
    "aws:iam/role:Role": (
        Grant(
            "Roles",
            (
                "iam:CreateRole",
                "iam:DeleteRole",
                "iam:GetRole",
                "iam:ListAttachedRolePolicies",
                "iam:ListInstanceProfilesForRole",
                "iam:ListRolePolicies",
                "iam:TagRole",
                "iam:UntagRole",
                "iam:UpdateAssumeRolePolicy",
                "iam:UpdateRole",
                "iam:UpdateRoleDescription",
            ),
        ),
    ),
    "aws:iam/rolePolicy:RolePolicy": (
        Grant("Roles", ("iam:DeleteRolePolicy", "iam:GetRolePolicy", "iam:PutRolePolicy")),
    ),
    "aws:lambda/function:Function": (
        Grant(
            "Functions",
            (
                "lambda:CreateFunction",
                "lambda:DeleteFunction",
                "lambda:DeleteFunctionConcurrency",
                "lambda:GetFunction",
                "lambda:GetFunctionCodeSigningConfig",
                "lambda:GetFunctionConcurrency",
                "lambda:GetFunctionConfiguration",
                "lambda:GetRuntimeManagementConfig",
                "lambda:ListTags",
                "lambda:ListVersionsByFunction",
                "lambda:PublishVersion",
                "lambda:PutFunctionConcurrency",
                "lambda:TagResource",
                "lambda:UntagResource",
                "lambda:UpdateFunctionCode",
                "lambda:UpdateFunctionConfiguration",
            ),
        ),
        # The function's role, passed to Lambda (a separate statement holds it to Lambda).
        Grant("PassRole", ("iam:PassRole",)),
        Grant("Layers", ("lambda:GetLayerVersion",)),
        _READ_ARCHIVE,
        # An image function: Lambda checks the repository's policy and reads the image as
        # the deployer when the function is created or updated.
        Grant(
            "Repositories",
            (
                "ecr:BatchGetImage",
                "ecr:GetDownloadUrlForLayer",
                "ecr:GetRepositoryPolicy",
                "ecr:SetRepositoryPolicy",
            ),
        ),
    ),
    "aws:lambda/alias:Alias": (
        Grant(
            "Functions",
            ("lambda:CreateAlias", "lambda:DeleteAlias", "lambda:GetAlias", "lambda:UpdateAlias"),
        ),
    ),
    "aws:lambda/layerVersion:LayerVersion": (
        Grant(
            "Layers",
            ("lambda:DeleteLayerVersion", "lambda:GetLayerVersion", "lambda:PublishLayerVersion"),
        ),
        _READ_ARCHIVE,
    ),
    "aws:lambda/permission:Permission": (
        Grant("Functions", ("lambda:AddPermission", "lambda:GetPolicy", "lambda:RemovePermission")),
    ),
    "aws:lambda/provisionedConcurrencyConfig:ProvisionedConcurrencyConfig": (
        Grant(
            "Functions",
            (
                "lambda:DeleteProvisionedConcurrencyConfig",
                "lambda:GetProvisionedConcurrencyConfig",
                "lambda:PutProvisionedConcurrencyConfig",
            ),
        ),
    ),
    "aws:apigatewayv2/api:Api": (Grant("HttpApis", _API),),
    "aws:apigatewayv2/integration:Integration": (Grant("HttpApis", _API),),
    "aws:apigatewayv2/route:Route": (Grant("HttpApis", _API),),
    "aws:apigatewayv2/stage:Stage": (
        Grant("HttpApis", _API),
        Grant("Account", _ACCESS_LOG_DELIVERY),
    ),
    "aws:cloudwatch/eventRule:EventRule": (
        Grant(
            "PingRules",
            (
                "events:DeleteRule",
                "events:DescribeRule",
                "events:DisableRule",
                "events:EnableRule",
                "events:ListTagsForResource",
                "events:ListTargetsByRule",
                "events:PutRule",
                "events:TagResource",
                "events:UntagResource",
            ),
        ),
    ),
    "aws:cloudwatch/eventTarget:EventTarget": (
        Grant(
            "PingRules", ("events:ListTargetsByRule", "events:PutTargets", "events:RemoveTargets")
        ),
    ),
    "aws:ecr/repository:Repository": (
        Grant(
            "Repositories",
            (
                "ecr:CreateRepository",
                "ecr:DeleteRepository",
                "ecr:DescribeRepositories",
                "ecr:ListTagsForResource",
                "ecr:PutImageScanningConfiguration",
                "ecr:PutImageTagMutability",
                "ecr:TagResource",
                "ecr:UntagResource",
            ),
        ),
    ),
    "aws:ecr/repositoryPolicy:RepositoryPolicy": (
        Grant(
            "Repositories",
            ("ecr:DeleteRepositoryPolicy", "ecr:GetRepositoryPolicy", "ecr:SetRepositoryPolicy"),
        ),
    ),
    "aws:ecr/lifecyclePolicy:LifecyclePolicy": (
        Grant(
            "Repositories",
            ("ecr:DeleteLifecyclePolicy", "ecr:GetLifecyclePolicy", "ecr:PutLifecyclePolicy"),
        ),
    ),
    "aws:ecr/getAuthorizationToken:getAuthorizationToken": (
        Grant("Account", ("ecr:GetAuthorizationToken",)),
    ),
    # docker-build pushes the image with the ECR token, as the deployer.
    "docker-build:index:Image": (
        Grant(
            "Repositories",
            (
                "ecr:BatchCheckLayerAvailability",
                "ecr:BatchGetImage",
                "ecr:CompleteLayerUpload",
                "ecr:GetDownloadUrlForLayer",
                "ecr:InitiateLayerUpload",
                "ecr:PutImage",
                "ecr:UploadLayerPart",
            ),
        ),
    ),
}

#: What the project's own commands that change AWS need beyond ``pulumi up``.
COMMAND_GRANTS: Mapping[str, tuple[Grant, ...]] = {
    "python -m stack prune-versions": (
        Grant(
            "Functions",
            ("lambda:DeleteFunction", "lambda:ListAliases", "lambda:ListVersionsByFunction"),
        ),
    ),
}

#: IAM's size limit for a customer managed policy, in characters without whitespace.
MANAGED_POLICY_CHARS_MAX = 6144


def scope_resources(scope: str, *, name_prefix: str, partition: str = "aws") -> list[str]:
    """The ARN patterns a scope covers for ``name_prefix`` in ``partition``."""
    patterns = SCOPES["Roles"] if scope == "PassRole" else SCOPES[scope]
    return [pattern.format(p=partition, n=name_prefix) for pattern in patterns]


def deployer_policy(*, name_prefix: str | None = None, partition: str = "aws") -> dict[str, Any]:
    """The policy document an account admin attaches to whoever runs ``pulumi up``: one
    statement per scope with every action the table grants on it, in a stable order."""
    prefix = DEFAULT_NAME_PREFIX if name_prefix is None else name_prefix
    actions: dict[str, set[str]] = {}
    for grants in (*GRANTS.values(), *COMMAND_GRANTS.values()):
        for grant in grants:
            actions.setdefault(grant.scope, set()).update(grant.actions)
    statements: list[dict[str, Any]] = []
    for scope in sorted(actions):
        statement: dict[str, Any] = {
            "Sid": scope,
            "Effect": "Allow",
            "Action": sorted(actions[scope]),
            "Resource": scope_resources(scope, name_prefix=prefix, partition=partition),
        }
        if scope == "PassRole":
            # The roles go to Lambda functions, nowhere else.
            statement["Condition"] = {
                "StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}
            }
        statements.append(statement)
    return {"Version": "2012-10-17", "Statement": statements}
