"""Every committed stack file under Pulumi's mocks, models and workers alike: each AWS resource
and provider call on the stack's own provider, and the deployer policy
(``docs/deployer-policy.json``) covering exactly what the program registers."""

from __future__ import annotations

import functools
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import stack.aws._program
from stack import build_package, list_stacks, load_stack
from stack.__main__ import main as stack_main
from stack.__main__ import policy_text
from stack._deployer import (
    COMMAND_GRANTS,
    GRANTS,
    MANAGED_POLICY_CHARS_MAX,
    SCOPES,
    deployer_policy,
)
from stack._workerpackage import build_worker_package

from ..support.paths import REPO
from ..support.pulumi_harness import Run, pulumi_config, run_program
from ..support.stacks import (
    make_fake_root,
    seed_dependencies,
    study_model,
    worker_root,
    write_artifact,
    write_exports,
)

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:pulumi_aws")

EVERY_STACK = list_stacks(kind=None)
POLICY_FILE = REPO / "docs" / "deployer-policy.json"
# What the program declares that is not an AWS API's: its own components and Pulumi's.
NOT_AWS = ("lambda-model-study:", "pulumi:pulumi:")


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Run]:
    """The program run once for every stack file, with stand-in runtimes and wheels."""
    base = tmp_path_factory.mktemp("every")
    root = make_fake_root(base / "repo")
    artifact = write_artifact(base / "model.zip", study_model())
    write_exports(artifact)
    for name in EVERY_STACK:
        settings = load_stack(name)
        if settings.model_runtime in ("litert", "onnx"):
            seed_dependencies(root, settings)
    build = functools.partial(build_package, artifact=artifact, root=root, out_dir=base / "out")
    workers = worker_root(tmp_path_factory.mktemp("workers"))
    build_worker = functools.partial(build_worker_package, root=workers)
    result: dict[str, Run] = {}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(stack.aws._program, "build_package", build)
        patch.setattr(stack.aws._program, "build_worker_package", build_worker)
        for name in EVERY_STACK:
            result[name] = run_program(name, pulumi_config(REPO / f"Pulumi.{name}.yaml"))
    return result


def test_the_committed_stacks_include_a_worker_stack() -> None:
    assert any(load_stack(name).is_worker for name in EVERY_STACK)
    assert any(not load_stack(name).is_worker for name in EVERY_STACK)


@pytest.mark.parametrize("name", EVERY_STACK)
def test_every_aws_resource_and_call_goes_through_the_stacks_provider(
    runs: dict[str, Run], name: str
) -> None:
    # A resource on Pulumi's default provider fails where an organisation disables default
    # providers, and may land in another region than the rest of the stack.
    run = runs[name]
    provider = run.one("pulumi:providers:aws")
    assert provider.inputs["region"] == load_stack(name).region
    aws_resources = [r for r in run.resources if r.type.startswith("aws:")]
    assert aws_resources
    for resource in aws_resources:
        assert resource.provider.startswith(f"{provider.urn}::"), (resource.type, resource.name)
    for token, used in run.call_providers:
        if token.startswith("aws:"):
            assert used.startswith(f"{provider.urn}::"), token


def registered_types(runs: dict[str, Run]) -> set[str]:
    types = {r.type for run in runs.values() for r in run.resources}
    types |= {token for run in runs.values() for token, _ in run.call_providers}
    return {t for t in types if not t.startswith(NOT_AWS)}


def test_the_deployer_grants_cover_exactly_what_the_program_registers(
    runs: dict[str, Run],
) -> None:
    # A type added to the program without its permissions fails here, not in a pulumi up;
    # a type the program no longer declares leaves the table.
    assert registered_types(runs) == set(GRANTS)


def _allowed(document: dict[str, Any]) -> set[tuple[str, str]]:
    pairs = set()
    for statement in document["Statement"]:
        assert statement["Effect"] == "Allow"
        for action in statement["Action"]:
            for resource in statement["Resource"]:
                pairs.add((action, resource))
    return pairs


