"""The loadgen-worker stack: its settings, its package, its AWS resources."""

from __future__ import annotations

import functools
import json
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

import stack._workerpackage
import stack.aws._program
from contract import WORKER_HANDLER
from stack import (
    PROJECT,
    PackageError,
    SettingsError,
    StackSettings,
    build_package,
    list_stacks,
    load_stack,
)
from stack._workerpackage import WORKER_SOURCES, build_worker_package
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


def test_the_worker_stack_is_a_worker_and_not_a_model_stack() -> None:
    settings = load_stack(WORKER_STACK)
    assert settings.is_worker and settings.handler == WORKER_HANDLER
    assert settings.timeout_s == 900 and settings.warnings == ()
    assert WORKER_STACK not in list_stacks()
    assert WORKER_STACK in list_stacks(kind="loadgen-worker")
    assert all(not load_stack(name).is_worker for name in list_stacks())


def test_a_stack_file_with_an_unknown_kind_is_listed_so_that_loading_reports_it(
    tmp_path: Path,
) -> None:
    for name, kind in (("a", "loadgen-worker"), ("b", "worker"), ("c", None)):
        line = f"  {PROJECT}:kind: {kind}\n" if kind else ""
        (tmp_path / f"Pulumi.{name}.yaml").write_text(
            f"config:\n{line}  {PROJECT}:language: python\n  {PROJECT}:memory_mb: 512\n"
        )
    assert list_stacks(tmp_path) == ["b", "c"]
    assert list_stacks(tmp_path, kind="loadgen-worker") == ["a"]
    assert list_stacks(tmp_path, kind=None) == ["a", "b", "c"]
    with pytest.raises(SettingsError, match="kind is 'worker'; use one of"):
        load_stack("b", tmp_path)


def test_a_worker_defaults_its_worker_count_limit() -> None:
    settings = StackSettings(name="w", kind="loadgen-worker", language="python", memory_mb=1024)
    assert settings.workers_max == 100 and settings.runtime == "python3.12"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"model_runtime": "litert"}, "model_runtime is set but a loadgen-worker stack serves"),
        ({"cold_start_mitigation": "snapstart"}, "cold_start_mitigation is set but"),
        ({"language": "java"}, "set lambda-model-study:language to python"),
        ({"runtime": "python3.11"}, "the worker's wheels are built for python3.12"),
        ({"architecture": "arm64"}, "hdrhistogram, which the worker needs, has wheels for"),
        ({"workers_max": 0}, "workers_max is 0; it must be 1 to 1000 workers"),
        ({"reserved_concurrency": 10}, "reserved_concurrency (10) is below"),
        ({"kind": "worker"}, "kind is 'worker'; use one of: model, loadgen-worker"),
    ],
)
def test_a_worker_stack_refuses_what_it_cannot_use(
    changes: dict[str, object], message: str
) -> None:
    values: dict[str, object] = {"name": "w", "kind": "loadgen-worker", "language": "python",
                                 "memory_mb": 1024, **changes}
    with pytest.raises(SettingsError) as error:
        StackSettings(**values)  # type: ignore[arg-type]
    assert message in str(error.value)


def test_workers_max_is_refused_on_a_model_stack() -> None:
    with pytest.raises(SettingsError) as error:
        StackSettings(name="m", language="python", memory_mb=512, workers_max=4)
    assert "only used with kind: loadgen-worker" in str(error.value)


# ---- the package -------------------------------------------------------------------------



def test_the_worker_zip_holds_the_load_generator_and_its_wheels(tmp_path: Path) -> None:
    root = worker_root(tmp_path)
    package = build_worker_package(load_stack(WORKER_STACK), root=root)
    with zipfile.ZipFile(package.code_zip) as archive:
        names = set(archive.namelist())
    # contract/ reads a team's request file, which a worker may be sent.
    assert {"loadgen/workers/_handler.py", "loadgen/plans/_staged_plan.py",
            "loadgen/data/payload.jsonl",
            "resultfiles/__init__.py", "contract/__init__.py",
            "contract/_requests.py"} <= names  # fmt: skip
    assert {"anyio/__init__.py", "httpx/__init__.py", "hdrh/histogram.py",
            "httptools/__init__.py", "yaml/__init__.py"} <= names  # fmt: skip
    tops = {name.split("/")[0] for name in names}
    assert not tops & {"stack", "emulator", "report", "model", "study", "runtime"}
    assert not [name for name in names if "__pycache__" in name or "/tests/" in name]
    assert package.handler == "loadgen.workers._handler.handler"
    assert package.size_bytes == package.code_zip.stat().st_size
    assert package.unzipped_bytes > package.size_bytes and not package.code_from_s3
    assert [line.split(">")[0].split("<")[0] for line in package.requirements] == [
        "anyio", "httpx", "hdrhistogram", "httptools", "PyYAML"]  # fmt: skip


