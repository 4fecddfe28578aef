"""The Pulumi program under mocks: for every committed stack file, what ``pulumi up`` would
declare. Each stack gets a fresh run of ``__main__.py`` (see tests/support/pulumi_harness.py);
the archives are built from stand-in runtimes (the real ones are packaged in
test_package_real.py).
"""

from __future__ import annotations

import asyncio
import functools
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pulumi
import pytest
from pulumi.runtime import rpc

import stack._deployable
import stack.aws
import stack.aws._program
from contract import DIRECT_UPLOAD_BYTES_MAX, ping_event
from model import model_version
from stack import PROJECT, Package, StackSettings, build_package, list_stacks, load_stack, model_env
from stack.aws import (
    ACCESS_LOG_FORMAT,
    function_policy,
    lambda_assume_role_policy,
    tls_only_bucket_policy,
)
from stack.aws._bucket import NONCURRENT_VERSION_DAYS

from ..support.paths import REPO
from ..support.pulumi_harness import (
    ACCOUNT,
    API_ID,
    ECR_PASSWORD,
    IMAGE_DIGEST,
    INTEGRATION_ID,
    Run,
    pulumi_config,
    run_program,
)
from ..support.stacks import (
    make_fake_root,
    minimal_model,
    seed_dependencies,
    study_model,
    write_artifact,
    write_exports,
)

# pulumi_aws's s3 module warns, on import, about its own deprecated BucketV2 classes, which
# this program does not use (it declares aws.s3.Bucket and the non-V2 configurations).
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:pulumi_aws")

STACKS = list_stacks()

T_FUNCTION = "aws:lambda/function:Function"
T_LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
T_PERMISSION = "aws:lambda/permission:Permission"
T_REPOSITORY = "aws:ecr/repository:Repository"
T_IMAGE = "docker-build:index:Image"


class Program:
    """Runs the program once per stack (cached for the module) with archives built from
    stand-in runtimes and a test artifact."""

    def __init__(self, root: Path, artifact: Path, out_dir: Path) -> None:
        self.build = functools.partial(build_package, artifact=artifact, root=root, out_dir=out_dir)
        self.artifact = artifact
        self.runs: dict[str, Run] = {}

    def run(self, name: str, config: dict[str, str] | None = None, into: Run | None = None) -> Run:
        if config is not None:
            return run_program(name, config, run=into)
        if name not in self.runs:
            self.runs[name] = run_program(name, pulumi_config(REPO / f"Pulumi.{name}.yaml"))
        return self.runs[name]


@pytest.fixture(scope="module")
def program(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Program]:
    base = tmp_path_factory.mktemp("program")
    root = make_fake_root(base / "repo")
    artifact = write_artifact(base / "model.zip", study_model())
    write_exports(artifact)
    for name in STACKS:
        settings = load_stack(name)
        if settings.model_runtime in ("litert", "onnx"):
            seed_dependencies(root, settings)
    harness = Program(root, artifact, base / "packages")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(stack.aws._program, "build_package", harness.build)
        yield harness


def expected(program: Program, name: str) -> tuple[StackSettings, Package]:
    settings = load_stack(name)
    return settings, program.build(settings)


def policy_of(resource_input: str) -> dict[str, Any]:
    document = json.loads(resource_input)
    assert isinstance(document, dict)
    return document


def test_public_surface_is_sorted() -> None:
    assert stack.aws.__all__ == sorted(stack.aws.__all__)
    assert all(hasattr(stack.aws, name) for name in stack.aws.__all__)


@pytest.mark.parametrize("name", STACKS)
def test_resource_inventory(program: Program, name: str) -> None:
    settings = load_stack(name)
    inventory = {
        "aws:apigatewayv2/api:Api": 1,
        "aws:apigatewayv2/integration:Integration": 1,
        "aws:apigatewayv2/route:Route": 2,
        "aws:apigatewayv2/stage:Stage": 1,
        T_LOG_GROUP: 2,
        "aws:iam/role:Role": 1,
        "aws:iam/rolePolicy:RolePolicy": 1,
        T_FUNCTION: 1,
        T_PERMISSION: 1,
        "aws:s3/bucket:Bucket": 1,
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": 1,
        "aws:s3/bucketObjectv2:BucketObjectv2": 1,
        "aws:s3/bucketPolicy:BucketPolicy": 1,
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": 1,
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": 1,
        "aws:s3/bucketVersioning:BucketVersioning": 1,
        "lambda-model-study:stack:FunctionRole": 1,
        "lambda-model-study:stack:HttpApi": 1,
        "lambda-model-study:stack:ModelBucket": 1,
        "lambda-model-study:stack:ModelFunction": 1,
        "lambda-model-study:stack:ModelStack": 1,
        "pulumi:providers:aws": 1,
    }
    if settings.model_strategy == "layer":
        inventory["aws:lambda/layerVersion:LayerVersion"] = 1
    if settings.cold_start_mitigation in ("provisioned", "snapstart"):
        inventory["aws:lambda/alias:Alias"] = 1
    if settings.cold_start_mitigation == "provisioned":
        inventory["aws:lambda/provisionedConcurrencyConfig:ProvisionedConcurrencyConfig"] = 1
    if settings.cold_start_mitigation == "ping":
        inventory["aws:cloudwatch/eventRule:EventRule"] = 1
        inventory["aws:cloudwatch/eventTarget:EventTarget"] = 1
        inventory[T_PERMISSION] = 2
    if settings.model_runtime == "tensorflow":
        inventory[T_REPOSITORY] = 1
        inventory["aws:ecr/repositoryPolicy:RepositoryPolicy"] = 1
        inventory["aws:ecr/lifecyclePolicy:LifecyclePolicy"] = 1
        inventory[T_IMAGE] = 1
        inventory["lambda-model-study:stack:FunctionImage"] = 1
    assert program.run(name).inventory() == dict(sorted(inventory.items()))


