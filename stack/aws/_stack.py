"""ModelStack: one stack of the study, composed of its bucket, function and API."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from stack.aws._api import HttpApi, HttpApiArgs
from stack.aws._bucket import ModelBucket, ModelBucketArgs
from stack.aws._function import ModelFunction, ModelFunctionArgs
from stack.package import Package
from stack.settings import StackSettings, model_key


@dataclass(frozen=True, kw_only=True)
class ModelStackArgs:
    settings: StackSettings
    package: Package


class ModelStack(pulumi.ComponentResource):
    """Everything one stack deploys, in the region its settings name."""

    #: The stack outputs: url, function_name, log_group, model_version, language, memory_mb,
    #: region.
    outputs: dict[str, pulumi.Input[object]]

    def __init__(
        self, name: str, args: ModelStackArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("lambda-model-study:stack:ModelStack", name, None, opts)
        settings, package = args.settings, args.package
        # An explicit provider: the region comes from the settings, not from the environment.
        provider = aws.Provider(
            f"{name}-aws", region=settings.region, opts=pulumi.ResourceOptions(parent=self)
        )
        child = pulumi.ResourceOptions(parent=self, providers={"aws": provider})
        bucket = ModelBucket(
            name,
            ModelBucketArgs(artifact=package.artifact, model_key=model_key(package.model_version)),
            opts=child,
        )
        function = ModelFunction(
            name,
            ModelFunctionArgs(
                settings=settings,
                package=package,
                model_bucket_name=bucket.bucket_name,
                model_key=bucket.model_key,
                model_object_arn=bucket.model_object_arn,
            ),
            opts=child,
        )
        api = HttpApi(
            name,
            HttpApiArgs(
                settings=settings,
                function_name=function.function_name,
                target_arn=function.target_arn,
                qualifier=function.qualifier,
            ),
            opts=child,
        )
        self.outputs = {
            "url": api.url,
            "function_name": function.function_name,
            "log_group": function.log_group_name,
            "model_version": package.model_version,
            "language": settings.language,
            "memory_mb": settings.memory_mb,
            "region": settings.region,
        }
        self.register_outputs(self.outputs)
