"""A ``function`` stack's files: where they are, and what can be checked before anything runs.

A team's function is its code (a directory, a .zip, or for Java a .jar), a handler in it, a
requirements file, optionally a Dockerfile and layers, and the request file the load generator
sends. Each path is relative to the project directory (the stack file's) or absolute. What can
be known without running the function is checked here, every problem at once, one line each:
a handler file that is missing, a handler function its module does not define (read with
``ast``, never imported), a request file that is not valid, a request no route takes.
"""

from __future__ import annotations

import ast
import json
import zipfile
from collections.abc import Mapping
from pathlib import Path

from contract import RequestSetError, SampleRequest, read_request_set, route_matches
from stack._errors import SettingsError
from stack._schema import setting_key
from stack._settings import StackSettings

__all__ = [
    "REQUEST_FILES",
    "function_file_problems",
    "function_paths",
    "handler_problems",
    "resolve",
]

#: The request files a function directory may hold, used when ``requests`` is not set.
REQUEST_FILES = ("requests.json", "requests.jsonl")
REQUIREMENTS_FILE = "requirements.txt"


def resolve(root: Path, text: str) -> Path:
    """A setting's path: absolute as given, else under the project directory ``root``."""
    path = Path(text).expanduser()
    return path if path.is_absolute() else Path(root) / path


def function_paths(values: Mapping[str, object], root: Path) -> dict[str, Path | None]:
    """The function's files (``code``, ``requirements``, ``image``, ``requests``), defaults
    filled in from the code directory; None where there is none."""
    code_text = str(values.get("code") or "")
    code = resolve(root, code_text) if code_text else None
    found: dict[str, Path | None] = {"code": code}
    for key, defaults in (("requirements", (REQUIREMENTS_FILE,)), ("requests", REQUEST_FILES)):
        given = str(values.get(key) or "")
        if given:
            found[key] = resolve(root, given)
            continue
        found[key] = None
        if code is not None and code.is_dir():
            found[key] = next((code / name for name in defaults if (code / name).is_file()), None)
    image = str(values.get("image") or "")
    found["image"] = resolve(root, image) if image else None
    return found


def _module_source(code: Path, module: str) -> tuple[str | None, str]:
    """The source of ``module`` (``pkg/app`` or ``pkg.app``) in ``code`` and where it is."""
    stem = module.replace(".", "/")
    candidates = (f"{stem}.py", f"{stem}/__init__.py")
    if code.is_dir():
        for name in candidates:
            if (code / name).is_file():
                return (code / name).read_text(encoding="utf-8", errors="replace"), name
        return None, candidates[0]
    try:
        with zipfile.ZipFile(code) as archive:
            names = set(archive.namelist())
            for name in candidates:
                if name in names:
                    return archive.read(name).decode("utf-8", "replace"), name
    except (OSError, zipfile.BadZipFile):
        return None, candidates[0]
    return None, candidates[0]


def _defines(tree: ast.Module, name: str) -> bool:
    """Whether a module's top level binds ``name`` (def, assignment, import) or may (``*``)."""
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            if node.name == name:
                return True
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(target)):
                    return True
        elif isinstance(node, ast.Import | ast.ImportFrom):
            for alias in node.names:
                if alias.name == "*" or (alias.asname or alias.name.split(".")[0]) == name:
                    return True
        elif isinstance(node, ast.If | ast.Try):
            inner = ast.Module(
                body=[n for n in ast.walk(node) if isinstance(n, ast.stmt) and n is not node],
                type_ignores=[],
            )
            if _defines(inner, name):
                return True
    return False


def handler_problems(code: Path, handler: str, language: str) -> list[str]:
    """What is wrong with ``handler`` in ``code``, checked statically (Lambda would say
    Runtime.ImportModuleError or Runtime.HandlerNotFound at the first cold start)."""
    if language == "java":
        class_name = handler.partition("::")[0]
        member = class_name.replace(".", "/") + ".class"
        if code.is_dir():
            present = (code / member).is_file()
        else:
            try:
                with zipfile.ZipFile(code) as archive:
                    present = member in archive.namelist()
            except (OSError, zipfile.BadZipFile):
                return [
                    (
                        f"{setting_key('code')}: {code} is not a .jar or .zip; build the fat jar "
                        "(e.g. mvn package with the shade plugin) and name it"
                    )
                ]
        if not present:
            return [
                (
                    f"{setting_key('handler')} {handler!r}: {code} holds no {member}; give the "
                    "class of your handler (pkg.Class::method) or build the jar with it"
                )
            ]
        return []
    module, _, function = handler.rpartition(".")
    source, file_name = _module_source(code, module)
    if source is None:
        return [
            (
                f"{setting_key('handler')} {handler!r}: there is no {file_name} in {code} "
                f"(Lambda would fail with Runtime.ImportModuleError); fix the handler's module or "
                "the code path"
            )
        ]
    try:
        tree = ast.parse(source, filename=file_name)
    except SyntaxError as exc:
        return [
            (
                f"{code / file_name}:{exc.lineno}: not valid Python ({exc.msg}), so Lambda "
                "would fail with Runtime.UserCodeSyntaxError; fix the file"
            )
        ]
    if not _defines(tree, function):
        defined = sorted(
            n.name for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
        )
        hint = f" (it defines: {', '.join(defined)})" if defined else ""
        return [
            (
                f"{setting_key('handler')} {handler!r}: {file_name} defines no "
                f"{function}{hint}; Lambda would fail with Runtime.HandlerNotFound: name the "
                "function in the handler"
            )
        ]
    return []