@pytest.mark.parametrize("name", STACKS)
def test_components_nest_under_the_stack(program: Program, name: str) -> None:
    run = program.run(name)
    top = run.one("lambda-model-study:stack:ModelStack")
    provider = run.one("pulumi:providers:aws")
    assert provider.inputs["region"] == load_stack(name).region
    for resource in run.resources:
        if resource is top:
            continue
        assert resource.parent, f"{resource.name} has no parent"
        if resource.type.startswith("aws:"):
            # Every AWS resource uses the stack's explicit provider (its region), via parents.
            assert resource.provider.startswith(provider.urn), resource.name
    assert {r.parent for r in run.of_type("lambda-model-study:stack:ModelBucket")} == {top.urn}


@pytest.mark.parametrize("name", STACKS)
def test_function_settings(program: Program, name: str) -> None:
    settings, package = expected(program, name)
    run = program.run(name)
    function = run.one(T_FUNCTION).inputs
    assert function["name"] == f"{PROJECT}-{name}"
    assert function["memorySize"] == settings.memory_mb
    assert function["timeout"] == settings.timeout_s
    assert function["architectures"] == [settings.architecture]
    if package.is_image:
        # An image function: the image holds runtime and code, its command is the handler.
        assert function["packageType"] == "Image"
        # Pinned by digest alone: Lambda refuses docker-build's ref (repo:tag@sha256:...).
        image = run.one(T_IMAGE)
        repository_url = run.one(T_REPOSITORY).outputs["repositoryUrl"]
        assert image.outputs["ref"] == f"{image.inputs['tags'][0]}@{IMAGE_DIGEST}"
        assert function["imageUri"] == f"{repository_url}@{IMAGE_DIGEST}"
        assert function["imageUri"].count(":") == 1 and "@sha256:" in function["imageUri"]
        assert function["imageConfig"] == {"commands": [settings.handler]}
        assert not {"runtime", "handler", "code", "s3Key", "layers", "sourceCodeHash"} & set(
            function
        )
    else:
        assert function.get("packageType", "Zip") == "Zip"
        assert function["runtime"] == settings.runtime
        assert function["handler"] == settings.handler == package.handler
        assert function["sourceCodeHash"] == package.code_sha256_b64
        code = function["code"]
        assert isinstance(code, pulumi.FileArchive) and Path(code.path) == package.code_zip
    role = run.one("aws:iam/role:Role")
    assert function["role"] == role.outputs["arn"]
    assert function.get("reservedConcurrentExecutions") == settings.reserved_concurrency
    assert function["loggingConfig"] == {
        "logFormat": "Text",
        "logGroup": f"/aws/lambda/{PROJECT}-{name}",
    }


@pytest.mark.parametrize("name", STACKS)
def test_function_environment(program: Program, name: str) -> None:
    settings, package = expected(program, name)
    run = program.run(name)
    variables = run.one(T_FUNCTION).inputs["environment"]["variables"]
    bucket = run.one("aws:s3/bucket:Bucket").outputs["bucket"]
    key = f"models/{package.model_version}/model.zip"
    assert variables == model_env(settings, package.model_version, bucket, key)
    assert variables["MODEL_VERSION"] == study_model()["model_version"]
    if settings.model_strategy == "bundled":
        assert variables["MODEL_PATH"] == "/var/task/model.zip"
    elif settings.model_strategy == "layer":
        assert variables["MODEL_PATH"] == "/opt/model.zip"
    else:
        assert (variables["MODEL_BUCKET"], variables["MODEL_KEY"]) == (bucket, key)
        assert "MODEL_PATH" not in variables


@pytest.mark.parametrize("name", STACKS)
def test_layer_only_for_the_layer_strategy(program: Program, name: str) -> None:
    settings, package = expected(program, name)
    run = program.run(name)
    function = run.one(T_FUNCTION).inputs
    layers = run.of_type("aws:lambda/layerVersion:LayerVersion")
    if settings.model_strategy != "layer":
        assert not layers and "layers" not in function
        return
    (layer,) = layers
    assert function["layers"] == [layer.outputs["arn"]]
    assert layer.inputs["sourceCodeHash"] == package.layer_sha256_b64
    assert Path(layer.inputs["code"].path) == package.layer_zip
    assert layer.inputs["compatibleRuntimes"] == [settings.runtime]
    assert layer.inputs["compatibleArchitectures"] == [settings.architecture]


def _actions_and_resources(document: dict[str, Any]) -> Iterator[tuple[str, str]]:
    for statement in document["Statement"]:
        actions = statement["Action"]
        resources = statement["Resource"]
        for action in [actions] if isinstance(actions, str) else actions:
            for resource in [resources] if isinstance(resources, str) else resources:
                yield action, resource


