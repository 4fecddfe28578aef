"""The contract module is the one owner of what the functions, the stacks and the emulator
agree on; the standalone functions in runtime/ are held to it here, by reading their sources
(they import nothing of this repository, so nothing else can hold them)."""

from __future__ import annotations

import ast
import base64
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
    EXPORT_SUFFIXES,
    FIRST_RESPONSE_HEADERS,
    FUNCTION_ENVIRONMENT,
    HANDLERS,
    LANGUAGES,
    MODEL_ENVIRONMENT,
    MODEL_FILE,
    MODEL_RUNTIMES,
    PAYLOAD_LIMIT_BYTES,
    PYTHON_ONLY_MODEL_ENVIRONMENT,
    RESPONSE_HEADERS,
    ROUTE_KEYS,
    ROUTES,
    RUNTIMES,
    billed_duration_ms,
    billed_restore_ms,
    ping_event,
)

from ..support.paths import EVENTS_DIR, REPO

PYTHON_RUNTIME = REPO / "runtime" / "python"
JAVA_SOURCES = REPO / "runtime" / "java" / "src" / "predictor"
#: The packages that must take what they share from ``contract`` (runtime/ is held apart).
PROJECT_PACKAGES = ("emulator", "loadgen", "model", "report", "resultfiles", "stack", "study")


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
    assert _python_literal(PYTHON_RUNTIME / "_http_api.py", "_ROUTES") == dict(ROUTES)


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


def _disagreement(side: str, found: set[str], expected: set[str], what: str) -> str:
    """One line naming the side that disagrees with contract, and how."""
    extra, missing = sorted(found - expected), sorted(expected - found)
    return (
        f"{side} disagrees with contract on {what}: "
        f"{side} has {extra or 'nothing'} that contract lacks, "
        f"lacks {missing or 'nothing'} that contract has"
    )


#: Variables Lambda itself sets, which the functions may read without contract declaring them.
_PLATFORM_ENVIRONMENT = re.compile(r"AWS_[A-Z0-9_]+|LAMBDA_TASK_ROOT|TMPDIR|_HANDLER")
#: An environment read: ``environ.get("X")``/``environ["X"]`` in Python, ``env.get("X")``,
#: ``env.getOrDefault("X", ...)``, ``System.getenv("X")`` in Java. Names may hold digits.
_ENV_READ = re.compile(
    r'(?:environ(?:\.get\(|\[)|env\.(?:get|getOrDefault)\(|getenv\()"([A-Z_][A-Z0-9_]*)"'
)


def _environment_read(sources: list[Path]) -> set[str]:
    names = {m for p in sources for m in _ENV_READ.findall(p.read_text("utf-8"))}
    return {name for name in names if not _PLATFORM_ENVIRONMENT.fullmatch(name)}


def test_the_functions_read_exactly_the_contracts_environment() -> None:
    python = _environment_read(sorted(PYTHON_RUNTIME.glob("*.py")))
    java = _environment_read(sorted(JAVA_SOURCES.glob("*.java")))
    every = set(MODEL_ENVIRONMENT) | set(FUNCTION_ENVIRONMENT)
    assert python == every, _disagreement("runtime/python", python, every, "environment")
    java_expected = every - set(PYTHON_ONLY_MODEL_ENVIRONMENT)
    assert java == java_expected, _disagreement("runtime/java", java, java_expected, "environment")


def test_the_environment_guard_sees_names_with_digits() -> None:
    # The guard's own pattern: MODEL_S3_ENDPOINT (a digit) was once invisible to it.
    assert _ENV_READ.findall('environ.get("MODEL_S3_ENDPOINT")') == ["MODEL_S3_ENDPOINT"]
    assert _ENV_READ.findall('env.get("MAX_INSTANCES")') == ["MAX_INSTANCES"]
    assert _ENV_READ.findall('env.getOrDefault("MODEL_KEY", "")') == ["MODEL_KEY"]


