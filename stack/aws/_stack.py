"""ModelStack: one stack of the study, composed of its bucket, function and API."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from stack._modelsettings import model_key
from stack._settings import StackSettings
from stack.aws._api import HttpApi, HttpApiArgs
from stack.aws._bucket import ModelBucket, ModelBucketArgs
from stack.aws._function import ModelFunction, ModelFunctionArgs
from stack.aws._image import FunctionImage, FunctionImageArgs
from stack.package import Package


@dataclass(frozen=True, kw_only=True)
class ModelStackArgs:
    settings: StackSettings
    package: Package
    #: Further ``aws.Provider`` arguments (``provider_args_from_pulumi``: the stack's ``aws:*``
    #: config, e.g. ``profile``, ``assume_roles``, ``allowed_account_ids``, ``default_tags``).
    provider_args: Mapping[str, object] = field(default_factory=dict)


def stack_provider(
    name: str, region: str, provider_args: Mapping[str, object], *, parent: pulumi.Resource
) -> aws.Provider:
    """The stack's own AWS provider. Explicit, so no resource falls back on whatever the
    environment holds: the region from the settings, every other aws:* key as configured."""
    provider: aws.Provider = aws.Provider(
        f"{name}-aws",
        region=region,
        **provider_args,  # type: ignore[call-overload]
        opts=pulumi.ResourceOptions(parent=parent),
    )
    return provider


class ModelStack(pulumi.ComponentResource):
    """Everything one stack deploys, in the region its settings name."""

    #: The stack outputs: url, function_name, log_group, access_log_group, model_version,
    #: language, memory_mb, region, and what it admits (``api_throttle_rate``,
    #: ``api_throttle_burst``, ``reserved_concurrency``, ``provisioned_concurrency``: the load
    #: generator refuses plans past them), as the emulator's endpoints.json states them too;
    #: execution_arn.
    outputs: dict[str, pulumi.Input[object]]

    def __init__(
        self, name: str, args: ModelStackArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("lambda-model-study:stack:ModelStack", name, None, opts)
        settings, package = args.settings, args.package
        provider = stack_provider(name, settings.region, args.provider_args, parent=self)
        child = pulumi.ResourceOptions(parent=self, providers={"aws": provider})
        bucket = ModelBucket(
            name,
            ModelBucketArgs(artifact=package.artifact, model_key=model_key(package.model_version)),
            opts=child,
        )
        # Lambda takes at most 50 MB zipped with the request; larger archives go through S3.
        code_object = (
            bucket.upload_archive(f"{name}-code", package.code_zip)
            if package.code_from_s3
            else None
        )
        image = (
            FunctionImage(name, FunctionImageArgs(settings=settings, package=package), opts=child)
            if package.is_image
            else None
        )
        layer_object = None
        if package.layer_zip is not None and package.layer_from_s3:
            layer_object = bucket.upload_archive(f"{name}-layer-archive", package.layer_zip)
        function = ModelFunction(
            name,
            ModelFunctionArgs(
                settings=settings,
                package=package,
                model_bucket_name=bucket.bucket_name,
                model_key=bucket.model_key,
                model_object_arn=bucket.model_object_arn,
                code_object=code_object,
                layer_object=layer_object,
                image=image,
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
            "access_log_group": api.access_log_group,
            "model_version": package.model_version,
            "language": settings.language,
            "memory_mb": settings.memory_mb,
            "region": settings.region,
            "api_throttle_rate": settings.api_throttle_rate,
            "api_throttle_burst": settings.api_throttle_burst,
            "reserved_concurrency": settings.reserved_concurrency,
            "provisioned_concurrency": (
                settings.provisioned_concurrency
                if settings.cold_start_mitigation == "provisioned"
                else None
            ),
        }
        # What a worker stack's role is granted execute-api:Invoke on (stack reference).
        self.outputs["execution_arn"] = api.execution_arn
        self.register_outputs(self.outputs)