def test_the_deployer_policy_grants_each_registered_type_its_actions(
    runs: dict[str, Run],
) -> None:
    document = deployer_policy()
    allowed = _allowed(document)
    for kind in sorted(registered_types(runs)):
        for grant in GRANTS[kind]:
            scope = "Roles" if grant.scope == "PassRole" else grant.scope
            for pattern in SCOPES[scope]:
                resource = pattern.format(p="aws", n="lambda-model-study-")
                for action in grant.actions:
                    assert (action, resource) in allowed, (kind, action, resource)


def test_the_deployer_may_prune_versions() -> None:
    allowed = _allowed(deployer_policy())
    for grant in COMMAND_GRANTS["python -m stack prune-versions"]:
        for action in grant.actions:
            assert (action, "arn:aws:lambda:*:*:function:lambda-model-study-*") in allowed


def test_the_deployer_policy_has_what_access_logging_and_s3_code_need() -> None:
    # HTTP API access logging is a log delivery made by the deployer, and
    # Lambda reads code deployed from S3 by version with the deployer's credentials.
    actions = {action for action, _ in _allowed(deployer_policy())}
    assert {
        "logs:CreateLogDelivery",
        "logs:PutResourcePolicy",
        "logs:UpdateLogDelivery",
        "logs:DeleteLogDelivery",
        "logs:DescribeResourcePolicies",
        "logs:GetLogDelivery",
        "logs:ListLogDeliveries",
        "logs:DescribeLogGroups",
        "s3:GetObjectVersion",
        "iam:PassRole",
        "ecr:GetAuthorizationToken",
        "events:PutTargets",
    } <= actions
    assert all(":" in action and "*" not in action for action in actions)


def test_the_deployer_may_pass_only_the_projects_roles_and_only_to_lambda() -> None:
    (statement,) = [s for s in deployer_policy()["Statement"] if "iam:PassRole" in s["Action"]]
    assert statement["Action"] == ["iam:PassRole"]
    assert statement["Resource"] == ["arn:aws:iam::*:role/lambda-model-study/*"]
    assert statement["Condition"] == {
        "StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}
    }
    for other in deployer_policy()["Statement"]:
        if any(action.startswith("iam:") for action in other["Action"]):
            assert other["Resource"] == ["arn:aws:iam::*:role/lambda-model-study/*"]


def test_only_actions_without_resource_types_get_every_resource() -> None:
    (account,) = [s for s in deployer_policy()["Statement"] if s["Resource"] == ["*"]]
    assert account["Sid"] == "Account"
    assert all(
        action.startswith(("logs:", "sts:GetCallerIdentity", "ecr:GetAuthorizationToken"))
        for action in account["Action"]
    )
    assert not [a for a in account["Action"] if a.startswith(("lambda:", "iam:", "s3:"))]


def test_names_follow_the_name_prefix_and_partition() -> None:
    text = json.dumps(deployer_policy(name_prefix="alice-lms-", partition="aws-cn"))
    assert "function:alice-lms-*" in text and "repository/alice-lms-*" in text
    assert "lambda-model-study-" not in text and "arn:aws:" not in text


def test_the_committed_policy_is_what_the_generator_writes() -> None:
    assert POLICY_FILE.read_text(encoding="utf-8") == policy_text(), (
        "docs/deployer-policy.json is stale: run "
        "`python -m stack deployer-policy --out docs/deployer-policy.json`"
    )


def test_the_policy_fits_iams_managed_policy_limit() -> None:
    assert len("".join(policy_text().split())) <= MANAGED_POLICY_CHARS_MAX


def test_the_command_writes_the_policy(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "policy.json"
    assert stack_main(["deployer-policy", "--out", str(out)]) == 0
    assert json.loads(out.read_text()) == deployer_policy()
    capsys.readouterr()
    assert stack_main(["deployer-policy", "--name-prefix", "Bad_Prefix"]) == 2
    error = capsys.readouterr().err
    assert error.startswith("error: lambda-model-study:name_prefix is 'Bad_Prefix'")
    assert len(error.splitlines()) == 1


def test_python_m_stack_runs_from_the_checkout() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "stack", "deployer-policy"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout == POLICY_FILE.read_text(encoding="utf-8")
