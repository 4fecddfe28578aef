"""tests/contract/cases.json drives both functions: same status, same error code, every case;
and the same headers for each init type (on demand, provisioned concurrency, SnapStart restore)."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from typing import Any

import pytest

from contract import INIT_MS_HEADER, RESPONSE_HEADERS

from ..support.paths import CASES_FILE, REPO
from ..support.runtimes import (
    RUNTIMES,
    Functions,
    body_of,
    build_event,
    error_code,
    event,
    load_json,
)

CASES = load_json(CASES_FILE)
CODES = {
    400: {"invalid_json", "invalid_request", "missing_feature", "unknown_feature", "invalid_value"},
    404: {"not_found"},
    405: {"method_not_allowed"},
    413: {"too_many_instances", "payload_too_large"},
}


def test_cases_file_is_well_formed() -> None:
    names = [case["name"] for case in CASES["cases"]]
    assert len(names) == len(set(names)), "case names must be unique"
    assert (REPO / CASES["model"]).is_file()
    for case in CASES["cases"]:
        if case["status"] == 200:
            assert case["code"] is None, case["name"]
        else:
            assert case["code"] in CODES[case["status"]], case["name"]
    # Every error code of docs/api.md but internal_error (tested apart) has a case.
    assert {c["code"] for c in CASES["cases"]} - {None} == set().union(*CODES.values())


def test_cases_cover_the_documented_codes() -> None:
    documented = (REPO / "docs" / "api.md").read_text(encoding="utf-8")
    for codes in CODES.values():
        for code in codes:
            assert f"`{code}`" in documented, code


@pytest.mark.parametrize("runtime", RUNTIMES)
@pytest.mark.parametrize("case", CASES["cases"], ids=[c["name"] for c in CASES["cases"]])
def test_case(
    runtime: str, case: dict[str, Any], functions: Functions, artifacts: dict[str, Path]
) -> None:
    function = functions.get(runtime, artifacts["mixed"], **case.get("env", {}))
    response = function.invoke(build_event(case), request_id="lambda-req-7")
    assert (response["statusCode"], error_code(response)) == (case["status"], case["code"])
    headers = response["headers"]
    assert headers["content-type"] == "application/json"
    assert headers["x-runtime"] == runtime
    assert headers["x-request-id"] == "lambda-req-7"
    assert headers["x-model-version"] == load_json(REPO / CASES["model"])["model_version"]
    assert response["isBase64Encoded"] is False
    assert headers.get("allow") == case.get("allow")
    body = body_of(response)
    if case["status"] != 200:
        assert set(body) == {"error"}
        assert isinstance(body["error"]["message"], str) and body["error"]["message"]
        assert "Traceback" not in body["error"]["message"]
    elif case.get("path", "/predict") == "/predict":
        sent = json.loads(
            base64.b64decode(build_event(case)["body"])
            if case.get("base64")
            else build_event(case)["body"]
        )
        assert len(body["predictions"]) == len(sent["instances"])
        for prediction in body["predictions"]:
            assert 0.0 <= prediction["probability"] <= 1.0
            assert isinstance(prediction["anomaly"], bool)


def _check_headers(headers: dict[str, str], expected: dict[str, str | None], name: str) -> None:
    for header, value in expected.items():
        if value is None:
            assert header not in headers, (name, header)
        elif value == "<ms>":
            assert re.fullmatch(r"\d+\.\d{3}", headers[header]), (name, header)
        else:
            assert headers[header] == value, (name, header)


@pytest.mark.parametrize("runtime", RUNTIMES)
@pytest.mark.parametrize("case", CASES["lifecycle"], ids=[c["name"] for c in CASES["lifecycle"]])
def test_lifecycle(
    runtime: str, case: dict[str, Any], functions: Functions, artifacts: dict[str, Path]
) -> None:
    env = {} if case["init_type"] is None else {"AWS_LAMBDA_INITIALIZATION_TYPE": case["init_type"]}
    function = functions.fresh(runtime, artifacts["mixed"], **env)
    health = event("GET", "/health")
    if case["init_type"] == "snap-start":
        first, later = function.restore(health, 2)
    else:
        first, later = function.invoke(health), function.invoke(health)
    _check_headers(first["headers"], case["first"], case["name"])
    _check_headers(later["headers"], case["later"], case["name"])
    assert first["headers"]["x-instance-id"] == later["headers"]["x-instance-id"]
    assert re.fullmatch(r"[0-9a-f]{16}", first["headers"]["x-instance-id"])


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_every_response_carries_the_contracts_headers_and_no_others(
    runtime: str, functions: Functions, artifacts: dict[str, Path]
) -> None:
    function = functions.fresh(runtime, artifacts["mixed"])
    health = event("GET", "/health")
    first, later = function.invoke(health), function.invoke(health)
    own = {"content-type"}
    assert set(first["headers"]) - own == {*RESPONSE_HEADERS, INIT_MS_HEADER}, runtime
    assert set(later["headers"]) - own == set(RESPONSE_HEADERS), runtime
