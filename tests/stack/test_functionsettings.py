"""A ``function`` stack: a team's own function, its settings and every file problem, one line
each, found before anything is built or started."""

from __future__ import annotations

from pathlib import Path

import pytest

from stack import SettingsError, StackSettings, load_stack, load_stack_file

from ..support.function_stacks import write_function


def problems_of(stack_file: Path) -> list[str]:
    with pytest.raises(SettingsError) as caught:
        load_stack_file(stack_file)
    return caught.value.problems


def test_a_function_stack_loads_with_its_language_and_routes_derived(tmp_path: Path) -> None:
    settings = load_stack_file(write_function(tmp_path))
    assert settings.is_function and not settings.is_worker
    assert (settings.language, settings.runtime) == ("python", "python3.12")
    assert settings.handler == "app.lambda_handler"
    assert settings.route_keys is None  # $default: every request reaches the function
    assert settings.routes == "$default"


def test_a_function_stack_has_memory_variants(tmp_path: Path) -> None:
    write_function(tmp_path)
    variant = load_stack("echo@1024", tmp_path)
    assert (variant.name, variant.memory_mb, variant.handler) == (
        "echo-at-1024",
        1024,
        "app.lambda_handler",
    )


def test_no_handler_file_is_one_line_naming_lambdas_error(tmp_path: Path) -> None:
    problems = problems_of(write_function(tmp_path, handler="main.lambda_handler"))
    assert len(problems) == 1
    assert "no main.py" in problems[0] and "Runtime.ImportModuleError" in problems[0]


def test_a_handler_name_that_does_not_exist_is_one_line(tmp_path: Path) -> None:
    problems = problems_of(write_function(tmp_path, handler="app.handler"))
    assert len(problems) == 1
    assert "defines no handler" in problems[0] and "lambda_handler" in problems[0]
    assert "Runtime.HandlerNotFound" in problems[0]


def test_a_handler_bound_by_import_or_assignment_is_accepted(tmp_path: Path) -> None:
    source = "from json import dumps as handler\nother = handler\n"
    assert load_stack_file(write_function(tmp_path, source=source, handler="app.other"))


def test_an_invalid_request_file_is_one_line_per_problem(tmp_path: Path) -> None:
    stack_file = write_function(
        tmp_path, requests=[{"method": "FETCH", "path": "/a"}, {"path": "no-slash", "weight": 0}]
    )
    problems = problems_of(stack_file)
    assert len(problems) == 3
    assert any("method 'FETCH'" in p and "[0]" in p for p in problems)
    assert any("path 'no-slash'" in p and "[1]" in p for p in problems)
    assert any("weight 0" in p for p in problems)


def test_a_request_no_declared_route_takes_is_refused(tmp_path: Path) -> None:
    stack_file = write_function(tmp_path, extra="  lambda-model-study:routes: POST /echo\n")
    problems = problems_of(stack_file)
    assert len(problems) == 1
    assert "GET /echo matches none of" in problems[0] and "404" in problems[0]


def test_every_problem_of_a_function_stack_is_reported_at_once(tmp_path: Path) -> None:
    stack_file = write_function(
        tmp_path,
        handler="nope.fn",
        extra="  lambda-model-study:model_runtime: litert\n"
        "  lambda-model-study:requirements: missing.txt\n",
    )
    problems = problems_of(stack_file)
    assert any("no nope.py" in p for p in problems)
    assert any("missing.txt does not exist" in p for p in problems)
    assert any("model_runtime is set but a function stack" in p for p in problems)


def test_function_settings_on_a_model_stack_are_refused() -> None:
    with pytest.raises(SettingsError) as caught:
        StackSettings(name="m", language="python", memory_mb=512, code="fn", requests="r.json")
    assert len(caught.value.problems) == 2
    assert all("only used with kind: function" in p for p in caught.value.problems)


def test_a_function_runtime_outside_the_supported_ones_is_refused(tmp_path: Path) -> None:
    stack_file = write_function(tmp_path)
    stack_file.write_text(stack_file.read_text().replace("python3.12", "python3.9"))
    problems = problems_of(stack_file)
    assert any("python3.10, python3.11, python3.12, python3.13" in p for p in problems)


def test_a_request_a_parameterised_route_takes_is_accepted(tmp_path: Path) -> None:
    stack_file = write_function(
        tmp_path,
        requests=[{"method": "GET", "path": "/echo/12?full=1"}],
        extra="  lambda-model-study:routes: GET /echo/{id}\n",
    )
    assert load_stack_file(stack_file).route_keys == ("GET /echo/{id}",)
