"""Instance behaviour both functions share: cold-start headers, request ids, routing
fallbacks, and an unexpected failure answering 500 while the instance keeps serving."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from ..support.runtimes import (
    RUNTIMES,
    Functions,
    JavaHarness,
    PythonFunction,
    body_of,
    error_code,
    event,
)

VALID = (
    '{"instances":[{"duration":0,"protocol_type":"tcp","service":"http",'
    '"src_bytes":181,"count":2}]}'
)


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_cold_start_headers_flip_once(
    runtime: str, functions: Functions, artifacts: dict[str, Path]
) -> None:
    function = functions.fresh(runtime, artifacts["mixed"])
    first = function.invoke(event(body=VALID))
    second = function.invoke(event(body=VALID))
    third = function.invoke(event("GET", "/nope"))
    assert first["headers"]["x-cold-start"] == "true"
    assert re.fullmatch(r"\d+\.\d{3}", first["headers"]["x-init-ms"])
    assert float(first["headers"]["x-init-ms"]) > 0
    for later in (second, third):
        assert later["headers"]["x-cold-start"] == "false"
        assert "x-init-ms" not in later["headers"]
    ids = {r["headers"]["x-instance-id"] for r in (first, second, third)}
    assert len(ids) == 1
    assert re.fullmatch(r"[0-9a-f]{16}", ids.pop())


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_instances_have_distinct_ids(
    runtime: str, functions: Functions, artifacts: dict[str, Path]
) -> None:
    one = functions.fresh(runtime, artifacts["mixed"]).invoke(event("GET", "/health"))
    two = functions.fresh(runtime, artifacts["mixed"]).invoke(event("GET", "/health"))
    assert one["headers"]["x-instance-id"] != two["headers"]["x-instance-id"]
    # A cold start even when the first request is an error.
    assert one["headers"]["x-cold-start"] == "true"


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_restored_environments_draw_their_own_ids(
    runtime: str, functions: Functions, artifacts: dict[str, Path]
) -> None:
    # SnapStart: init ran once; each environment restored from its snapshot starts with the
    # same memory and must still be told apart, and neither restore is a cold start.
    function = functions.fresh(
        runtime, artifacts["mixed"], AWS_LAMBDA_INITIALIZATION_TYPE="snap-start"
    )
    one = function.restore(event(body=VALID), 2)
    two = function.restore(event(body=VALID), 1)
    assert one[0]["statusCode"] == two[0]["statusCode"] == 200
    ids = [r["headers"]["x-instance-id"] for r in (*one, *two)]
    assert ids[0] == ids[1], "one environment keeps its id"
    assert ids[0] != ids[2], "two restored environments share an id"
    for first in (one[0], two[0]):
        assert first["headers"]["x-cold-start"] == "false"
        assert first["headers"]["x-restore"] == "true"
        # Init's time belongs to the snapshot, not to this environment.
        assert "x-init-ms" not in first["headers"]


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_provisioned_instance_answers_warm_first(
    runtime: str, functions: Functions, artifacts: dict[str, Path]
) -> None:
    function = functions.fresh(
        runtime, artifacts["mixed"], AWS_LAMBDA_INITIALIZATION_TYPE="provisioned-concurrency"
    )
    first = function.invoke(event(body=VALID))
    assert first["headers"]["x-cold-start"] == "false"
    assert first["headers"]["x-init-type"] == "provisioned-concurrency"
    assert float(first["headers"]["x-init-ms"]) > 0


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_request_id_falls_back_to_unknown(
    runtime: str, functions: Functions, artifacts: dict[str, Path]
) -> None:
    evt = event("GET", "/health")
    del evt["requestContext"]["requestId"]
    response = functions.get(runtime, artifacts["mixed"]).invoke(evt)
    assert response["headers"]["x-request-id"] == "unknown"


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_route_key_is_the_fallback_for_method_and_path(
    runtime: str, functions: Functions, artifacts: dict[str, Path]
) -> None:
    function = functions.get(runtime, artifacts["mixed"])
    evt = event(body=VALID)
    del evt["rawPath"]
    del evt["requestContext"]["http"]
    evt["routeKey"] = "POST /predict"
    assert function.invoke(evt)["statusCode"] == 200
    evt["routeKey"] = "$default"
    assert error_code(function.invoke(evt)) == "not_found"
    junk_events: list[object] = [None, [], "text", 3]
    for junk in junk_events:
        assert error_code(function.invoke(junk)) == "not_found"


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_named_stage_prefix_is_removed_only_for_that_stage(
    runtime: str, functions: Functions, artifacts: dict[str, Path]
) -> None:
    function = functions.get(runtime, artifacts["mixed"])
    evt = event(path="/prod/predict", body=VALID)
    assert error_code(function.invoke(evt)) == "not_found"  # stage is $default
    evt["requestContext"]["stage"] = "prod"
    assert function.invoke(evt)["statusCode"] == 200
    evt["rawPath"] = "/prodpredict"
    assert error_code(function.invoke(evt)) == "not_found"


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_body_field_that_is_not_a_string(
    runtime: str, functions: Functions, artifacts: dict[str, Path]
) -> None:
    evt = event(body=VALID)
    evt["body"] = {"instances": []}
    response = functions.get(runtime, artifacts["mixed"]).invoke(evt)
    assert error_code(response) == "invalid_request"


def test_python_internal_error_answers_500_and_keeps_serving(
    functions: Functions,
    artifacts: dict[str, Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    function = functions.fresh("python", artifacts["mixed"])
    assert isinstance(function, PythonFunction)

    def broken(instances: object) -> object:
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(function.state.model, "score", broken)
    response = function.invoke(event(body=VALID), request_id="req-500")
    assert response["statusCode"] == 500
    assert body_of(response) == {
        "error": {"code": "internal_error", "message": "internal error; request id req-500"}
    }
    assert response["headers"]["x-request-id"] == "req-500"
    logged = capsys.readouterr().err
    assert "req-500" in logged and "ZeroDivisionError" in logged
    monkeypatch.undo()
    assert function.invoke(event(body=VALID))["statusCode"] == 200


@pytest.mark.java
def test_java_internal_error_answers_500_and_keeps_serving(
    functions: Functions, artifacts: dict[str, Path]
) -> None:
    function = functions.fresh("java", artifacts["mixed"])
    assert isinstance(function, JavaHarness)
    response = function.request({"op": "broken", "request_id": "req-500"})
    assert response["statusCode"] == 500
    assert body_of(response) == {
        "error": {"code": "internal_error", "message": "internal error; request id req-500"}
    }
    assert "Exception" not in response["body"]
    assert function.invoke(event(body=VALID))["statusCode"] == 200
    function.close()
    assert any("req-500" in line for line in function.stderr)


def test_python_handler_is_the_module_entry_point(
    functions: Functions, artifacts: dict[str, Path]
) -> None:
    app = sys.modules["app"]
    response = app.handler(event("GET", "/health"), None)
    assert response["statusCode"] == 200
    assert app.__all__ == sorted(app.__all__) == ["handler"]
