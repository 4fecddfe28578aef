"""FunctionRole and ModelFunction: the function, its log group and its least-privilege role."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from contract import model_env, ping_event
from stack._deployer import ROLE_PATH
from stack._limits import PING_RULE_SUFFIX
from stack._settings import StackSettings
from stack.aws._bucket import S3Archive
from stack.aws._image import FunctionImage
from stack.aws._policies import function_policy, lambda_assume_role_policy
from stack.package import Package

#: The alias that provisioned concurrency and SnapStart hang on (and API Gateway invokes).
ALIAS_NAME = "live"


@dataclass(frozen=True, kw_only=True)
class FunctionRoleArgs:
    #: The function's log group (the only one it may write to).
    log_group_arn: pulumi.Input[str]
    #: The artifact's object ARN when the function reads it from S3, else None.
    model_object_arn: pulumi.Input[str] | None = None


class FunctionRole(pulumi.ComponentResource):
    """The role Lambda assumes for the function, with an inline least-privilege policy."""

    role_arn: pulumi.Output[str]
    policy: aws.iam.RolePolicy

    def __init__(
        self, name: str, args: FunctionRoleArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("lambda-model-study:stack:FunctionRole", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        role = aws.iam.Role(
            f"{name}-role",
            # Under the project's path, the only roles the deployer policy may create and pass.
            path=ROLE_PATH,
            assume_role_policy=json.dumps(lambda_assume_role_policy()),
            description="lambda-model-study function role: own logs (and its model) only",
            opts=child,
        )
        document = pulumi.Output.all(args.log_group_arn, args.model_object_arn).apply(
            lambda arns: json.dumps(function_policy(arns[0], arns[1]))
        )
        self.policy = aws.iam.RolePolicy(
            f"{name}-policy", role=role.id, policy=document, opts=child
        )
        self.role_arn = role.arn
        self.register_outputs({"role_arn": self.role_arn})


def logging_config(
    settings: StackSettings, log_group: pulumi.Input[str]
) -> aws.lambda_.FunctionLoggingConfigArgs:
    """The function's LoggingConfig: its log group, and the format its settings name. In JSON,
    Lambda writes platform.report and platform.initReport at the INFO system level: it is set,
    not left to a default, so the report's records are always there."""
    if settings.log_format == "json":
        return aws.lambda_.FunctionLoggingConfigArgs(
            log_format="JSON",
            log_group=log_group,
            system_log_level="INFO",
            application_log_level="INFO",
        )
    return aws.lambda_.FunctionLoggingConfigArgs(log_format="Text", log_group=log_group)


@dataclass(frozen=True, kw_only=True)
class ModelFunctionArgs:
    settings: StackSettings
    package: Package
    #: Where the artifact lives in S3 (read by the function only with the ``s3`` strategy).
    model_bucket_name: pulumi.Input[str]
    model_key: str
    model_object_arn: pulumi.Input[str]
    #: The code archive in S3 when it is too large to upload directly (``Package.code_from_s3``).
    code_object: S3Archive | None = None
    #: The layer archive in S3 when it is too large to upload directly.
    layer_object: S3Archive | None = None
    #: The function's container image, for an image package (``Package.is_image``).
    image: FunctionImage | None = None