def _route_problems(requests: tuple[SampleRequest, ...], routes: str, source: Path) -> list[str]:
    keys = [key.strip() for key in routes.split(",") if key.strip()]
    if not keys or keys == ["$default"]:
        return []
    problems = []
    for request in requests:
        method, path = request.route.split(" ", 1)
        if not any(route_matches(key, method, path) for key in keys):
            problems.append(
                f"{source}: {method} {path} matches none of {setting_key('routes')} "
                f"({routes}): API Gateway would answer 404 Not Found to every such "
                "request; add the route or fix the request"
            )
    return problems


def function_file_problems(values: Mapping[str, object], root: Path) -> list[str]:
    """Every problem with the files a function stack names (raw or parsed settings)."""
    problems: list[str] = []
    paths = function_paths(values, root)
    code = paths["code"]
    language = str(values.get("language") or "")
    if not language:
        language = "java" if str(values.get("runtime") or "").startswith("java") else "python"
    if code is not None:
        if not code.exists():
            problems.append(
                f"{setting_key('code')}: {code} does not exist; give your function's "
                "directory or .zip, relative to the project directory"
            )
        elif code.is_file() and not zipfile.is_zipfile(code):
            problems.append(
                f"{setting_key('code')}: {code} is a file but not a .zip (or .jar); "
                "give the function's directory or its archive"
            )
        elif values.get("handler") and isinstance(values.get("handler"), str):
            problems.extend(handler_problems(code, str(values["handler"]), language))
    given_requirements = values.get("requirements")
    requirements = paths["requirements"]
    if given_requirements and requirements is not None and not requirements.is_file():
        problems.append(
            f"{setting_key('requirements')}: {requirements} does not exist; give your "
            "requirements.txt or remove the setting"
        )
    if language == "java" and requirements is not None and given_requirements:
        problems.append(
            f"{setting_key('requirements')} is for Python; a Java function's "
            "dependencies go in its fat jar"
        )
    image = paths["image"]
    if image is not None and not image.is_file():
        problems.append(f"{setting_key('image')}: {image} does not exist; give your Dockerfile")
    for layer_text in str(values.get("layers") or "").split(","):
        if layer_text.strip() and not resolve(root, layer_text.strip()).exists():
            problems.append(
                f"{setting_key('layers')}: {resolve(root, layer_text.strip())} does "
                "not exist; give each layer's .zip or folder"
            )
    request_file = paths["requests"]
    if request_file is None:
        if code is not None and code.exists():
            problems.append(
                f"{setting_key('requests')} is missing and {code} holds no "
                f"{' or '.join(REQUEST_FILES)}; give a request file "
                '(e.g. [{"method": "POST", "path": "/", "body": {...}}])'
            )
    else:
        try:
            requests = read_request_set(request_file)
        except RequestSetError as error:
            problems.extend(f"{setting_key('requests')}: {problem}" for problem in error.problems)
        else:
            problems.extend(
                _route_problems(requests, str(values.get("routes") or ""), request_file)
            )
    return problems


def check_function(settings: StackSettings, root: Path) -> None:
    """Raise SettingsError with every file problem of a function stack built by hand."""
    problems = function_file_problems(
        {
            key: getattr(settings, key)
            for key in (
                "code",
                "handler",
                "language",
                "runtime",
                "requirements",
                "image",
                "layers",
                "requests",
                "routes",
            )
        },
        root,
    )
    if problems:
        raise SettingsError(settings.name, problems)


#: Handlers tried, in order, when a function directory's stack file is written without one:
#: the shape most public examples have, then the AWS console's default.
HANDLER_GUESSES = (
    "app.lambda_handler",
    "app.handler",
    "lambda_function.lambda_handler",
    "handler.handler",
    "main.handler",
)


def guess_handler(code: Path) -> str | None:
    """The first of ``HANDLER_GUESSES`` that ``code`` defines (read statically), or None."""
    for handler in HANDLER_GUESSES:
        if not handler_problems(code, handler, "python"):
            return handler
    return None


def function_stack_text(
    *,
    code: str,
    handler: str,
    runtime: str,
    memory_mb: int,
    requests: str = "",
    routes: str = "",
    expect_field: str = "",
    requirements: str = "",
    authorization: str = "iam",
    more: Mapping[str, object] | None = None,
) -> str:
    """A ``Pulumi.<stack>.yaml`` for a function (what ``python -m study --function DIR
    --write-stack`` writes, for the user to keep and edit)."""
    from contract import PROJECT

    lines = [
        "# A team's own function, studied and deployed as the study's stacks are (README,",
        '# "Study your own function"). Paths are relative to this file\'s directory.',
        "config:",
        f"  {PROJECT}:kind: function",
        f"  {PROJECT}:code: {code}",
        f"  {PROJECT}:handler: {handler}",
        f"  {PROJECT}:runtime: {runtime}",
        f"  {PROJECT}:memory_mb: {memory_mb}",
        f"  {PROJECT}:authorization: {authorization}",
    ]
    optional = {
        "requirements": requirements,
        "requests": requests,
        "routes": routes,
        "expect_field": expect_field,
    }
    for key, value in {**optional, **(more or {})}.items():
        if value:
            # JSON is YAML: strings quoted, a map (environment) as a flow mapping.
            lines.append(f"  {PROJECT}:{key}: {json.dumps(value)}")
    return "\n".join(lines) + "\n"