def _product(expression: str) -> int:
    """The value of a constant written as a product of integers (``6 * 1024 * 1024``)."""
    return math.prod(int(factor) for factor in expression.split("*"))


def test_the_functions_refuse_bodies_beyond_lambdas_payload_limit() -> None:
    assert PAYLOAD_LIMIT_BYTES == 6 * 1024 * 1024
    python = re.search(
        r"^MAX_BODY_BYTES = ([0-9* ]+)$",
        (PYTHON_RUNTIME / "_http_api.py").read_text("utf-8"),
        re.MULTILINE,
    )
    java = re.search(
        r"static final int MAX_BODY_BYTES = ([0-9* ]+);",
        (JAVA_SOURCES / "Api.java").read_text("utf-8"),
    )
    assert python and java, "each function states its body limit as MAX_BODY_BYTES"
    assert _product(python.group(1)) == _product(java.group(1)) == PAYLOAD_LIMIT_BYTES


def test_the_functions_default_to_the_contracts_instance_limit() -> None:
    python = _python_literal(PYTHON_RUNTIME / "app.py", "DEFAULT_MAX_INSTANCES")
    java = re.search(
        r"static final int DEFAULT_MAX_INSTANCES = (\d+);",
        (JAVA_SOURCES / "Handler.java").read_text("utf-8"),
    )
    assert java, "runtime/java states its default as DEFAULT_MAX_INSTANCES in Handler.java"
    for side, value in (("runtime/python", python), ("runtime/java", int(java.group(1)))):
        assert value == contract.MAX_INSTANCES_DEFAULT, (
            f"{side}'s DEFAULT_MAX_INSTANCES {value} disagrees with contract's "
            f"MAX_INSTANCES_DEFAULT {contract.MAX_INSTANCES_DEFAULT}"
        )


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

    line = report_line(
        request_id="r",
        duration_ms=0.4,
        memory_size_mb=128,
        max_memory_used_mb=50,
        init_duration_ms=99.5,
    )
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


# ---- the response headers ------------------------------------------------------------------

#: A header name written in a source file: ``"x-cold-start"`` (Python) or ``\"x-cold-start\"``
#: inside a Java string. S3's ``x-amz-*`` request headers are the S3 client's, not the contract's.
_HEADER_LITERAL = re.compile(r'\\?"(x-[a-z][a-z0-9-]*)\\?"')


def _headers_written(sources: list[Path]) -> set[str]:
    names = {m for p in sources for m in _HEADER_LITERAL.findall(p.read_text("utf-8"))}
    return {name for name in names if not name.startswith("x-amz")}


def test_the_contracts_headers_are_distinct_lowercase_names() -> None:
    every = (*RESPONSE_HEADERS, *FIRST_RESPONSE_HEADERS)
    assert len(set(every)) == len(every)
    assert all(re.fullmatch(r"x-[a-z]+(-[a-z]+)*", name) for name in every)
    assert contract.REQUEST_ID_HEADER in RESPONSE_HEADERS
    assert contract.COLD_START_HEADER in RESPONSE_HEADERS


@pytest.mark.parametrize(
    ("side", "sources"),
    [
        ("runtime/python", sorted(PYTHON_RUNTIME.glob("*.py"))),
        ("runtime/java", sorted(JAVA_SOURCES.glob("*.java"))),
    ],
)
def test_each_function_writes_exactly_the_contracts_headers(side: str, sources: list[Path]) -> None:
    # The functions are standalone and keep their own copies of the names; these are them.
    expected = {*RESPONSE_HEADERS, *FIRST_RESPONSE_HEADERS}
    written = _headers_written(sources)
    assert written == expected, _disagreement(side, written, expected, "response headers")


def test_the_header_guard_reads_both_languages() -> None:
    assert _HEADER_LITERAL.findall('h = {"x-cold-start": c}') == ["x-cold-start"]
    assert _HEADER_LITERAL.findall('out.append(",\\"x-init-type\\":");') == ["x-init-type"]