@pytest.mark.parametrize("name", STACKS)
def test_iam_is_least_privilege(program: Program, name: str) -> None:
    settings, package = expected(program, name)
    run = program.run(name)
    role = run.one("aws:iam/role:Role")
    assert policy_of(role.inputs["assumeRolePolicy"]) == {
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
    assert policy_of(role.inputs["assumeRolePolicy"]) == lambda_assume_role_policy()
    inline = run.one("aws:iam/rolePolicy:RolePolicy")
    assert inline.inputs["role"] == role.outputs["name"]
    log_group = f"arn:aws:logs:{settings.region}:{ACCOUNT}:log-group:/aws/lambda/{PROJECT}-{name}"
    statements: list[dict[str, Any]] = [
        {
            "Sid": "WriteOwnLogs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": f"{log_group}:*",
        }
    ]
    if settings.model_strategy == "s3":
        bucket = run.one("aws:s3/bucket:Bucket").outputs["bucket"]
        statements.append(
            {
                "Sid": "ReadTheModel",
                "Effect": "Allow",
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{bucket}/models/{package.model_version}/model.zip",
            }
        )
    document = policy_of(inline.inputs["policy"])
    assert document == {"Version": "2012-10-17", "Statement": statements}
    for action, resource in _actions_and_resources(document):
        assert "*" not in action
        assert resource != "*" and not resource.endswith(":*:*")
    assert all(s["Effect"] == "Allow" for s in document["Statement"])


def test_policy_builders_never_widen() -> None:
    arn = "arn:aws:logs:eu-west-1:1:log-group:/aws/lambda/f"
    # The provider may report the ARN with or without ":*"; the grant is the same.
    assert function_policy(arn, None) == function_policy(f"{arn}:*", None)
    assert len(function_policy(arn, None)["Statement"]) == 1


@pytest.mark.parametrize("name", STACKS)
def test_bucket_is_private_encrypted_versioned_and_tls_only(program: Program, name: str) -> None:
    _, package = expected(program, name)
    run = program.run(name)
    bucket = run.one("aws:s3/bucket:Bucket")
    bucket_name, bucket_arn = bucket.outputs["bucket"], bucket.outputs["arn"]
    block = run.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").inputs
    assert block == {
        "bucket": bucket_name,
        "blockPublicAcls": True,
        "blockPublicPolicy": True,
        "ignorePublicAcls": True,
        "restrictPublicBuckets": True,
    }
    encryption = run.one(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    ).inputs
    assert encryption["bucket"] == bucket_name
    assert encryption["rules"] == [
        {"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}
    ]
    versioning = run.one("aws:s3/bucketVersioning:BucketVersioning").inputs
    assert versioning == {"bucket": bucket_name, "versioningConfiguration": {"status": "Enabled"}}
    policy = run.one("aws:s3/bucketPolicy:BucketPolicy")
    assert policy.inputs["bucket"] == bucket_name
    assert policy_of(policy.inputs["policy"]) == {
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
    assert policy_of(policy.inputs["policy"]) == tls_only_bucket_policy(bucket_arn)
    # The policy waits for the public-access block (S3 rejects the two racing).
    assert run.named(f"{name}-models-private").urn in policy.dependencies
    model = run.one("aws:s3/bucketObjectv2:BucketObjectv2").inputs
    assert model["bucket"] == bucket_name
    assert model["key"] == f"models/{package.model_version}/model.zip"
    assert Path(model["source"].path) == program.artifact.resolve()


@pytest.mark.parametrize("name", STACKS)
def test_log_groups_have_retention_and_precede_the_function(program: Program, name: str) -> None:
    settings = load_stack(name)
    run = program.run(name)
    function_logs = run.named(f"{name}-logs")
    api_logs = run.named(f"{name}-api-logs")
    assert function_logs.inputs == {
        "name": f"/aws/lambda/{PROJECT}-{name}",
        "retentionInDays": settings.log_retention_days,
    }
    # Under /aws/vendedlogs/: the group does not grow the account-wide CloudWatch Logs resource
    # policy (5,120 characters shared by every access-log group of the account).
    assert api_logs.inputs == {
        "name": f"/aws/vendedlogs/apigateway/{PROJECT}-{name}",
        "retentionInDays": settings.log_retention_days,
    }
    function = run.one(T_FUNCTION)
    assert function_logs.urn in function.dependencies
    assert run.one("aws:iam/rolePolicy:RolePolicy").urn in function.dependencies
    assert run.resources.index(function_logs) < run.resources.index(function)


@pytest.mark.parametrize("name", STACKS)
def test_http_api_routes_integration_and_stage(program: Program, name: str) -> None:
    settings = load_stack(name)
    run = program.run(name)
    api = run.one("aws:apigatewayv2/api:Api")
    assert api.inputs["protocolType"] == "HTTP"
    integration = run.one("aws:apigatewayv2/integration:Integration")
    function_arn = run.one(T_FUNCTION).outputs["arn"]
    target = f"{function_arn}:live" if settings.needs_alias else function_arn
    assert integration.inputs == {
        "apiId": API_ID,
        "integrationType": "AWS_PROXY",
        "integrationMethod": "POST",
        "integrationUri": target,
        "payloadFormatVersion": "2.0",
        "timeoutMilliseconds": min(settings.timeout_s, 30) * 1000,
    }
    routes = {r.inputs["routeKey"]: r.inputs for r in run.of_type("aws:apigatewayv2/route:Route")}
    assert set(routes) == {"POST /predict", "GET /health"}
    for route in routes.values():
        assert route["target"] == f"integrations/{INTEGRATION_ID}"
        assert route["apiId"] == API_ID
        # Closed to strangers by default: only SigV4-signed requests of allowed principals.
        assert route["authorizationType"] == "AWS_IAM"
    stage = run.one("aws:apigatewayv2/stage:Stage").inputs
    assert stage["name"] == "$default" and stage["autoDeploy"] is True
    assert stage["defaultRouteSettings"] == {
        "throttlingBurstLimit": settings.api_throttle_burst,
        "throttlingRateLimit": settings.api_throttle_rate,
    }
    access = stage["accessLogSettings"]
    assert access["destinationArn"] == run.named(f"{name}-api-logs").outputs["arn"]
    assert json.loads(access["format"]) == ACCESS_LOG_FORMAT
    assert ACCESS_LOG_FORMAT["requestId"] == "$context.requestId"


@pytest.mark.parametrize("name", STACKS)
def test_api_may_invoke_only_through_this_api(program: Program, name: str) -> None:
    settings = load_stack(name)
    run = program.run(name)
    (permission,) = [p for p in run.of_type(T_PERMISSION) if p.name == f"{name}-api-permission"]
    api = run.one("aws:apigatewayv2/api:Api")
    expected_inputs = {
        "action": "lambda:InvokeFunction",
        "function": f"{PROJECT}-{name}",
        "principal": "apigateway.amazonaws.com",
        "sourceArn": f"{api.outputs['executionArn']}/*/*",
    }
    if settings.needs_alias:
        expected_inputs["qualifier"] = "live"
        # The qualifier is the alias's output: the permission is created after the alias.
        assert run.one("aws:lambda/alias:Alias").urn in permission.dependencies
    assert permission.inputs == expected_inputs
    assert permission.inputs["sourceArn"].startswith(
        f"arn:aws:execute-api:{settings.region}:{ACCOUNT}:{API_ID}/"
    )


@pytest.mark.parametrize("name", STACKS)
def test_cold_start_mitigations(program: Program, name: str) -> None:
    settings = load_stack(name)
    run = program.run(name)
    function = run.one(T_FUNCTION)
    mitigation = settings.cold_start_mitigation
    assert function.inputs["publish"] is (mitigation in ("provisioned", "snapstart"))
    if mitigation == "snapstart":
        assert function.inputs["snapStart"] == {"applyOn": "PublishedVersions"}
    else:
        assert "snapStart" not in function.inputs
    aliases = run.of_type("aws:lambda/alias:Alias")
    if settings.needs_alias:
        (alias,) = aliases
        assert alias.inputs == {
            "name": "live",
            "functionName": function.outputs["name"],
            "functionVersion": "1",
        }
    else:
        assert not aliases
    provisioned = run.of_type(
        "aws:lambda/provisionedConcurrencyConfig:ProvisionedConcurrencyConfig"
    )
    if mitigation == "provisioned":
        assert [p.inputs for p in provisioned] == [
            {
                "functionName": function.outputs["name"],
                "qualifier": "live",
                "provisionedConcurrentExecutions": settings.provisioned_concurrency,
            }
        ]
    else:
        assert not provisioned
    rules = run.of_type("aws:cloudwatch/eventRule:EventRule")
    if mitigation != "ping":
        assert not rules and not run.of_type("aws:cloudwatch/eventTarget:EventTarget")
        return
    (rule,) = rules
    assert rule.inputs["scheduleExpression"] == f"rate({settings.ping_interval_minutes} minutes)"
    target = run.one("aws:cloudwatch/eventTarget:EventTarget").inputs
    assert target["rule"] == rule.outputs["name"]
    assert target["arn"] == function.outputs["arn"]
    assert json.loads(target["input"]) == ping_event()
    (permission,) = [p for p in run.of_type(T_PERMISSION) if p.name == f"{name}-ping-permission"]
    assert permission.inputs == {
        "action": "lambda:InvokeFunction",
        "function": function.outputs["name"],
        "principal": "events.amazonaws.com",
        "sourceArn": rule.outputs["arn"],
    }


@pytest.mark.parametrize("name", STACKS)
def test_outputs(program: Program, name: str) -> None:
    settings, package = expected(program, name)
    assert program.run(name).exports == {
        "url": f"https://{API_ID}.execute-api.{settings.region}.amazonaws.com",
        "function_name": f"{PROJECT}-{name}",
        "log_group": f"/aws/lambda/{PROJECT}-{name}",
        # The API stage's access log: `report logs` joins through it (apigw id → Lambda id).
        "access_log_group": f"/aws/vendedlogs/apigateway/{PROJECT}-{name}",
        "model_version": package.model_version,
        "language": settings.language,
        "memory_mb": settings.memory_mb,
        "region": settings.region,
        "execution_arn": f"arn:aws:execute-api:{settings.region}:{ACCOUNT}:{API_ID}",
        # What the stack admits, which the load generator checks a plan against.
        "api_throttle_rate": settings.api_throttle_rate,
        "api_throttle_burst": settings.api_throttle_burst,
        "reserved_concurrency": settings.reserved_concurrency,
        "provisioned_concurrency": settings.provisioned_concurrency,
    }


def test_a_json_log_format_reaches_the_functions_logging_config(program: Program) -> None:
    config = pulumi_config(REPO / "Pulumi.python-512.yaml")
    config[f"{PROJECT}:log_format"] = "json"
    run = program.run("python-512", config)
    assert run.one(T_FUNCTION).inputs["loggingConfig"] == {
        "logFormat": "JSON",
        "logGroup": f"/aws/lambda/{PROJECT}-python-512",
        "systemLogLevel": "INFO",
        "applicationLogLevel": "INFO",
    }


def test_the_program_follows_pulumi_config_not_just_the_file(program: Program) -> None:
    # What `pulumi config set` or `--config` would change reaches the program.
    config = pulumi_config(REPO / "Pulumi.python-512.yaml")
    config.update({"aws:region": "eu-west-1", f"{PROJECT}:memory_mb": "2048"})
    run = program.run("python-512", config)
    assert run.one("pulumi:providers:aws").inputs["region"] == "eu-west-1"
    assert run.one(T_FUNCTION).inputs["memorySize"] == 2048
    assert run.exports["region"] == "eu-west-1" and run.exports["memory_mb"] == 2048


@pytest.mark.parametrize(
    ("changes", "messages"),
    [
        ({"memory_mb": "64"}, ["memory_mb is 64"]),
        ({"language": "ruby"}, ["language is 'ruby'"]),
        (
            {"runtime": "python3.11", "cold_start_mitigation": "snapstart"},
            ["SnapStart is not available on runtime 'python3.11'"],
        ),
        (
            {"log_retention_days": "10", "memroy": "1"},
            ["log_retention_days is 10", "unknown setting"],
        ),
        ({"cold_start_mitigation": "provisioned"}, ["provisioned_concurrency is not set"]),
    ],
)
def test_invalid_settings_stop_before_any_resource(
    program: Program, changes: dict[str, str], messages: list[str]
) -> None:
    config = pulumi_config(REPO / "Pulumi.python-512.yaml")
    config.update({f"{PROJECT}:{key}": value for key, value in changes.items()})
    run = Run()
    with pytest.raises(pulumi.RunError) as raised:
        program.run("python-512", config, into=run)
    assert run.resources == []
    text = str(raised.value)
    assert text.startswith("invalid settings for stack 'python-512' (Pulumi config)")
    for message in messages:
        assert message in text
    assert len(text.splitlines()) == 1 + len(messages)


def test_a_missing_artifact_stops_the_program_with_what_to_run(
    program: Program, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = functools.partial(program.build, artifact=tmp_path / "none.zip")
    monkeypatch.setattr(stack.aws._program, "build_package", missing)
    with pytest.raises(pulumi.RunError, match=r"run `make model`"):
        program.run("python-512", pulumi_config(REPO / "Pulumi.python-512.yaml"))


def test_the_stacks_aws_configuration_reaches_the_provider(program: Program) -> None:
    # What a user sets for the AWS provider in Pulumi.<stack>.yaml (or `pulumi config set`)
    # must take effect: the account guard, the role to assume, the profile, default tags.
    config = pulumi_config(REPO / "Pulumi.python-512.yaml")
    assume_roles = [{"roleArn": f"arn:aws:iam::{ACCOUNT}:role/deployer", "sessionName": "study"}]
    config.update(
        {
            "aws:profile": "study",
            "aws:assumeRoles": json.dumps(assume_roles),
            # YAML reads an unquoted account id as a number.
            "aws:allowedAccountIds": json.dumps([int(ACCOUNT)]),
            "aws:defaultTags": json.dumps({"tags": {"CostCenter": "lambda-study"}}),
            "aws:maxRetries": "7",
            "aws:skipCredentialsValidation": "true",
        }
    )
    run = program.run("python-512", config)
    provider = run.one("pulumi:providers:aws").inputs
    # The provider receives its configuration JSON-encoded, as the engine passes config.
    structured = ("assumeRoles", "allowedAccountIds", "defaultTags", "maxRetries")
    decoded = {key: json.loads(provider[key]) for key in (*structured, "skipCredentialsValidation")}
    assert provider["profile"] == "study"
    assert provider["region"] == "us-east-1"
    assert decoded["assumeRoles"] == assume_roles
    assert decoded["allowedAccountIds"] == [ACCOUNT]
    assert decoded["defaultTags"] == {"tags": {"CostCenter": "lambda-study"}}
    assert decoded["maxRetries"] == 7
    assert decoded["skipCredentialsValidation"] is True
    # ...and every AWS resource of the stack is created through that provider.
    for resource in run.resources:
        if resource.type.startswith("aws:"):
            assert resource.provider.startswith(run.one("pulumi:providers:aws").urn)


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("aws:assumeRole", '{"roleArn": "x"}', "aws:assumeRole: not a setting of the AWS provider"),
        ("aws:skipCredentialsValidation", "yes", "use true or false"),
        ("aws:allowedAccountIds", "123456789012", "use a list"),
    ],
)
def test_aws_configuration_the_provider_cannot_take_stops_the_program(
    program: Program, key: str, value: str, message: str
) -> None:
    config = pulumi_config(REPO / "Pulumi.python-512.yaml")
    config[key] = value
    run = Run()
    with pytest.raises(pulumi.RunError) as raised:
        program.run("python-512", config, into=run)
    assert run.resources == []
    assert message in str(raised.value)
    assert len(str(raised.value).splitlines()) == 1


def _large_root(base: Path) -> Path:
    # Random bytes do not compress: the archive ends up just over Lambda's 50 MB direct upload.
    root = make_fake_root(base / "repo")
    (root / "runtime" / "python" / "vendored.py").write_bytes(
        os.urandom(DIRECT_UPLOAD_BYTES_MAX + 1024 * 1024)
    )
    return root


def test_an_archive_over_50_mb_is_deployed_from_the_stacks_bucket(
    program: Program, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build = functools.partial(
        build_package, artifact=program.artifact, root=_large_root(tmp_path), out_dir=tmp_path
    )
    monkeypatch.setattr(stack.aws._program, "build_package", build)
    package = build(load_stack("python-512"))
    assert package.size_bytes > DIRECT_UPLOAD_BYTES_MAX and package.code_from_s3
    run = program.run("python-512", pulumi_config(REPO / "Pulumi.python-512.yaml"))
    bucket = run.one("aws:s3/bucket:Bucket").outputs["bucket"]
    (code_object,) = [
        o
        for o in run.of_type("aws:s3/bucketObjectv2:BucketObjectv2")
        if o.inputs["key"].startswith("archives/")
    ]
    assert code_object.inputs["bucket"] == bucket
    assert code_object.inputs["key"] == f"archives/{package.code_zip.name}"
    assert Path(code_object.inputs["source"].path) == package.code_zip
    function = run.one(T_FUNCTION)
    assert "code" not in function.inputs
    assert function.inputs["s3Bucket"] == bucket
    assert function.inputs["s3Key"] == code_object.inputs["key"]
    assert function.inputs["s3ObjectVersion"] == code_object.outputs["versionId"]
    assert function.inputs["sourceCodeHash"] == package.code_sha256_b64
    assert code_object.urn in function.dependencies
    # Lambda fetches the code with the deployer's credentials: the function's role still may
    # write its own logs only (python-512 bundles its model).
    document = policy_of(run.one("aws:iam/rolePolicy:RolePolicy").inputs["policy"])
    assert [s["Sid"] for s in document["Statement"]] == ["WriteOwnLogs"]


@pytest.mark.parametrize("name", ["python-512", "python-512-layer"])
def test_archives_within_50_mb_are_uploaded_with_the_function(program: Program, name: str) -> None:
    _, package = expected(program, name)
    assert package.size_bytes <= DIRECT_UPLOAD_BYTES_MAX and not package.code_from_s3
    run = program.run(name)
    function = run.one(T_FUNCTION).inputs
    assert Path(function["code"].path) == package.code_zip
    assert not {"s3Bucket", "s3Key", "s3ObjectVersion"} & set(function)
    keys = [o.inputs["key"] for o in run.of_type("aws:s3/bucketObjectv2:BucketObjectv2")]
    assert keys == [f"models/{package.model_version}/model.zip"]
    for layer in run.of_type("aws:lambda/layerVersion:LayerVersion"):
        assert Path(layer.inputs["code"].path) == package.layer_zip
        assert "s3Key" not in layer.inputs


def test_a_layer_over_50_mb_is_deployed_from_the_stacks_bucket(
    program: Program, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A model artifact too large to upload with the layer. An artifact is one model.json
    # (docs/model-artifact.md), checked whole when packaged: a valid 50 MB one takes seconds
    # to write and to check, so the upload limit is lowered to 1 MiB and the model made 2 MB.
    monkeypatch.setattr(stack._deployable, "DIRECT_UPLOAD_BYTES_MAX", 1024 * 1024)
    model = minimal_model()
    words = [os.urandom(24).hex() for _ in range(40_000)]
    model["inputs"].append(
        {
            "name": "blob",
            "kind": "categorical",
            "vocabulary": words,
            "unknown": "zeros",
            "mean": [0.0] * 40_000,
            "std": [1.0] * 40_000,
        }
    )
    model["columns"] += 40_000
    model["weights"] = [*model["weights"], *[0.0] * 40_000]
    model["model_version"] = model_version(model)
    artifact = write_artifact(tmp_path / "model.zip", model)
    build = functools.partial(
        build_package, artifact=artifact, root=make_fake_root(tmp_path / "repo"), out_dir=tmp_path
    )
    monkeypatch.setattr(stack.aws._program, "build_package", build)
    package = build(load_stack("python-512-layer"))
    assert package.layer_from_s3 and not package.code_from_s3
    run = program.run("python-512-layer", pulumi_config(REPO / "Pulumi.python-512-layer.yaml"))
    assert package.layer_zip is not None
    (layer_object,) = [
        o
        for o in run.of_type("aws:s3/bucketObjectv2:BucketObjectv2")
        if o.inputs["key"] == f"archives/{package.layer_zip.name}"
    ]
    layer = run.one("aws:lambda/layerVersion:LayerVersion")
    assert "code" not in layer.inputs
    assert layer.inputs["s3Key"] == layer_object.inputs["key"]
    assert layer.inputs["s3ObjectVersion"] == layer_object.outputs["versionId"]
    assert layer.inputs["sourceCodeHash"] == package.layer_sha256_b64
    assert Path(run.one(T_FUNCTION).inputs["code"].path) == package.code_zip


def test_secret_aws_configuration_stays_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    # `pulumi config set --secret aws:secretKey ...` must not reach the state in plain text.
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        # As Pulumi's language host hands them to the program.
        config = {"aws:accessKey": "AKIAEXAMPLE", "aws:secretKey": "example-secret"}
        monkeypatch.setenv("PULUMI_CONFIG", json.dumps(config))
        monkeypatch.setenv("PULUMI_CONFIG_SECRET_KEYS", json.dumps(["aws:secretKey"]))
        args = stack.aws.provider_args_from_pulumi()
        assert args["access_key"] == "AKIAEXAMPLE"
        secret = args["secret_key"]
        assert isinstance(secret, pulumi.Output)

        async def revealed() -> tuple[bool, object]:
            return await secret.is_secret(), await secret.future()

        assert loop.run_until_complete(revealed()) == (True, "example-secret")
    finally:
        asyncio.set_event_loop(None)
        loop.close()


def test_authorization_none_opens_every_route(program: Program) -> None:
    config = pulumi_config(REPO / "Pulumi.python-512.yaml")
    config[f"{PROJECT}:authorization"] = "none"
    run = program.run("python-512", config)
    routes = run.of_type("aws:apigatewayv2/route:Route")
    assert len(routes) == 2
    assert {r.inputs["authorizationType"] for r in routes} == {"NONE"}


IMAGE_STACKS = [name for name in STACKS if load_stack(name).model_runtime == "tensorflow"]


def test_the_study_grid_has_framework_stacks() -> None:
    runtimes = {(s.model_runtime, s.memory_mb) for s in map(load_stack, STACKS)}
    assert {("tensorflow", m) for m in (256, 512, 1024)} <= runtimes
    assert {("litert", m) for m in (512, 1024)} <= runtimes
    assert {("onnx", m) for m in (512, 1024)} <= runtimes


@pytest.mark.parametrize("name", IMAGE_STACKS)
def test_an_image_stack_builds_and_pushes_its_image_to_its_own_repository(
    program: Program, name: str
) -> None:
    _, package = expected(program, name)
    assert package.is_image and package.image_context is not None
    run = program.run(name)
    repository = run.one(T_REPOSITORY)
    assert repository.inputs["name"] == f"{PROJECT}-{name}"
    assert repository.inputs["imageScanningConfiguration"] == {"scanOnPush": True}
    assert repository.inputs["forceDelete"] is True
    image = run.one(T_IMAGE).inputs
    assert image["context"] == {"location": str(package.image_context)}
    assert image["dockerfile"] == {"location": str(package.image_context / "Dockerfile")}
    assert image["platforms"] == ["linux/amd64"]
    assert image["push"] is True
    # A preview does not build the image (TensorFlow's takes minutes); `pulumi up` does.
    assert image["buildOnPreview"] is False
    url = repository.outputs["repositoryUrl"]
    assert image["tags"] == [f"{url}:{package.image_tag}"]
    # The registry password is a secret, so Pulumi keeps the whole list secret in the state.
    registries = image["registries"]
    assert registries[rpc._special_sig_key] == rpc._special_secret_sig
    (registry,) = registries["value"]
    assert registry["address"] == url
    assert (registry["username"], registry["password"]) == ("AWS", ECR_PASSWORD)
    assert ("aws:ecr/getAuthorizationToken:getAuthorizationToken", {"registryId": ACCOUNT}) in (
        run.calls
    )
    lifecycle = run.one("aws:ecr/lifecyclePolicy:LifecyclePolicy").inputs
    assert lifecycle["repository"] == repository.outputs["name"]
    (rule,) = json.loads(lifecycle["policy"])["rules"]
    assert rule["selection"]["countType"] == "imageCountMoreThan"
    # The stack file's environment reaches the image function as any other.
    variables = run.one(T_FUNCTION).inputs["environment"]["variables"]
    assert variables["MODEL_RUNTIME"] == "tensorflow"
    assert variables["MODEL_PATH"] == "/var/task/model.zip"


@pytest.mark.parametrize("name", IMAGE_STACKS)
def test_only_this_function_may_pull_the_image_and_it_waits_for_that(
    program: Program, name: str
) -> None:
    settings = load_stack(name)
    run = program.run(name)
    repository = run.one(T_REPOSITORY)
    policy = run.one("aws:ecr/repositoryPolicy:RepositoryPolicy")
    assert policy.inputs["repository"] == repository.outputs["name"]
    arn = f"arn:aws:lambda:{settings.region}:{ACCOUNT}:function:{PROJECT}-{name}"
    assert policy_of(policy.inputs["policy"]) == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "LambdaPullsTheFunctionImage",
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
                "Condition": {"StringLike": {"aws:sourceArn": [arn, f"{arn}:*"]}},
            }
        ],
    }
    function = run.one(T_FUNCTION)
    assert policy.urn in function.dependencies
    assert run.one(T_IMAGE).urn in function.dependencies
    # The function's own role gains nothing: Lambda pulls under the repository's policy.
    document = policy_of(run.one("aws:iam/rolePolicy:RolePolicy").inputs["policy"])
    assert [s["Sid"] for s in document["Statement"]] == ["WriteOwnLogs"]


def test_zip_stacks_declare_no_image(program: Program) -> None:
    for name in ("python-512", "python-litert-512", "python-onnx-512"):
        run = program.run(name)
        assert not run.of_type(T_REPOSITORY) and not run.of_type(T_IMAGE) and not run.calls


def test_an_onnx_stack_deploys_its_zip_serving_model_runtime_onnx(program: Program) -> None:
    settings, package = expected(program, "python-onnx-512")
    assert package.model_runtime == "onnx" and not package.is_image
    function = program.run("python-onnx-512").one(T_FUNCTION).inputs
    assert Path(function["code"].path) == package.code_zip
    assert function["sourceCodeHash"] == package.code_sha256_b64
    assert (function["runtime"], function["handler"]) == ("python3.12", settings.handler)
    assert function["environment"]["variables"]["MODEL_RUNTIME"] == "onnx"
    assert function["environment"]["variables"]["MODEL_PATH"] == "/var/task/model.zip"


def test_an_arm64_image_stack_builds_for_arm64(program: Program) -> None:
    config = pulumi_config(REPO / "Pulumi.python-tf-512.yaml")
    config[f"{PROJECT}:architecture"] = "arm64"
    run = program.run("python-tf-512", config)
    image = run.one(T_IMAGE).inputs
    assert image["platforms"] == ["linux/arm64"]
    dockerfile = (Path(image["context"]["location"]) / "Dockerfile").read_text()
    assert "FROM public.ecr.aws/lambda/python:3.12-arm64\n" in dockerfile
    requirements = (Path(image["context"]["location"]) / "requirements.txt").read_text()
    assert requirements.startswith("tensorflow>=")
    assert run.one(T_FUNCTION).inputs["architectures"] == ["arm64"]


def test_a_litert_zip_over_50_mb_is_deployed_from_the_stacks_bucket(
    program: Program, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Wheels that do not compress below 50 MB (random bytes), under the 250 MB unzipped limit.
    root = make_fake_root(tmp_path / "repo")
    settings = load_stack("python-litert-512")
    tree = seed_dependencies(root, settings)
    (tree / "numpy" / "_big.so").write_bytes(os.urandom(DIRECT_UPLOAD_BYTES_MAX + 1024 * 1024))
    build = functools.partial(
        build_package, artifact=program.artifact, root=root, out_dir=tmp_path / "out"
    )
    monkeypatch.setattr(stack.aws._program, "build_package", build)
    package = build(settings)
    assert package.code_from_s3
    run = program.run("python-litert-512", pulumi_config(REPO / "Pulumi.python-litert-512.yaml"))
    (code_object,) = [
        o
        for o in run.of_type("aws:s3/bucketObjectv2:BucketObjectv2")
        if o.inputs["key"] == f"archives/{package.code_zip.name}"
    ]
    function = run.one(T_FUNCTION).inputs
    assert "code" not in function
    assert function["s3Key"] == code_object.inputs["key"]
    assert function["sourceCodeHash"] == package.code_sha256_b64
    assert function["environment"]["variables"]["MODEL_RUNTIME"] == "litert"


@pytest.mark.parametrize(("region", "partition"), [("cn-north-1", "aws-cn"),
                                                   ("us-gov-west-1", "aws-us-gov")])  # fmt: skip
def test_the_image_pull_policy_names_the_function_in_the_providers_partition(
    program: Program, region: str, partition: str
) -> None:
    config = pulumi_config(REPO / "Pulumi.python-tf-512.yaml")
    config["aws:region"] = region
    run = program.run("python-tf-512", config)
    policy = policy_of(run.one("aws:ecr/repositoryPolicy:RepositoryPolicy").inputs["policy"])
    arn = f"arn:{partition}:lambda:{region}:{ACCOUNT}:function:{PROJECT}-python-tf-512"
    assert policy["Statement"][0]["Condition"]["StringLike"]["aws:sourceArn"] == [arn, f"{arn}:*"]
    assert ("aws:index/getPartition:getPartition", {}) in run.calls


@pytest.mark.parametrize("name", STACKS)
def test_the_model_bucket_expires_noncurrent_versions(program: Program, name: str) -> None:
    run = program.run(name)
    bucket = run.one("aws:s3/bucket:Bucket").outputs["bucket"]
    lifecycle = run.one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")
    assert lifecycle.inputs["bucket"] == bucket
    (rule,) = lifecycle.inputs["rules"]
    assert rule["status"] == "Enabled" and rule["filter"] == {}
    assert rule["noncurrentVersionExpiration"] == {"noncurrentDays": NONCURRENT_VERSION_DAYS}
    assert rule["expiration"] == {"expiredObjectDeleteMarker": True}
    # Set once versioning is on (S3 applies noncurrent rules to a versioned bucket).
    assert run.one("aws:s3/bucketVersioning:BucketVersioning").urn in lifecycle.dependencies


@pytest.mark.parametrize("name", STACKS)
def test_roles_live_under_the_projects_path(program: Program, name: str) -> None:
    # The deployer policy may create and pass roles under this path only.
    assert program.run(name).one("aws:iam/role:Role").inputs["path"] == f"/{PROJECT}/"


def _fixed_names(run: Run) -> set[str]:
    names = {r.inputs["name"] for r in run.resources if r.type in (
        T_FUNCTION, T_LOG_GROUP, T_REPOSITORY, "aws:cloudwatch/eventRule:EventRule")}  # fmt: skip
    names |= {layer.inputs["layerName"]
              for layer in run.of_type("aws:lambda/layerVersion:LayerVersion")}  # fmt: skip
    return names


@pytest.mark.parametrize("name", ["python-512-ping", "python-512-layer", "python-tf-512"])
def test_two_name_prefixes_deploy_one_stack_without_a_shared_fixed_name(
    program: Program, name: str
) -> None:
    # Two people deploying the same stack file into one account: with their own prefixes,
    # no fixed resource name (function, log groups, layer, repository, ping rule) is shared.
    runs = []
    for prefix in ("alice-lms-", "bob-lms-"):
        config = pulumi_config(REPO / f"Pulumi.{name}.yaml")
        config[f"{PROJECT}:name_prefix"] = prefix
        runs.append(program.run(name, config))
    alice, bob = (_fixed_names(run) for run in runs)
    assert alice and not alice & bob
    assert all("alice-lms-" in fixed for fixed in alice)
    assert runs[0].one(T_FUNCTION).inputs["name"] == f"alice-lms-{name}"
    assert runs[0].exports["function_name"] == f"alice-lms-{name}"


def test_python_snapstart_is_warned_of_before_anything_is_deployed(
    program: Program, monkeypatch: pytest.MonkeyPatch
) -> None:
    warnings: list[str] = []
    monkeypatch.setattr(pulumi.log, "warn", lambda message, *_, **__: warnings.append(message))
    config = pulumi_config(REPO / "Pulumi.python-512.yaml")
    config[f"{PROJECT}:cold_start_mitigation"] = "snapstart"
    run = program.run("python-512", config)
    (warning,) = [w for w in warnings if "SnapStart" in w]
    assert "snapshot cache for every published version" in warning
    assert "python -m stack prune-versions python-512" in warning
    assert run.one(T_FUNCTION).inputs["snapStart"] == {"applyOn": "PublishedVersions"}
    warnings.clear()
    program.run("java-1024-snapstart", pulumi_config(REPO / "Pulumi.java-1024-snapstart.yaml"))
    assert not [w for w in warnings if "SnapStart" in w]
