"""A function stack under Pulumi's mocks: what ``pulumi up --stack <name>`` declares for a
team's own function, as a zip (its wheels inside) and as an image from its own Dockerfile."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

import stack.aws._program
from stack._functionpackage import build_function_package

from ..support.function_stacks import write_function
from ..support.pulumi_harness import Run, pulumi_config, run_program

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:pulumi_aws")

T_FUNCTION = "aws:lambda/function:Function"
T_ROUTE = "aws:apigatewayv2/route:Route"
T_IMAGE = "docker-build:index:Image"
T_LAYER = "aws:lambda/layerVersion:LayerVersion"


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Path]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(stack.aws._program, "project_root", lambda: tmp_path)
        patch.setattr(
            stack.aws._program,
            "build_function_package",
            functools.partial(build_function_package, root=tmp_path),
        )
        yield tmp_path


def test_a_zip_function_deploys_with_its_handler_routes_and_layer(project: Path) -> None:
    (project / "shared").mkdir()
    (project / "shared" / "util.py").write_text("X = 1\n")
    stack_file = write_function(
        project,
        extra=(
            "  lambda-model-study:routes: GET /echo,POST /echo\n"
            "  lambda-model-study:layers: shared\n"
            "  lambda-model-study:environment:\n    GREETING: hello\n"
        ),
    )
    run = run_program("echo", pulumi_config(stack_file))
    function = run.one(T_FUNCTION).inputs
    assert (function["handler"], function["runtime"], function["memorySize"]) == (
        "app.lambda_handler",
        "python3.12",
        256,
    )
    assert function.get("packageType", "Zip") == "Zip"
    assert function["environment"] == {"variables": {"GREETING": "hello"}}
    assert len(function["layers"]) == 1 and len(run.of_type(T_LAYER)) == 1
    routes = {r.inputs["routeKey"]: r.inputs["authorizationType"] for r in run.of_type(T_ROUTE)}
    assert routes == {"GET /echo": "NONE", "POST /echo": "NONE"}  # the stack file says none
    assert set(run.exports) >= {"url", "function_name", "log_group", "memory_mb"}
    assert run.exports["function_name"] == "lambda-model-study-echo"
    assert run.exports["access_log_group"] == "/aws/vendedlogs/apigateway/lambda-model-study-echo"


def test_an_image_function_is_built_from_its_own_dockerfile(project: Path) -> None:
    stack_file = write_function(
        project, extra="  lambda-model-study:image: echo/Lambda.Dockerfile\n"
    )
    (project / "echo" / "Lambda.Dockerfile").write_text(
        "FROM public.ecr.aws/lambda/python:3.12\nCOPY app.py ${LAMBDA_TASK_ROOT}/\n"
        'CMD ["app.lambda_handler"]\n'
    )
    config = pulumi_config(stack_file)
    config["lambda-model-study:authorization"] = "iam"
    run: Run = run_program("echo", config)
    function = run.one(T_FUNCTION).inputs
    assert function["packageType"] == "Image"
    assert function["imageConfig"] == {"commands": ["app.lambda_handler"]}
    image = run.one(T_IMAGE).inputs
    assert image["context"] == {"location": str((project / "echo").resolve())}
    assert image["dockerfile"] == {
        "location": str((project / "echo" / "Lambda.Dockerfile").resolve())
    }
    routes = {r.inputs["routeKey"]: r.inputs["authorizationType"] for r in run.of_type(T_ROUTE)}
    assert routes == {"$default": "AWS_IAM"}


def test_a_function_whose_handler_is_missing_stops_the_program_in_one_line(project: Path) -> None:
    stack_file = write_function(project, handler="nope.handler")
    into = Run()
    with pytest.raises(Exception) as caught:
        run_program("echo", pulumi_config(stack_file), run=into)
    assert "no nope.py" in str(caught.value)
    assert not into.of_type(T_FUNCTION)
    json.dumps(into.exports)  # nothing unserialisable left behind


def test_a_zip_over_50_mb_is_deployed_from_s3(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import stack._deployable as deployable

    monkeypatch.setattr(deployable, "DIRECT_UPLOAD_BYTES_MAX", 10)  # any zip is over it
    run = run_program("echo", pulumi_config(write_function(project)))
    function = run.one(T_FUNCTION).inputs
    archive = run.one("aws:s3/bucketObjectv2:BucketObjectv2").inputs
    assert archive["key"].startswith("archives/function-echo-")
    assert function["s3Key"] == archive["key"] and "code" not in function