# ---- the Python function's model runtimes ---------------------------------------------------


def test_the_python_function_serves_the_contracts_model_runtimes_and_exports() -> None:
    module = PYTHON_RUNTIME / "_model_runtime.py"
    runtimes = _python_literal(module, "MODEL_RUNTIMES")
    assert runtimes == MODEL_RUNTIMES, (
        f"runtime/python/_model_runtime.py's MODEL_RUNTIMES {runtimes} disagrees with "
        f"contract's {MODEL_RUNTIMES}"
    )
    suffixes = _python_literal(module, "EXPORT_SUFFIX")
    assert suffixes == dict(EXPORT_SUFFIXES), (
        f"runtime/python/_model_runtime.py's EXPORT_SUFFIX {suffixes} disagrees with "
        f"contract's EXPORT_SUFFIXES {dict(EXPORT_SUFFIXES)}"
    )
    # Every framework runtime has an export, the artifact runtime none.
    assert set(EXPORT_SUFFIXES) == set(MODEL_RUNTIMES) - {"artifact"}


def test_the_model_writes_its_exports_where_the_function_looks() -> None:
    from model._export import export_paths

    paths = export_paths(Path("build") / MODEL_FILE)
    assert {runtime: path.name for runtime, path in paths.items()} == {
        runtime: f"model{suffix}" for runtime, suffix in EXPORT_SUFFIXES.items()
    }


# ---- no part keeps a copy --------------------------------------------------------------------


def _contract_strings() -> dict[str, str]:
    """Each string contract owns → the contract name that owns it."""
    owned: dict[str, str] = {}
    for name in contract.__all__:
        value = getattr(contract, name)
        if isinstance(value, str):
            owned[value] = name
        elif isinstance(value, tuple) and all(isinstance(v, str) for v in value):
            owned.update({v: name for v in value})
        elif name in ("ROUTES", "HANDLERS", "EXPORT_SUFFIXES"):
            owned.update(
                {v: name for v in value.values()}
                if name != "ROUTES"
                else dict.fromkeys(value, name)
            )
    # Short words that are also ordinary values elsewhere (a language, a strategy, a runtime
    # name such as "python3.12", a stack kind, a log format, an authorization) are settings'
    # values compared against, not copies of the contract; nor is a handler name such as
    # "app.handler", which a user's function may have too.
    for words in (
        LANGUAGES,
        contract.MODEL_STRATEGIES,
        MODEL_RUNTIMES,
        contract.STACK_KINDS,
        contract.LOG_FORMATS,
        contract.AUTHORIZATIONS,
        *RUNTIMES.values(),
        tuple(HANDLERS.values()),
        (contract.PROJECT, "POST", "GET"),
    ):
        for word in words:
            owned.pop(word, None)
    return owned


