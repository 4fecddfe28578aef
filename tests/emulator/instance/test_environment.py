"""The parts the function host is made of, without processes: keep-alive policies, the instance's
environment, the platform's log lines."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from contract import log_group_name
from emulator import EmulatorOptions, FunctionSpec, S3Object
from emulator.instance._environment import instance_environment
from emulator.instance._instance import InitType, Instance, InstanceState
from emulator.lambda_service._keepalive import FixedKeepAlive, SebsKeepAlive, keep_alive_policy
from emulator.logs._platform_log import crashed_lines, init_report_line


def _instance(tmp_path: Path, name: str, *, idle_since_s: float = 0.0,
              state: InstanceState = InstanceState.IDLE, provisioned: bool = False,
              init_type: InitType = InitType.ON_DEMAND) -> Instance:
    workdir = tmp_path / name
    return Instance(id=name, stack="fn", workdir=workdir, task_root=workdir / "task",
                    opt_dir=workdir / "opt", tmp_dir=workdir / "tmp", provisioned=provisioned,
                    init_type=init_type, state=state, idle_since_s=idle_since_s)


def test_fixed_keep_alive_reclaims_idle_on_demand_instances_past_it(tmp_path: Path) -> None:
    policy = keep_alive_policy(EmulatorOptions(keep_alive_s=600, time_scale=60))
    assert isinstance(policy, FixedKeepAlive)
    assert policy.tick_real_s == 0.5  # a twentieth of the 10 real seconds
    old = _instance(tmp_path, "old", idle_since_s=89.0)
    idle = [
        old,
        _instance(tmp_path, "recent", idle_since_s=95.0),
        _instance(tmp_path, "provisioned", idle_since_s=0.0, provisioned=True),
        _instance(tmp_path, "taken", idle_since_s=0.0, state=InstanceState.BUSY),
        _instance(tmp_path, "ended", idle_since_s=0.0, state=InstanceState.DEAD),
    ]
    reclaims = policy.reclaims(idle, now_s=100.0)
    assert [r.instance for r in reclaims] == [old]
    assert reclaims[0].reason == "idle 660.0 s >= keep-alive 600 s"


def test_sebs_reclaims_the_longer_idle_half_rounded_up(tmp_path: Path) -> None:
    policy = keep_alive_policy(EmulatorOptions(idle_policy="sebs", time_scale=360))
    assert isinstance(policy, SebsKeepAlive) and policy.tick_real_s == 1.0
    idle = [_instance(tmp_path, f"i{n}", idle_since_s=float(n)) for n in (4, 0, 3, 1, 2)]
    idle.append(_instance(tmp_path, "provisioned", idle_since_s=-1.0, provisioned=True))
    reclaims = policy.reclaims(idle, now_s=10.0)
    assert [r.instance.id for r in reclaims] == ["i0", "i1", "i2"]
    assert {r.reason for r in reclaims} == {"sebs: half of 5 idle reclaimed"}
    assert policy.reclaims([], now_s=10.0) == []


@pytest.fixture
def spec(tmp_path: Path) -> FunctionSpec:
    code = tmp_path / "code.zip"
    code.write_bytes(b"")
    return FunctionSpec(name="fn", language="python", memory_mb=512, timeout_s=5,
                        handler="app.handler", code_zip=code, region="eu-west-1",
                        environment={"MODEL_PATH": "/opt/model.zip", "DATA": "/tmp",
                                     "OTHER": "/optional/x", "PLAIN": "v"})


def test_environment_is_lambdas_then_the_stacks_with_paths_mapped(
    spec: FunctionSpec, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EMULATOR_HOST_SECRET", "not for the function")
    inst = _instance(tmp_path, "abc")
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
    inst = _instance(tmp_path, "snap", init_type=InitType.SNAP_START)
    env = instance_environment(spec, inst, s3_endpoint="http://127.0.0.1:9")
    assert env["AWS_LAMBDA_INITIALIZATION_TYPE"] == "snap-start"
    assert "AWS_LAMBDA_LOG_GROUP_NAME" not in env and "AWS_LAMBDA_LOG_STREAM_NAME" not in env
    assert env["MODEL_S3_ENDPOINT"] == "http://127.0.0.1:9"


def test_platform_lines_of_inits_and_crashes() -> None:
    assert init_report_line(12.345, status="success") == (
        "INIT_REPORT Init Duration: 12.35 ms\tPhase: init\tStatus: success")
    assert init_report_line(3.0, status="error", error_type="Runtime.ExitError") == (
        "INIT_REPORT Init Duration: 3.00 ms\tPhase: init\tStatus: error"
        "\tError Type: Runtime.ExitError")
    assert init_report_line(10000.0, status="timeout", error_type="Sandbox.Timedout") == (
        "INIT_REPORT Init Duration: 10000.00 ms\tPhase: init\tStatus: timeout")
    assert crashed_lines("r-1", exit_code=-9, error_type="Runtime.OutOfMemory") == [
        "RequestId: r-1 Error: Runtime exited with error: signal: killed", "Runtime.OutOfMemory"]
    assert crashed_lines("r-2", exit_code=1, error_type="Runtime.ExitError")[0].endswith(
        "exit status 1")
