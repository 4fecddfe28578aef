"""The contract module is the one owner of what the functions, the stacks and the emulator
agree on; the standalone functions in runtime/ are held to it here, by reading their sources
(they import nothing of this repository, so nothing else can hold them)."""

from __future__ import annotations

import ast
import json
import math
import re
import subprocess
import sys
from pathlib import Path

import pytest

import contract
from contract import (
    DEFAULT_RUNTIMES,
    HANDLERS,
    LANGUAGES,
    MODEL_ENVIRONMENT,
    PAYLOAD_LIMIT_BYTES,
    PYTHON_ONLY_MODEL_ENVIRONMENT,
    ROUTE_KEYS,
    ROUTES,
    RUNTIMES,
    billed_duration_ms,
    billed_restore_ms,
    ping_event,
)

REPO = Path(__file__).resolve().parents[2]
PYTHON_RUNTIME = REPO / "runtime" / "python"
JAVA_SOURCES = REPO / "runtime" / "java" / "src" / "predictor"


def _python_literal(path: Path, name: str) -> object:
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == name for target in node.targets
        ):
            return ast.literal_eval(node.value)
    raise AssertionError(f"{path} assigns no {name}")


def _imported_modules(code: str) -> list[str]:
    result = subprocess.run(
        [sys.executable, "-c", f"{code}; import sys, json; print(json.dumps(sorted(sys.modules)))"],
        cwd=REPO, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return [name.split(".")[0] for name in json.loads(result.stdout)]


def test_public_surface_is_sorted() -> None:
    assert contract.__all__ == sorted(contract.__all__)
    assert all(hasattr(contract, name) for name in contract.__all__)


def test_the_route_keys_are_the_routes() -> None:
    assert ROUTE_KEYS == ("POST /predict", "GET /health")
    assert dict(ROUTES) == {"/predict": "POST", "/health": "GET"}


def test_the_python_function_answers_the_contracts_routes() -> None:
    assert _python_literal(PYTHON_RUNTIME / "_contract.py", "_ROUTES") == dict(ROUTES)


def test_the_java_function_answers_the_contracts_routes() -> None:
    source = (JAVA_SOURCES / "Api.java").read_text(encoding="utf-8")
    routes = dict(re.findall(r'"(/[a-z]+)"\.equals\(path\) \? "([A-Z]+)"', source))
    assert routes == dict(ROUTES)


def test_the_handlers_exist_where_lambda_looks() -> None:
    module, _, function = HANDLERS["python"].partition(".")
    tree = ast.parse((PYTHON_RUNTIME / f"{module}.py").read_text(encoding="utf-8"))
    assert function in {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
    class_name, _, method = HANDLERS["java"].partition("::")
    package, _, simple = class_name.rpartition(".")
    java = (REPO / "runtime" / "java" / "src" / package / f"{simple}.java").read_text("utf-8")
    assert re.search(rf"public \S+ {method}\(", java)
    assert set(HANDLERS) == set(LANGUAGES) == set(RUNTIMES) == set(DEFAULT_RUNTIMES)


def test_the_functions_read_exactly_the_models_environment() -> None:
    python = "".join(p.read_text("utf-8") for p in PYTHON_RUNTIME.glob("*.py"))
    java = "".join(p.read_text("utf-8") for p in JAVA_SOURCES.glob("*.java"))
    read = {name: set(re.findall(r'"(MODEL_[A-Z_]+)"', source))
            for name, source in (("python", python), ("java", java))}
    assert read["python"] == set(MODEL_ENVIRONMENT)
    assert read["java"] == set(MODEL_ENVIRONMENT) - set(PYTHON_ONLY_MODEL_ENVIRONMENT)


def _product(expression: str) -> int:
    """The value of a constant written as a product of integers (``6 * 1024 * 1024``)."""
    return math.prod(int(factor) for factor in expression.split("*"))


def test_the_functions_refuse_bodies_beyond_lambdas_payload_limit() -> None:
    assert PAYLOAD_LIMIT_BYTES == 6 * 1024 * 1024
    python = re.search(r"^MAX_BODY_BYTES = ([0-9* ]+)$",
                       (PYTHON_RUNTIME / "_contract.py").read_text("utf-8"), re.MULTILINE)
    java = re.search(r"static final int MAX_BODY_BYTES = ([0-9* ]+);",
                     (JAVA_SOURCES / "Api.java").read_text("utf-8"))
    assert python and java, "each function states its body limit as MAX_BODY_BYTES"
    assert _product(python.group(1)) == _product(java.group(1)) == PAYLOAD_LIMIT_BYTES


def test_the_runtimes_start_where_the_functions_are_built_for() -> None:
    # The Java classes are compiled for release 17; the Python function for 3.11.
    release = _python_literal(REPO / "runtime" / "java" / "build.py", "RELEASE")
    assert RUNTIMES["java"][0] == f"java{release}"
    assert RUNTIMES["python"][0] == "python3.11"
    for language, default in DEFAULT_RUNTIMES.items():
        assert default in RUNTIMES[language]


def test_the_ping_is_an_ordinary_health_request() -> None:
    event = ping_event()
    http = event["requestContext"]["http"]
    assert event["routeKey"] == event["requestContext"]["routeKey"] == "GET /health"
    assert ROUTES[event["rawPath"]] == http["method"] and http["path"] == event["rawPath"]
    assert event["routeKey"] in ROUTE_KEYS
    assert ping_event() == event and ping_event() is not event


@pytest.mark.parametrize(
    ("duration_ms", "init_duration_ms", "billed"),
    [
        (2.0, None, 2),  # exact milliseconds are not rounded up
        (2.006, None, 3),  # what AWS prints (2.01 ms) is rounded up
        (0.0, None, 1),  # at least 1 ms
        (0.01, None, 1),
        (1.0, None, 1),
        (1.0001, None, 1),  # AWS prints 1.00 ms and bills 1 ms
        (15.74, 130.49, 147),  # AWS's own example: init is billed on a cold start
    ],
)
def test_one_billing_rule(duration_ms: float, init_duration_ms: float | None, billed: int) -> None:
    assert billed_duration_ms(duration_ms, init_duration_ms) == billed


def test_a_snapstart_restore_bills_its_billed_part() -> None:
    # AWS's own REPORT line: Duration 306.34 ms, Billed Restore Duration 303 ms, Billed 610 ms.
    assert billed_duration_ms(306.34, None, 303) == 610
    assert billed_restore_ms(302.01) == 303
    assert billed_restore_ms(0.0) == 1


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -1.0])
def test_billing_refuses_what_is_not_a_duration(bad: float) -> None:
    with pytest.raises(ValueError, match="finite number"):
        billed_duration_ms(bad)
    with pytest.raises(ValueError, match="finite number"):
        billed_duration_ms(1.0, bad)
    with pytest.raises(ValueError, match="finite number"):
        billed_restore_ms(bad)


