"""A team's own function (a ``function`` stack) hosted by the emulator: its package, its
requirements built for the host, its routes; a handler that cannot be loaded answers as Lambda
does (the init error in the log, the gateway's 500)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "stack"))
from function_helpers import offline_requirements, write_function, write_wheel

from emulator._stacks import spec_from_function_stack
from stack import load_stack_file
from stack._functionpackage import build_function_package, host_dependencies

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

USES_DEPENDENCY = '''\
import json
import tinydep

def lambda_handler(event, context):
    return {"statusCode": 200, "body": json.dumps({"value": tinydep.VALUE,
                                                   "path": event["rawPath"]})}
'''


def _spec(tmp_path: Path, **kwargs: Any) -> Any:
    write_wheel(tmp_path / "index")
    settings = load_stack_file(write_function(
        tmp_path, requirements=offline_requirements(tmp_path / "index", "tinydep"), **kwargs))
    package = build_function_package(settings, root=tmp_path)
    return spec_from_function_stack(settings, package, host_dependencies(settings, root=tmp_path))


async def test_the_function_answers_with_its_dependency_from_the_host_tree(
        tmp_path: Path, emulator_at: Callable[..., Any]) -> None:
    spec = _spec(tmp_path, source=USES_DEPENDENCY,
                 extra="  lambda-model-study:routes: GET /echo,POST /echo\n")
    assert spec.kind == "function" and spec.routes == ("GET /echo", "POST /echo")
    async with emulator_at([spec]) as running, httpx.AsyncClient(timeout=30) as client:
        answer = await client.get(f"{running.url('echo')}/echo")
        other = await client.get(f"{running.url('echo')}/elsewhere")
    assert answer.status_code == 200
    assert answer.json() == {"value": 42, "path": "/echo"}
    assert other.status_code == 404  # a route the stack does not declare: the gateway's
    assert any(r.init_duration_ms is not None for r in running.reports("echo"))


async def test_a_handler_that_fails_to_import_answers_as_lambda_does(
        tmp_path: Path, emulator_at: Callable[..., Any]) -> None:
    # Statically fine (the file and the function exist); its import fails at init.
    spec = _spec(tmp_path, source="import not_installed_anywhere\n\ndef lambda_handler(e, c):\n"
                                  "    return {}\n")
    async with emulator_at([spec]) as running, httpx.AsyncClient(timeout=30) as client:
        answer = await client.get(f"{running.url('echo')}/echo")
        log = running.log_text("echo")
    assert answer.status_code == 500
    assert answer.json() == {"message": "Internal Server Error"}
    assert "Runtime.ImportModuleError" in log