def _docstrings(tree: ast.AST) -> set[int]:
    found: set[int] = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (
            isinstance(node, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
        ):
            found.add(id(body[0].value))
    return found


def test_no_part_keeps_a_copy_of_what_contract_owns() -> None:
    owned = _contract_strings()
    assert {
        "x-cold-start",
        "apigw-requestid",
        "MODEL_S3_ENDPOINT",
        "/predict",
        "POST /predict",
        ".tflite",
        "model.zip",
    } <= set(owned)
    copies = []
    for package in PROJECT_PACKAGES:
        for path in sorted((REPO / package).rglob("*.py")):
            tree = ast.parse(path.read_text("utf-8"))
            skip = _docstrings(tree)
            copies += [
                f"{path.relative_to(REPO)}:{node.lineno} writes {node.value!r} "
                f"(use contract.{owned[node.value]})"
                for node in ast.walk(tree)
                if isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and node.value in owned
                and id(node) not in skip
            ]
    assert not copies, "; ".join(copies)


def test_no_package_reexports_a_contract_name_under_another_name() -> None:
    # STUDY_ROUTES, API_ROUTE_KEYS, MODEL_MEMBER, LAMBDA_PAYLOAD_LIMIT_BYTES were such aliases.
    aliases = []
    for package in PROJECT_PACKAGES:
        for path in sorted((REPO / package).rglob("*.py")):
            for node in ast.parse(path.read_text("utf-8")).body:
                if (
                    isinstance(node, ast.Assign)
                    and isinstance(node.value, ast.Name)
                    and node.value.id in contract.__all__
                ):
                    targets = [t.id for t in node.targets if isinstance(t, ast.Name)]
                    aliases.append(
                        f"{path.relative_to(REPO)}:{node.lineno} "
                        f"{', '.join(targets)} = {node.value.id}"
                    )
    assert not aliases, "; ".join(aliases)


def test_the_emulators_defaults_are_the_contracts_quotas() -> None:
    from emulator import EmulatorOptions

    options = EmulatorOptions()
    assert options.integration_timeout_s == contract.API_GATEWAY_TIMEOUT_S
    assert options.init_timeout_s == contract.INIT_TIMEOUT_S
    assert options.keep_alive_s == contract.DEFAULT_KEEP_ALIVE_S


# ---- the emulator's events against API Gateway's --------------------------------------------


def _rebuilt(recorded: dict[str, object]) -> dict[str, object]:
    """The event the emulator's gateway builds for the request ``recorded`` describes."""
    from emulator.gateway._apigw import build_event

    context = recorded["requestContext"]
    assert isinstance(context, dict)
    headers = list(dict(recorded["headers"]).items())  # type: ignore[call-overload]
    if "cookies" in recorded:
        headers.append(("cookie", "; ".join(recorded["cookies"])))  # type: ignore[arg-type]
    body = recorded.get("body")
    raw = (
        b""
        if body is None
        else base64.b64decode(str(body))
        if recorded["isBase64Encoded"]
        else str(body).encode("utf-8")
    )
    return build_event(
        method=context["http"]["method"],
        raw_path=str(recorded["rawPath"]),
        raw_query=str(recorded["rawQueryString"]),
        headers=headers,
        body=raw,
        source_ip=context["http"]["sourceIp"],
        route_key=str(recorded["routeKey"]),
        request_id=context["requestId"],
        api_id=context["apiId"],
        host=context["domainName"],
        now_s=context["timeEpoch"] / 1000,
    )


def _differences(emulator: object, aws: object, where: str = "event") -> list[str]:
    if isinstance(emulator, dict) and isinstance(aws, dict):
        found: list[str] = []
        for key in sorted(set(emulator) | set(aws)):
            if key not in emulator:
                found.append(f"{where}.{key}: the emulator's event lacks it")
            elif key not in aws:
                found.append(f"{where}.{key}: the emulator adds it, API Gateway's has none")
            else:
                found += _differences(emulator[key], aws[key], f"{where}.{key}")
        return found
    if type(emulator) is not type(aws) or emulator != aws:
        return [f"{where}: the emulator builds {emulator!r}, API Gateway sent {aws!r}"]
    return []


#: What the emulator does not emulate, by design (docs/emulator.md): one stage, ``$default``.
_KNOWN_DIFFERENCES = {
    "post-predict-named-stage.json": [
        "event.requestContext.stage: the emulator builds '$default', API Gateway sent 'prod'"
    ],
}


@pytest.mark.parametrize("recorded", sorted(EVENTS_DIR.glob("*.json")), ids=lambda p: p.name)
def test_the_emulators_event_is_api_gateways(recorded: Path) -> None:
    aws = json.loads(recorded.read_text("utf-8"))
    emulator = _rebuilt(aws)
    found = _differences(emulator, aws)
    assert found == _KNOWN_DIFFERENCES.get(recorded.name, []), (
        f"the emulator's event builder (emulator/_apigw.py) disagrees with the recorded "
        f"{recorded.relative_to(REPO)}: " + "; ".join(found)
    )
    assert list(emulator) == list(aws), "the emulator orders the event's fields differently"