def test_the_emulator_writes_the_contracts_billed_duration() -> None:
    from emulator.logs._report_writer import report_line

    line = report_line(request_id="r", duration_ms=0.4, memory_size_mb=128,
                       max_memory_used_mb=50, init_duration_ms=99.5)
    assert f"Billed Duration: {billed_duration_ms(0.4, 99.5)} ms" in line


def test_contract_is_standard_library_only() -> None:
    modules = _imported_modules("import contract")
    assert not {"yaml", "pulumi", "pulumi_aws", "stack", "model", "emulator", "loadgen"} & set(
        modules
    )


def test_the_model_reader_stays_light() -> None:
    # The emulator and stack read the artifact through model's reader: it must not bring
    # TensorFlow, numpy, pandas or scikit-learn (seconds of import, hundreds of MB).
    modules = set(_imported_modules("import model, stack, stack.package, emulator, study._run"))
    assert "model" in modules
    assert not {"tensorflow", "numpy", "pandas", "sklearn", "pulumi"} & modules


def test_the_worker_handler_exists_where_lambda_looks() -> None:
    # The worker stack deploys loadgen with this handler string; the load generator defines it.
    import importlib

    module, _, function = contract.WORKER_HANDLER.rpartition(".")
    assert callable(getattr(importlib.import_module(module), function))
