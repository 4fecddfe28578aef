"""``python -m study --function DIR``: a team's own function studied end to end (real emulator,
real load generator, real report), its stack file written once and kept, and the bad inputs
that stop it with one line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from study.__main__ import main

from ..support.paths import REPO

ECHO = """\
import json

def lambda_handler(event, context):
    if event["rawPath"] != "/echo":
        return {"statusCode": 404, "body": json.dumps({"message": "no such path"})}
    return {"statusCode": 200, "body": json.dumps({"echo": event.get("body")})}
"""
SHORT = [
    "--offsets",
    "0,2s",
    "--stages",
    "2:0:2s",
    "--time-scale",
    "1",
    "--rtt",
    "0",
    "--gateway-latency",
    "0",
]


def _function(folder: Path, source: str = ECHO, path: str = "/echo") -> Path:
    folder.mkdir(parents=True)
    (folder / "app.py").write_text(source)
    (folder / "requests.json").write_text(
        json.dumps(
            [
                {"method": "POST", "path": path, "body": {"x": 1}, "weight": 2},
                {"method": "GET", "path": path},
            ]
        )
    )
    return folder


def _study(tmp_path: Path, function: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    argv = [
        sys.executable,
        "-m",
        "study",
        "--function",
        str(function),
        "--project",
        str(tmp_path / "project"),
        "--results",
        str(tmp_path / "results"),
        "--run-id",
        "r",
        *extra,
    ]
    return subprocess.run(argv, cwd=REPO, capture_output=True, text=True, timeout=600, check=False)


def test_write_stack_writes_a_stack_file_once_and_keeps_its_edits(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    function = _function(tmp_path / "my fn")
    project = tmp_path / "project"
    argv = [
        "--function",
        str(function),
        "--project",
        str(project),
        "--write-stack",
        "--memory",
        "512,1024",
    ]
    assert main(argv) == 0
    stack_file = project / "Pulumi.my-fn.yaml"
    config = yaml.safe_load(stack_file.read_text())["config"]
    assert config["lambda-model-study:kind"] == "function"
    assert config["lambda-model-study:handler"] == "app.lambda_handler"  # found in app.py
    assert config["lambda-model-study:memory_mb"] == 512
    assert Path(config["lambda-model-study:code"]) == function.resolve()
    stack_file.write_text(stack_file.read_text().replace("python3.12", "python3.13"))
    assert main(argv) == 0
    assert "python3.13" in stack_file.read_text()  # the user's edit is kept
    assert "using" in capsys.readouterr().out


def test_no_handler_in_the_directory_is_one_line_and_nothing_starts(tmp_path: Path) -> None:
    function = _function(tmp_path / "fn", source="def other(e, c):\n    return {}\n")
    done = _study(tmp_path, function, *SHORT)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "error: no handler found in " + str(function) + " (tried app.lambda_handler, "
        "app.handler, lambda_function.lambda_handler, ...); give --handler module.function"
    ]
    assert not (tmp_path / "results").exists()


def test_a_handler_name_that_does_not_exist_is_one_line_and_nothing_starts(tmp_path: Path) -> None:
    function = _function(tmp_path / "fn")
    done = _study(tmp_path, function, "--handler", "app.handle", *SHORT)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 2 and "cannot be studied" in lines[0]
    assert "defines no handle" in lines[1] and "Runtime.HandlerNotFound" in lines[1]
    assert not (tmp_path / "results").exists()


@pytest.mark.slow
def test_a_function_is_studied_at_each_memory_size(tmp_path: Path) -> None:
    done = _study(tmp_path, _function(tmp_path / "echo"), "--memory", "256,512", *SHORT)
    assert done.returncode == 0, done.stdout + done.stderr
    run = tmp_path / "results" / "r"
    for stack in ("echo-at-256", "echo-at-512"):
        for scenario in ("scenario1", "scenario2"):
            summary = json.loads((run / stack / scenario / "summary.json").read_text())
            assert summary["requests"] > 0 and summary["complete"], (stack, scenario)
            assert not any(summary["errors"].values()), summary["errors"]
    report = (run / "report" / "report.md").read_text()
    assert "| echo-at-256 | quiet (scenario 1) | 1 |" in report  # joined to its REPORT line
    # It speaks of requests, not predictions, and has the function's section, no model's.
    assert report.startswith("# Your function: memory sizes side by side")
    assert "$ per 1M requests [D]" in report and "predictions" not in report
    assert "## Your function" in report and "## Model runtime" not in report
    row = next(line for line in report.splitlines() if line.startswith("| echo-at-512 | `app"))
    assert "| 512 | zip " in row and " of 512 (" in row


@pytest.mark.slow
def test_a_handler_that_cannot_be_imported_stops_the_study_at_its_first_request(
    tmp_path: Path,
) -> None:
    source = "import not_installed_anywhere\n\ndef lambda_handler(e, c):\n    return {}\n"
    done = _study(tmp_path, _function(tmp_path / "fn", source=source), "--memory", "256", *SHORT)
    assert done.returncode == 2
    error = next(line for line in done.stdout.splitlines() if "error:" in line)
    assert "the first request (POST /echo) answered 500" in error
    assert "Runtime.ImportModuleError: Unable to import module 'app'" in error
    assert not (tmp_path / "results" / "r" / "fn-at-256" / "scenario2").exists()


@pytest.mark.slow
def test_a_route_the_function_does_not_answer_stops_at_the_first_request(tmp_path: Path) -> None:
    done = _study(tmp_path, _function(tmp_path / "fn", path="/other"), "--memory", "256", *SHORT)
    assert done.returncode == 2
    error = next(line for line in done.stdout.splitlines() if "error:" in line)
    assert "the first request (POST /other) answered 404" in error
    assert "no such path" in error


SAM_TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Timeout: 10
    MemorySize: 768
Resources:
  EchoFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: echo/
      Handler: app.lambda_handler
      Runtime: python3.11
      Architectures: [arm64]
      Environment:
        Variables:
          TABLE: !Ref Table
          MODE: fast
      Events:
        Post:
          Type: HttpApi
          Properties: {Path: /echo, Method: post}
        Get:
          Type: HttpApi
          Properties: {Path: /echo, Method: get}
  Table:
    Type: AWS::DynamoDB::Table
"""


