"""WorkerStack: the load generator's worker function and the bucket its results go to.

No API: the controller (``python -m loadgen ... --workers N --worker-stack NAME``) invokes the
function directly with the user's own credentials (``lambda:InvokeFunction``), and reads the
result folders the workers put under ``runs/`` in the bucket.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from contract import WORKER_RUNS_PREFIX
from stack._deployer import ROLE_PATH
from stack._functionpackage import FunctionPackage
from stack._settings import StackSettings
from stack._workerpackage import WorkerPackage
from stack.aws._bucket import private_bucket
from stack.aws._policies import lambda_assume_role_policy, worker_policy
from stack.aws._stack import ModelStack, ModelStackArgs, stack_provider
from stack.package import Package

#: Days after which a run's result folder is deleted from the bucket: the controller copies
#: every folder home at the end of the run, so the bucket holds only what a run left behind.
RESULTS_EXPIRY_DAYS = 14


@dataclass(frozen=True, kw_only=True)
class WorkerStackArgs:
    settings: StackSettings
    package: WorkerPackage
    #: Further ``aws.Provider`` arguments (``provider_args_from_pulumi``).
    provider_args: Mapping[str, object] = field(default_factory=dict)


class ResultsBucket(pulumi.ComponentResource):
    """A private, encrypted, TLS-only bucket whose ``runs/`` objects expire."""

    bucket_name: pulumi.Output[str]
    bucket_arn: pulumi.Output[str]

    def __init__(self, name: str, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("lambda-model-study:stack:ResultsBucket", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        bucket = private_bucket(f"{name}-results", self)
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-results-expiry",
            bucket=bucket.id,
            rules=[
                {
                    "id": "expire-old-runs",
                    "status": "Enabled",
                    "filter": {"prefix": WORKER_RUNS_PREFIX},
                    "expiration": {"days": RESULTS_EXPIRY_DAYS},
                    "abort_incomplete_multipart_upload": {"days_after_initiation": 1},
                }
            ],
            opts=child,
        )
        self.bucket_name = bucket.bucket
        self.bucket_arn = bucket.arn
        self.register_outputs({"bucket_name": self.bucket_name})


#: The output of a model stack that names its HTTP API for IAM (``ModelStack``).
EXECUTION_ARN_OUTPUT = "execution_arn"


def target_execution_arns(
    settings: StackSettings, *, parent: pulumi.Resource
) -> list[pulumi.Output[str]]:
    """The execution ARNs of the APIs the workers may load: each stack of ``invoke_targets``
    read from its deployed state (``<organization>/<project>/<target>``, output
    ``execution_arn``). A target must be deployed first; `pulumi up` stops on one that is not."""
    organization, project = pulumi.get_organization(), pulumi.get_project()
    arns: list[pulumi.Output[str]] = []
    for target in settings.target_stacks:
        reference = pulumi.StackReference(
            f"{settings.name}-target-{target}",
            stack_name=f"{organization}/{project}/{target}",
            opts=pulumi.ResourceOptions(parent=parent),
        )
        arns.append(reference.require_output(EXECUTION_ARN_OUTPUT).apply(str))
    return arns


class WorkerStack(pulumi.ComponentResource):
    """Everything a worker stack deploys: the results bucket, the function, its log group and
    its role (own logs, ``s3:PutObject`` under ``runs/`` of its own bucket, and
    ``execute-api:Invoke`` on the APIs of its ``invoke_targets``, nothing else)."""

    #: The stack outputs: function_name, bucket, region, log_group, memory_mb, timeout_s,
    #: workers_max.
    outputs: dict[str, pulumi.Input[object]]

    def __init__(
        self, name: str, args: WorkerStackArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("lambda-model-study:stack:WorkerStack", name, None, opts)
        settings, package = args.settings, args.package
        provider = stack_provider(name, settings.region, args.provider_args, parent=self)
        child = pulumi.ResourceOptions(parent=self, providers={"aws": provider})
        bucket = ResultsBucket(name, opts=child)
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=settings.log_group_name,
            retention_in_days=settings.log_retention_days,
            opts=child,
        )
        role = aws.iam.Role(
            f"{name}-role",
            # Under the project's path, the only roles the deployer policy may create and pass.
            path=ROLE_PATH,
            assume_role_policy=json.dumps(lambda_assume_role_policy()),
            description="lambda-model-study loadgen worker: own logs, put runs/, invoke targets",
            opts=child,
        )
        targets = target_execution_arns(settings, parent=self)
        document = pulumi.Output.all(log_group.arn, bucket.bucket_arn, *targets).apply(
            lambda arns: json.dumps(
                worker_policy(arns[0], arns[1], WORKER_RUNS_PREFIX, invoke_apis=arns[2:])
            )
        )
        policy = aws.iam.RolePolicy(f"{name}-policy", role=role.id, policy=document, opts=child)
        archive: aws.s3.BucketObjectv2 | None = None
        if package.code_from_s3:
            # Lambda takes at most 50 MB zipped with the request; the deployer uploads a larger
            # archive to the bucket (outside runs/, so it neither expires nor is the role's).
            archive = aws.s3.BucketObjectv2(
                f"{name}-code",
                bucket=bucket.bucket_name,
                key=f"archives/{package.code_zip.name}",
                source=pulumi.FileAsset(str(package.code_zip)),
                content_type="application/zip",
                opts=child,
            )
        function = aws.lambda_.Function(
            f"{name}-function",
            name=settings.function_name,
            role=role.arn,
            runtime=settings.runtime,
            handler=package.handler,
            code=None if archive else pulumi.FileArchive(str(package.code_zip)),
            s3_bucket=bucket.bucket_name if archive else None,
            s3_key=archive.key if archive else None,
            source_code_hash=package.code_sha256_b64,
            memory_size=settings.memory_mb,
            timeout=settings.timeout_s,
            architectures=[settings.architecture],
            environment={"variables": dict(settings.environment)} if settings.environment else None,
            reserved_concurrent_executions=settings.reserved_concurrency,
            logging_config={"log_format": "Text", "log_group": log_group.name},
            # On the stack's provider like every resource here: a parent alone would give the
            # default provider (refused where default providers are disabled; another region).
            opts=pulumi.ResourceOptions.merge(
                child, pulumi.ResourceOptions(depends_on=[log_group, policy])
            ),
        )
        self.outputs = {
            "function_name": function.name,
            "bucket": bucket.bucket_name,
            "region": settings.region,
            "log_group": log_group.name,
            "memory_mb": settings.memory_mb,
            "timeout_s": settings.timeout_s,
            "workers_max": settings.workers_max,
        }
        self.register_outputs(self.outputs)


def compose(
    settings: StackSettings,
    package: Package | WorkerPackage | FunctionPackage,
    provider_args: Mapping[str, object],
) -> dict[str, pulumi.Input[object]]:
    """The stack's component, by its kind (a model, worker or function stack), and its
    outputs."""
    if isinstance(package, FunctionPackage):
        from stack.aws._functionstack import FunctionStack, FunctionStackArgs

        function = FunctionStack(
            settings.name,
            FunctionStackArgs(settings=settings, package=package, provider_args=provider_args),
        )
        return function.outputs
    if isinstance(package, WorkerPackage):
        workers = WorkerStack(
            settings.name,
            WorkerStackArgs(settings=settings, package=package, provider_args=provider_args),
        )
        return workers.outputs
    model = ModelStack(
        settings.name,
        ModelStackArgs(settings=settings, package=package, provider_args=provider_args),
    )
    return model.outputs
