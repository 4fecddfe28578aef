"""FunctionStack: a team's own function (a ``function`` stack) behind an HTTP API.

The same parts as a model stack, without the model: the function (its zip with its wheels, or
its image from its own Dockerfile), its log group and least-privilege role, its layers, an alias
``live`` for provisioned concurrency or SnapStart, and the HTTP API with the stack's routes
(``$default`` by default), IAM-authorised unless the stack says ``authorization: none``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from stack._functionpackage import FunctionPackage
from stack._settings import StackSettings
from stack.aws._api import HttpApi, HttpApiArgs
from stack.aws._function import ALIAS_NAME, FunctionRole, FunctionRoleArgs
from stack.aws._image import FunctionImage, FunctionImageArgs
from stack.aws._stack import stack_provider

__all__ = ["FunctionStack", "FunctionStackArgs"]


@dataclass(frozen=True, kw_only=True)
class FunctionStackArgs:
    settings: StackSettings
    package: FunctionPackage
    #: Further ``aws.Provider`` arguments, as a model stack takes them.
    provider_args: Mapping[str, object] = field(default_factory=dict)


class FunctionStack(pulumi.ComponentResource):
    """Everything a function stack deploys, in the region its settings name."""

    #: The stack outputs: url, function_name, log_group, access_log_group, language, memory_mb,
    #: region.
    outputs: dict[str, pulumi.Input[object]]

    def __init__(
        self, name: str, args: FunctionStackArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("lambda-model-study:stack:FunctionStack", name, None, opts)
        settings, package = args.settings, args.package
        provider = stack_provider(name, settings.region, args.provider_args, parent=self)
        child = pulumi.ResourceOptions(parent=self, providers={"aws": provider})
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=settings.log_group_name,
            retention_in_days=settings.log_retention_days,
            opts=child,
        )
        role = FunctionRole(name, FunctionRoleArgs(log_group_arn=log_group.arn), opts=child)
        depends_on: list[pulumi.Resource] = [log_group, role.policy]
        code: dict[str, Any]
        if package.is_image:
            image = FunctionImage(
                name, FunctionImageArgs(settings=settings, package=package), opts=child
            )
            depends_on.append(image.pull_policy)
            code = {
                "package_type": "Image",
                "image_uri": image.image_uri,
                "image_config": {"commands": [package.handler]},
            }
        else:
            code = {
                "runtime": settings.runtime,
                "handler": package.handler,
                "source_code_hash": package.code_sha256_b64,
            }
            if package.code_from_s3:
                # Over 50 MB zipped: Lambda takes the zip from S3 only (same region).
                bucket = aws.s3.Bucket(f"{name}-code", force_destroy=True, opts=child)
                archive = aws.s3.BucketObjectv2(
                    f"{name}-code-archive",
                    bucket=bucket.id,
                    key=f"archives/{package.code_zip.name}",
                    source=pulumi.FileAsset(str(package.code_zip)),
                    opts=child,
                )
                code.update(s3_bucket=bucket.id, s3_key=archive.key)
            else:
                code["code"] = pulumi.FileArchive(str(package.code_zip))
        layers = [
            aws.lambda_.LayerVersion(
                f"{name}-layer-{index}",
                layer_name=f"{settings.function_name}-{index}",
                code=pulumi.FileArchive(str(layer)),
                compatible_runtimes=[settings.runtime],
                compatible_architectures=[settings.architecture],
                opts=child,
            ).arn
            for index, layer in enumerate(package.layer_zips)
        ]
        function = aws.lambda_.Function(
            f"{name}-function",
            name=settings.function_name,
            role=role.role_arn,
            memory_size=settings.memory_mb,
            timeout=settings.timeout_s,
            architectures=[settings.architecture],
            **code,
            environment={"variables": dict(settings.environment)} if settings.environment else None,
            layers=layers or None,
            publish=settings.needs_alias,
            snap_start=(
                {"apply_on": "PublishedVersions"}
                if settings.cold_start_mitigation == "snapstart"
                else None
            ),
            reserved_concurrent_executions=settings.reserved_concurrency,
            logging_config={"log_format": "Text", "log_group": log_group.name},
            opts=pulumi.ResourceOptions(
                parent=self, providers={"aws": provider}, depends_on=depends_on
            ),
        )
        target_arn: pulumi.Output[str] = function.arn
        qualifier: pulumi.Output[str] | None = None
        if settings.needs_alias:
            alias = aws.lambda_.Alias(
                f"{name}-{ALIAS_NAME}",
                name=ALIAS_NAME,
                function_name=function.name,
                function_version=function.version,
                opts=child,
            )
            target_arn, qualifier = alias.arn, alias.name
            if settings.provisioned_concurrency is not None:
                aws.lambda_.ProvisionedConcurrencyConfig(
                    f"{name}-provisioned",
                    function_name=function.name,
                    qualifier=alias.name,
                    provisioned_concurrent_executions=settings.provisioned_concurrency,
                    opts=child,
                )
        api = HttpApi(
            name,
            HttpApiArgs(
                settings=settings,
                function_name=function.name,
                target_arn=target_arn,
                qualifier=qualifier,
                route_keys=settings.route_keys,
            ),
            opts=child,
        )
        self.outputs = {
            "url": api.url,
            "function_name": function.name,
            "log_group": log_group.name,
            "access_log_group": api.access_log_group,
            "language": settings.language,
            "memory_mb": settings.memory_mb,
            "region": settings.region,
        }
        self.register_outputs(self.outputs)