def test_a_sam_template_becomes_a_function_stack(tmp_path: Path) -> None:
    from stack import load_stack_file

    _function(tmp_path / "sam" / "echo")
    template = tmp_path / "sam" / "template.yaml"
    template.write_text(SAM_TEMPLATE.replace("TABLE: !Ref Table\n          ", ""))
    project = tmp_path / "project"
    assert main(["--function", str(template), "--project", str(project), "--write-stack"]) == 0
    settings = load_stack_file(project / "Pulumi.echofunction.yaml")
    assert (settings.handler, settings.runtime, settings.memory_mb, settings.timeout_s) == (
        "app.lambda_handler",
        "python3.11",
        768,
        10,
    )
    assert settings.architecture == "arm64"
    assert dict(settings.environment) == {"MODE": "fast"}
    assert settings.route_keys == ("POST /echo", "GET /echo")


def test_a_sam_value_cloudformation_must_resolve_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _function(tmp_path / "sam" / "echo")
    template = tmp_path / "sam" / "template.yaml"
    template.write_text(SAM_TEMPLATE)
    assert (
        main(["--function", str(template), "--project", str(tmp_path / "p"), "--write-stack"]) == 2
    )
    err = capsys.readouterr().err.strip().splitlines()
    assert err[1].strip() == (
        "Environment variable TABLE is !Ref 'Table', which CloudFormation resolves; write the "
        "value itself in the template (or in the stack file after)"
    )
    assert not (tmp_path / "p").exists()


def test_requirements_without_a_wheel_for_lambda_are_one_line_and_nothing_starts(
    tmp_path: Path,
) -> None:
    function = _function(tmp_path / "fn")
    index = tmp_path / "index"
    index.mkdir()
    (index / "tinydep-1.0.tar.gz").write_bytes(b"a source distribution only")
    (function / "requirements.txt").write_text(f"--no-index\n--find-links {index}\ntinydep\n")
    done = _study(tmp_path, function, *SHORT)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "no wheel of tinydep for CPython 3.12 on manylinux_2_34_x86_64" in lines[0]
    assert not (tmp_path / "results").exists()
