"""The instance's environment: Lambda's variables, then the stack's, with paths mapped."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from contract import log_group_name
from emulator import FunctionSpec, S3Object
from emulator.instance._environment import instance_environment
from emulator.instance._instance import InitType

from ...support.instances import instance


@pytest.fixture
def spec(tmp_path: Path) -> FunctionSpec:
    code = tmp_path / "code.zip"
    code.write_bytes(b"")
    return FunctionSpec(
        name="fn",
        language="python",
        memory_mb=512,
        timeout_s=5,
        handler="app.handler",
        code_zip=code,
        region="eu-west-1",
        environment={
            "MODEL_PATH": "/opt/model.zip",
            "DATA": "/tmp",
            "OTHER": "/optional/x",
            "PLAIN": "v",
        },
    )


def test_environment_is_lambdas_then_the_stacks_with_paths_mapped(
    spec: FunctionSpec, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EMULATOR_HOST_SECRET", "not for the function")
    inst = instance(tmp_path, "abc")
    inst.port = 4321
    env = instance_environment(spec, inst, s3_endpoint="http://127.0.0.1:9")
    assert "EMULATOR_HOST_SECRET" not in env
    assert env["AWS_LAMBDA_RUNTIME_API"] == "127.0.0.1:4321"
    assert env["AWS_LAMBDA_INITIALIZATION_TYPE"] == "on-demand"
    assert env["AWS_REGION"] == env["AWS_DEFAULT_REGION"] == "eu-west-1"
    assert env["AWS_LAMBDA_LOG_STREAM_NAME"].endswith("/[$LATEST]abc")
    # The log group a stack's function writes to, built by contract for both targets.
    assert env["AWS_LAMBDA_LOG_GROUP_NAME"] == log_group_name(spec.name) == "/aws/lambda/fn"
    assert env["PYTHONPATH"] == env["LAMBDA_TASK_ROOT"] == str(inst.task_root)
    assert env["MODEL_PATH"] == f"{inst.opt_dir}/model.zip"
    assert env["DATA"] == str(inst.tmp_dir)
    assert env["OTHER"] == "/optional/x" and env["PLAIN"] == "v"
    assert "MODEL_S3_ENDPOINT" not in env, "only stacks with S3 objects are given the endpoint"


def test_snapstart_environment_has_no_log_stream_and_s3_stacks_get_the_endpoint(
    spec: FunctionSpec, tmp_path: Path
) -> None:
    artifact = tmp_path / "model.zip"
    artifact.write_bytes(b"z")
    spec = replace(spec, s3_objects=(S3Object(bucket="b", key="k", path=artifact),))
    inst = instance(tmp_path, "snap", init_type=InitType.SNAP_START)
    env = instance_environment(spec, inst, s3_endpoint="http://127.0.0.1:9")
    assert env["AWS_LAMBDA_INITIALIZATION_TYPE"] == "snap-start"
    assert "AWS_LAMBDA_LOG_GROUP_NAME" not in env and "AWS_LAMBDA_LOG_STREAM_NAME" not in env
    assert env["MODEL_S3_ENDPOINT"] == "http://127.0.0.1:9"
