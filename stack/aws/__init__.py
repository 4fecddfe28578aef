"""The AWS resources of a stack, as Pulumi components (this package imports Pulumi).

``ModelStack`` composes ``ModelBucket``, ``ModelFunction`` (with its ``FunctionRole``), for an
image stack its ``FunctionImage`` (ECR repository and image), and ``HttpApi``; ``WorkerStack``
(a ``loadgen-worker`` stack) its ``ResultsBucket``, the worker function and its role;
``compose`` picks the component by the stack's kind; ``stack_from_pulumi``
reads the current stack's settings and builds its archive.
"""

from __future__ import annotations

from stack.aws._api import ACCESS_LOG_FORMAT, HttpApi, HttpApiArgs
from stack.aws._bucket import ModelBucket, ModelBucketArgs
from stack.aws._function import (
    ALIAS_NAME,
    FunctionRole,
    FunctionRoleArgs,
    ModelFunction,
    ModelFunctionArgs,
)
from stack.aws._image import FunctionImage, FunctionImageArgs, repository_name
from stack.aws._policies import (
    function_policy,
    image_pull_policy,
    lambda_assume_role_policy,
    tls_only_bucket_policy,
    worker_policy,
)
from stack.aws._program import provider_args_from_pulumi, stack_from_pulumi
from stack.aws._stack import ModelStack, ModelStackArgs
from stack.aws._workers import (
    ResultsBucket,
    WorkerStack,
    WorkerStackArgs,
    compose,
)

__all__ = [
    "ACCESS_LOG_FORMAT",
    "ALIAS_NAME",
    "FunctionImage",
    "FunctionImageArgs",
    "FunctionRole",
    "FunctionRoleArgs",
    "HttpApi",
    "HttpApiArgs",
    "ModelBucket",
    "ModelBucketArgs",
    "ModelFunction",
    "ModelFunctionArgs",
    "ModelStack",
    "ModelStackArgs",
    "ResultsBucket",
    "WorkerStack",
    "WorkerStackArgs",
    "compose",
    "function_policy",
    "image_pull_policy",
    "lambda_assume_role_policy",
    "provider_args_from_pulumi",
    "repository_name",
    "stack_from_pulumi",
    "tls_only_bucket_policy",
    "worker_policy",
]