def test_the_worker_zip_is_deterministic(tmp_path: Path) -> None:
    root = worker_root(tmp_path)
    settings = load_stack(WORKER_STACK)
    first = build_worker_package(settings, root=root, out_dir=tmp_path / "a")
    second = build_worker_package(settings, root=root, out_dir=tmp_path / "b")
    assert first.code_zip.read_bytes() == second.code_zip.read_bytes()
    assert first.code_sha256_b64 == second.code_sha256_b64
    other = build_worker_package(replace(settings, runtime="python3.13"), root=root,
                                 out_dir=tmp_path / "c")
    assert "python3.13" in other.code_zip.name and other.dependencies != first.dependencies


def test_a_worker_over_lambdas_unzipped_limit_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = worker_root(tmp_path)
    monkeypatch.setattr(stack._workerpackage, "UNZIPPED_BYTES_MAX", 1000)
    with pytest.raises(PackageError, match="over Lambda's .* unzipped limit"):
        build_worker_package(load_stack(WORKER_STACK), root=root)


def test_the_model_packager_refuses_a_worker_stack(tmp_path: Path) -> None:
    with pytest.raises(PackageError, match="is a loadgen-worker stack.*build_worker_package"):
        build_package(load_stack(WORKER_STACK), root=worker_root(tmp_path))


def test_a_checkout_without_the_worker_handler_is_refused(tmp_path: Path) -> None:
    root = worker_root(tmp_path)
    (root / "loadgen" / "workers" / "_handler.py").unlink()
    with pytest.raises(PackageError, match=r"workers/_handler.py is missing"):
        build_worker_package(load_stack(WORKER_STACK), root=root)


def test_the_load_generator_imports_only_what_the_worker_ships() -> None:
    # Every module of loadgen, imported in a clean interpreter, then a team's request file read
    # as a worker sent one reads it: the project's packages it loads must be in the zip, and
    # its third-party ones installed from the pins.
    probe = (
        "import importlib, json, pathlib, pkgutil, sys, tempfile\n"
        "import loadgen\n"
        "for m in pkgutil.walk_packages(loadgen.__path__, 'loadgen.'):\n"
        "    if m.name != 'loadgen.__main__': importlib.import_module(m.name)\n"
        "from loadgen.transport._requests import function_request_set\n"
        "path = pathlib.Path(tempfile.mkdtemp()) / 'requests.json'\n"
        "path.write_text('{\"method\": \"GET\", \"path\": \"/\"}')\n"
        "function_request_set(path)\n"
        "print(json.dumps(sorted({n.split('.')[0] for n in sys.modules})))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], cwd=REPO, capture_output=True,
                            text=True, check=True)  # fmt: skip
    loaded = set(json.loads(result.stdout))
    project = {"loadgen", "resultfiles", "contract", "stack", "emulator", "report", "model",
               "study", "runtime"}  # fmt: skip
    assert loaded & project == set(WORKER_SOURCES)
    assert {"anyio", "httpx", "hdrh", "httptools"} <= loaded


# ---- the AWS resources, under Pulumi's mocks ----------------------------------------------

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
    assert all(block.inputs[key] for key in ("blockPublicAcls", "blockPublicPolicy",
                                             "ignorePublicAcls", "restrictPublicBuckets"))
    encryption = worker_run.one(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    )
    rule = encryption.inputs["rules"][0]["applyServerSideEncryptionByDefault"]
    assert rule["sseAlgorithm"] == "AES256"
    policy = json.loads(worker_run.one("aws:s3/bucketPolicy:BucketPolicy").inputs["policy"])
    assert policy == tls_only_bucket_policy(arn)
    lifecycle = worker_run.one(
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
    )
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