class ModelFunction(pulumi.ComponentResource):
    """The Lambda function with its log group, role, optional model layer, optional alias
    ``live`` (provisioned concurrency, SnapStart) and optional ping schedule."""

    function_name: pulumi.Output[str]
    function_arn: pulumi.Output[str]
    #: What callers invoke: the alias ARN when there is one, else the function ARN.
    target_arn: pulumi.Output[str]
    #: The alias name when there is one (Lambda permissions are per qualifier), as the alias's
    #: output, so that a permission on it waits for the alias to exist.
    qualifier: pulumi.Output[str] | None
    log_group_name: pulumi.Output[str]

    def __init__(
        self, name: str, args: ModelFunctionArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("lambda-model-study:stack:ModelFunction", name, None, opts)
        settings, package = args.settings, args.package
        child = pulumi.ResourceOptions(parent=self)

        # Created by the program, not by Lambda on first write, so that it has a retention and
        # is removed by `pulumi destroy`.
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=settings.log_group_name,
            retention_in_days=settings.log_retention_days,
            opts=child,
        )
        reads_s3 = settings.model_strategy == "s3"
        role = FunctionRole(
            name,
            FunctionRoleArgs(
                log_group_arn=log_group.arn,
                model_object_arn=args.model_object_arn if reads_s3 else None,
            ),
            opts=child,
        )

        layers: list[pulumi.Input[str]] = []
        code_s3, layer_s3 = args.code_object, args.layer_object
        if package.layer_zip is not None:
            layer = aws.lambda_.LayerVersion(
                f"{name}-model-layer",
                layer_name=f"{settings.function_name}-model",
                description=f"model {package.model_version} at /opt/model.zip",
                # Uploaded with the request, or, when too large for that, from the bucket.
                code=None if layer_s3 else pulumi.FileArchive(str(package.layer_zip)),
                s3_bucket=layer_s3.bucket if layer_s3 else None,
                s3_key=layer_s3.key if layer_s3 else None,
                s3_object_version=layer_s3.version_id if layer_s3 else None,
                source_code_hash=package.layer_sha256_b64,
                compatible_runtimes=[settings.runtime],
                compatible_architectures=[settings.architecture],
                opts=child,
            )
            layers.append(layer.arn)

        variables: pulumi.Input[dict[str, str]]
        if reads_s3:
            variables = pulumi.Output.from_input(args.model_bucket_name).apply(
                lambda bucket: model_env(settings, package.model_version, bucket, args.model_key)
            )
        else:
            variables = model_env(settings, package.model_version)

        image = args.image
        code: dict[str, Any]
        depends_on: list[pulumi.Resource] = [log_group, role.policy]
        if image is not None:
            # The image holds the runtime, so Lambda takes neither runtime, handler nor layers;
            # the handler is the image's command.
            code = {
                "package_type": "Image",
                "image_uri": image.image_uri,
                "image_config": {"commands": [package.handler]},
            }
            depends_on.append(image.pull_policy)
        else:
            code = {
                "runtime": settings.runtime,
                "handler": package.handler,
                "code": None if code_s3 else pulumi.FileArchive(str(package.code_zip)),
                "s3_bucket": code_s3.bucket if code_s3 else None,
                "s3_key": code_s3.key if code_s3 else None,
                "s3_object_version": code_s3.version_id if code_s3 else None,
                "source_code_hash": package.code_sha256_b64,
            }
        function = aws.lambda_.Function(
            f"{name}-function",
            name=settings.function_name,
            role=role.role_arn,
            memory_size=settings.memory_mb,
            timeout=settings.timeout_s,
            architectures=[settings.architecture],
            **code,
            environment={"variables": variables},
            layers=layers or None,
            publish=settings.needs_alias,
            snap_start=(
                {"apply_on": "PublishedVersions"}
                if settings.cold_start_mitigation == "snapstart"
                else None
            ),
            reserved_concurrent_executions=settings.reserved_concurrency,
            logging_config=logging_config(settings, log_group.name),
            opts=pulumi.ResourceOptions(parent=self, depends_on=depends_on),
        )

        target_arn: pulumi.Output[str] = function.arn
        self.qualifier = None
        if settings.needs_alias:
            alias = aws.lambda_.Alias(
                f"{name}-{ALIAS_NAME}",
                name=ALIAS_NAME,
                function_name=function.name,
                function_version=function.version,
                opts=child,
            )
            target_arn = alias.arn
            self.qualifier = alias.name
            if settings.provisioned_concurrency is not None:
                aws.lambda_.ProvisionedConcurrencyConfig(
                    f"{name}-provisioned",
                    function_name=function.name,
                    qualifier=alias.name,
                    provisioned_concurrent_executions=settings.provisioned_concurrency,
                    opts=child,
                )

        if settings.cold_start_mitigation == "ping":
            minutes = settings.ping_interval_minutes
            unit = "minute" if minutes == 1 else "minutes"
            rule = aws.cloudwatch.EventRule(
                f"{name}-ping",
                name=f"{settings.function_name}{PING_RULE_SUFFIX}",
                description=f"keeps {settings.function_name} warm",
                schedule_expression=f"rate({minutes} {unit})",
                opts=child,
            )
            aws.cloudwatch.EventTarget(
                f"{name}-ping-target",
                rule=rule.name,
                arn=target_arn,
                input=json.dumps(ping_event()),
                opts=child,
            )
            aws.lambda_.Permission(
                f"{name}-ping-permission",
                action="lambda:InvokeFunction",
                function=function.name,
                qualifier=self.qualifier,
                principal="events.amazonaws.com",
                source_arn=rule.arn,
                opts=child,
            )

        self.function_name = function.name
        self.function_arn = function.arn
        self.target_arn = target_arn
        self.log_group_name = log_group.name
        self.register_outputs(
            {
                "function_name": self.function_name,
                "target_arn": self.target_arn,
                "log_group_name": self.log_group_name,
            }
        )
