"""The loadgen-worker stack under Pulumi's mocks: what ``pulumi up`` declares for it (the
worker function, its role, its results bucket, its grants on the target stacks' APIs)."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

import stack.aws._program
from stack import PROJECT, load_stack
from stack._workerpackage import build_worker_package
from stack.aws import lambda_assume_role_policy, tls_only_bucket_policy
from stack.aws._workers import RESULTS_EXPIRY_DAYS

from ..support.paths import REPO
from ..support.pulumi_harness import (
    ACCOUNT,
    ORGANIZATION,
    Run,
    execution_arn,
    pulumi_config,
    run_program,
)
from ..support.stacks import WORKER_STACK, worker_root

# pulumi_aws's s3 module warns, on import, about its own deprecated BucketV2 classes.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:pulumi_aws")

T_FUNCTION = "aws:lambda/function:Function"
STUDY_STACKS = ("python-256", "python-512", "python-1024", "java-256", "java-512", "java-1024")


def test_the_worker_stack_file_names_the_study_stacks_as_targets() -> None:
    assert load_stack(WORKER_STACK).target_stacks == STUDY_STACKS


@pytest.fixture(scope="module")
def worker_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    root = worker_root(tmp_path_factory.mktemp("workers"))
    build = functools.partial(build_worker_package, root=root)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(stack.aws._program, "build_worker_package", build)
        yield run_program(WORKER_STACK, pulumi_config(REPO / f"Pulumi.{WORKER_STACK}.yaml"))


def test_the_worker_stack_deploys_no_api_and_one_bucket(worker_run: Run) -> None:
    inventory = worker_run.inventory()
    assert not [kind for kind in inventory if kind.startswith("aws:apigateway")]
    assert inventory["aws:s3/bucket:Bucket"] == 1
    assert inventory[T_FUNCTION] == 1 and inventory["aws:iam/rolePolicy:RolePolicy"] == 1
    assert "aws:lambda/permission:Permission" not in inventory


def test_the_worker_function_runs_the_load_generator(worker_run: Run) -> None:
    settings = load_stack(WORKER_STACK)
    function = worker_run.one(T_FUNCTION)
    assert function.inputs["handler"] == "loadgen.workers._handler.handler"
    assert function.inputs["timeout"] == 900
    assert function.inputs["memorySize"] == settings.memory_mb == 1769
    assert function.inputs["runtime"] == "python3.12"
    assert function.inputs["architectures"] == ["x86_64"]
    assert function.inputs["name"] == f"{PROJECT}-{WORKER_STACK}"
    log_group = worker_run.one("aws:cloudwatch/logGroup:LogGroup")
    assert log_group.inputs["name"] == f"/aws/lambda/{PROJECT}-{WORKER_STACK}"
    assert log_group.inputs["retentionInDays"] == 14
    assert function.inputs["loggingConfig"]["logGroup"] == log_group.inputs["name"]


def test_the_worker_role_may_only_put_its_runs_and_write_its_logs(worker_run: Run) -> None:
    bucket = worker_run.one("aws:s3/bucket:Bucket").outputs["bucket"]
    log_group = (f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:"
                 f"/aws/lambda/{PROJECT}-{WORKER_STACK}")  # fmt: skip
    role = worker_run.one("aws:iam/role:Role")
    assert json.loads(role.inputs["assumeRolePolicy"]) == lambda_assume_role_policy()
    inline = worker_run.one("aws:iam/rolePolicy:RolePolicy")
    assert inline.inputs["role"] == role.outputs["name"]
    assert json.loads(inline.inputs["policy"]) == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "WriteOwnLogs",
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": f"{log_group}:*",
            },
            {
                "Sid": "WriteResultFolders",
                "Effect": "Allow",
                "Action": ["s3:PutObject"],
                "Resource": f"arn:aws:s3:::{bucket}/runs/*",
            },
            {
                "Sid": "LoadTheTargetApis",
                "Effect": "Allow",
                "Action": "execute-api:Invoke",
                "Resource": sorted(f"{execution_arn(t)}/*" for t in STUDY_STACKS),
            },
        ],
    }
    # Nothing else grants the role anything: no attachments, no other policies.
    assert not worker_run.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    assert not worker_run.of_type("aws:iam/policy:Policy")


def test_the_results_bucket_is_private_encrypted_tls_only_and_expires_runs(
    worker_run: Run,
) -> None:
    bucket = worker_run.one("aws:s3/bucket:Bucket")
    name, arn = bucket.outputs["bucket"], bucket.outputs["arn"]
    block = worker_run.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
    assert block.inputs["bucket"] == name
    assert all(
        block.inputs[key]
        for key in (
            "blockPublicAcls",
            "blockPublicPolicy",
            "ignorePublicAcls",
            "restrictPublicBuckets",
        )
    )
    encryption = worker_run.one(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    )
    rule = encryption.inputs["rules"][0]["applyServerSideEncryptionByDefault"]
    assert rule["sseAlgorithm"] == "AES256"
    policy = json.loads(worker_run.one("aws:s3/bucketPolicy:BucketPolicy").inputs["policy"])
    assert policy == tls_only_bucket_policy(arn)
    lifecycle = worker_run.one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")
    (expiry,) = lifecycle.inputs["rules"]
    assert expiry["status"] == "Enabled" and expiry["filter"]["prefix"] == "runs/"
    assert expiry["expiration"]["days"] == RESULTS_EXPIRY_DAYS


def test_the_worker_stack_exports_what_the_controller_reads(worker_run: Run) -> None:
    bucket = worker_run.one("aws:s3/bucket:Bucket").outputs["bucket"]
    assert worker_run.exports == {
        "function_name": f"{PROJECT}-{WORKER_STACK}",
        "bucket": bucket,
        "region": "us-east-1",
        "log_group": f"/aws/lambda/{PROJECT}-{WORKER_STACK}",
        "memory_mb": 1769,
        "timeout_s": 900,
        "workers_max": 100,
    }


def test_the_worker_role_may_invoke_exactly_its_targets_apis(worker_run: Run) -> None:
    # HTTP APIs have no resource policy: a worker's signed request is admitted only if its
    # role may execute-api:Invoke that API. Each target is read from its deployed stack.
    references = worker_run.of_type("pulumi:pulumi:StackReference")
    assert sorted(r.inputs["name"] for r in references) == sorted(
        f"{ORGANIZATION}/{PROJECT}/{target}" for target in STUDY_STACKS
    )
    document = json.loads(worker_run.one("aws:iam/rolePolicy:RolePolicy").inputs["policy"])
    invoke = [s for s in document["Statement"] if "execute-api" in json.dumps(s["Action"])]
    (statement,) = invoke
    assert statement["Action"] == "execute-api:Invoke"
    assert statement["Resource"] == sorted(f"{execution_arn(t)}/*" for t in STUDY_STACKS)
    assert all("*" not in arn.removesuffix("/*") for arn in statement["Resource"])


@pytest.mark.parametrize(
    ("targets", "expected"),
    [("python-512", ("python-512",)), ("python-512, java-256 ,", ("python-512", "java-256")),
     ("", ())],
)  # fmt: skip
def test_the_invoke_grant_follows_the_setting(
    worker_run: Run, tmp_path: Path, targets: str, expected: tuple[str, ...]
) -> None:
    config = pulumi_config(REPO / f"Pulumi.{WORKER_STACK}.yaml")
    config[f"{PROJECT}:invoke_targets"] = targets
    if not targets:
        del config[f"{PROJECT}:invoke_targets"]
    root = worker_root(tmp_path)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(stack.aws._program, "build_worker_package",
                      functools.partial(build_worker_package, root=root))  # fmt: skip
        run = run_program(WORKER_STACK, config)
    document = json.loads(run.one("aws:iam/rolePolicy:RolePolicy").inputs["policy"])
    granted = [s["Resource"] for s in document["Statement"] if s["Sid"] == "LoadTheTargetApis"]
    if expected:
        assert granted == [sorted(f"{execution_arn(t)}/*" for t in expected)]
    else:
        # No targets, no grant at all (never execute-api:Invoke on "*").
        assert granted == [] and "execute-api" not in json.dumps(document)
    assert len(run.of_type("pulumi:pulumi:StackReference")) == len(expected)
