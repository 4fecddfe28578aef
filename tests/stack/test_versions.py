"""Published versions: Python SnapStart's cost warning, ``versions_kept`` and
``python -m stack prune-versions`` (botocore's Stubber stands in for Lambda)."""

from __future__ import annotations

import boto3
import pytest
from botocore.stub import Stubber

from stack import PROJECT, SettingsError, StackSettings, load_stack
from stack.__main__ import main as stack_main
from stack._versions import prune_versions, snapstart_cost_warning, versions_to_delete

FUNCTION = f"{PROJECT}-java-1024-snapstart"


def settings(**changes: object) -> StackSettings:
    values: dict[str, object] = {"name": "python-512", "language": "python", "memory_mb": 512}
    values.update(changes)
    return StackSettings(**values)  # type: ignore[arg-type]


def test_python_snapstart_is_warned_of_with_the_figures_at_its_memory() -> None:
    warning = snapstart_cost_warning(settings(cold_start_mitigation="snapstart"))
    assert warning is not None
    # 0.5 GB: $0.0000015046/GB-s over 3 hours (the minimum) and over 30 days; a restore.
    assert "$0.0081 to $1.95 a month per version at 512 MB" in warning
    assert "at least 3 hours" in warning and "$0.0001397998 per GB restored" in warning
    assert "($0.000070 per cold start)" in warning
    assert "Pulumi never deletes" in warning
    assert "python -m stack prune-versions python-512" in warning and "newest 2" in warning
    assert len(warning.splitlines()) == 1


@pytest.mark.parametrize(
    "changes",
    [
        {"language": "java", "cold_start_mitigation": "snapstart"},
        {"cold_start_mitigation": "provisioned", "provisioned_concurrency": 1},
        {"cold_start_mitigation": "none"},
    ],
)
def test_only_python_snapstart_is_warned_of(changes: dict[str, object]) -> None:
    # Java's SnapStart has no cache or restore charge; provisioned concurrency is billed as
    # such (the README says so), not per version.
    assert snapstart_cost_warning(settings(**changes)) is None


def test_publishing_stacks_keep_two_versions_by_default() -> None:
    assert settings(cold_start_mitigation="snapstart").versions_kept == 2
    assert settings(cold_start_mitigation="snapstart", versions_kept=5).versions_kept == 5
    assert load_stack("java-1024-snapstart").versions_kept == 2
    assert settings().versions_kept is None


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"versions_kept": 3}, "versions_kept is set but"),
        ({"cold_start_mitigation": "snapstart", "versions_kept": 0}, "versions_kept is 0; it"),
    ],
)
def test_versions_kept_is_refused_where_it_means_nothing(
    changes: dict[str, object], message: str
) -> None:
    with pytest.raises(SettingsError) as raised:
        settings(**changes)
    assert message in str(raised.value)


def test_the_newest_versions_and_those_aliases_use_are_kept() -> None:
    versions = ["$LATEST", "1", "2", "3", "4", "5", "10"]
    assert versions_to_delete(versions, alias_versions=["3"], keep=2) == ["1", "2", "4"]
    assert versions_to_delete(versions, alias_versions=[], keep=10) == []
    assert versions_to_delete(["$LATEST"], alias_versions=[], keep=1) == []


def stubbed_lambda(*, delete: list[str]) -> tuple[object, Stubber]:
    client = boto3.client(
        "lambda", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y"
    )
    stubber = Stubber(client)
    versions = [{"Version": v} for v in ("$LATEST", "1", "2", "3", "4", "5")]
    stubber.add_response(
        "list_versions_by_function", {"Versions": versions}, {"FunctionName": FUNCTION}
    )
    aliases = [
        {
            "Name": "live",
            "FunctionVersion": "5",
            # A weighted alias still sends a share of requests to version 2.
            "RoutingConfig": {"AdditionalVersionWeights": {"2": 0.1}},
        }
    ]
    stubber.add_response("list_aliases", {"Aliases": aliases}, {"FunctionName": FUNCTION})
    for version in delete:
        stubber.add_response(
            "delete_function", {}, {"FunctionName": FUNCTION, "Qualifier": version}
        )
    stubber.activate()
    return client, stubber


def test_prune_versions_deletes_only_what_is_neither_newest_nor_aliased() -> None:
    client, stubber = stubbed_lambda(delete=["1", "3"])
    assert prune_versions(client, FUNCTION, 2, delete=True) == ["1", "3"]
    stubber.assert_no_pending_responses()


def test_the_command_lists_unless_told_yes(capsys: pytest.CaptureFixture[str]) -> None:
    client, stubber = stubbed_lambda(delete=[])
    assert stack_main(["prune-versions", "java-1024-snapstart"], lambda_client=client) == 0
    stubber.assert_no_pending_responses()
    out = capsys.readouterr().out
    assert out == (
        f"{FUNCTION}: keeps the newest 2 and any an alias uses; would delete (add --yes): 1, 3\n"
    )
    client, stubber = stubbed_lambda(delete=["1", "3", "4"])
    argv = ["prune-versions", "java-1024-snapstart", "--keep", "1", "--yes"]
    assert stack_main(argv, lambda_client=client) == 0
    stubber.assert_no_pending_responses()
    assert "deleted: 1, 3, 4" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["prune-versions", "python-512"], "error: stack python-512 publishes no versions"),
        (["prune-versions", "java-1024-snapstart", "--keep", "0"], "error: --keep is 0"),
    ],
)
def test_the_command_refuses_in_one_line(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    assert stack_main(argv, lambda_client=object()) == 2
    error = capsys.readouterr().err
    assert error.startswith(message)
    assert len(error.splitlines()) == 1


def test_an_unknown_stack_is_refused_as_the_settings_refuse_it(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # The settings' own form: a header, then one line per problem.
    assert stack_main(["prune-versions", "no-such-stack"], lambda_client=object()) == 2
    header, problem = capsys.readouterr().err.splitlines()
    assert header.startswith("error: invalid settings for stack 'no-such-stack'")
    assert problem.startswith("  - no stack file") and "python-512" in problem


def test_aws_refusing_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    client = boto3.client(
        "lambda", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y"
    )
    stubber = Stubber(client)
    stubber.add_client_error(
        "list_versions_by_function", "ResourceNotFoundException", "Function not found"
    )
    stubber.activate()
    assert stack_main(["prune-versions", "java-1024-snapstart"], lambda_client=client) == 2
    error = capsys.readouterr().err
    assert error.startswith("error: java-1024-snapstart: AWS refused or could not be reached")
    assert len(error.splitlines()) == 1
