"""The settings of a ``function`` stack (a team's own function behind an HTTP API): what it
needs (its code and handler), its routes and expected answer field, what it cannot have (the
study's model settings, the ping), and the function settings no other kind takes. The files
it names are checked where the project directory is known (``stack._function``)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from contract import HANDLERS, WORKER_HANDLER
from stack._schema import FUNCTION_SETTINGS, setting_key

_PYTHON_HANDLER = re.compile(r"(?:[A-Za-z_][\w-]*/)*[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+")
_JAVA_HANDLER = re.compile(r"[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*(?:::[A-Za-z_$][\w$]*)?")
_ROUTE_METHODS = ("ANY", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT")


def function_problems(values: Mapping[str, Any]) -> list[str]:
    """What a ``function`` stack needs, and the function settings anywhere else. The files it
    names are checked where the project directory is known (``stack._function``)."""
    kind = values.get("kind")
    if kind != "function":
        given = [key for key in FUNCTION_SETTINGS if values.get(key)]
        problems = [
            f"{setting_key(key)} is set but {setting_key('kind')} is {kind!r}; it is only "
            "used with kind: function"
            for key in given
        ]
        language = values.get("language")
        derived = WORKER_HANDLER if kind == "loadgen-worker" else HANDLERS.get(str(language))
        handler = values.get("handler")
        if handler and derived and handler != derived:
            problems.append(
                f"{setting_key('handler')} is set but {setting_key('kind')} is "
                f"{kind!r}, whose handler is the project's own; remove it (or use "
                "kind: function)"
            )
        return problems
    problems = []
    if not values.get("code"):
        problems.append(
            f"{setting_key('code')} is missing; give your function's directory or .zip "
            "(relative to the project directory)"
        )
    handler = values.get("handler")
    language = values.get("language")
    if not handler:
        example = "app.lambda_handler" if language != "java" else "example.Handler::handleRequest"
        problems.append(
            f"{setting_key('handler')} is missing; give the handler Lambda loads, e.g. {example}"
        )
    elif language == "python" and not _PYTHON_HANDLER.fullmatch(handler):
        problems.append(
            f"{setting_key('handler')} is {handler!r}; a Python handler is "
            "module.function, e.g. app.lambda_handler"
        )
    elif language == "java" and not _JAVA_HANDLER.fullmatch(handler):
        problems.append(
            f"{setting_key('handler')} is {handler!r}; a Java handler is "
            "pkg.Class::method (or pkg.Class)"
        )
    model_defaults = {"model_strategy": "bundled", "model_runtime": "artifact"}
    for key, default in model_defaults.items():
        if values.get(key, default) != default:
            problems.append(
                f"{setting_key(key)} is set but a function stack serves no model of "
                "the study; remove it"
            )
    if values.get("cold_start_mitigation") == "ping":
        problems.append(
            f"{setting_key('cold_start_mitigation')} ping sends the study's GET "
            "/health event, which a function of yours need not answer; use none or "
            "provisioned"
        )
    if values.get("image") and values.get("layers"):
        problems.append(
            f"{setting_key('image')} and {setting_key('layers')} are both set, but "
            "Lambda gives a container image function no layers; put the layers' files "
            "in the image"
        )
    if values.get("image") and language == "java":
        problems.append(
            f"{setting_key('image')} is set for a Java function; build a fat jar "
            "instead (code: the .jar)"
        )
    routes = str(values.get("routes") or "")
    keys = [key.strip() for key in routes.split(",") if key.strip()]
    for key in keys:
        if key == "$default":
            if len(keys) > 1:
                problems.append(
                    f"{setting_key('routes')}: $default takes every request; give it "
                    "alone or list the routes"
                )
            continue
        method, _, path = key.partition(" ")
        if method not in _ROUTE_METHODS or not path.startswith("/") or " " in path.strip():
            problems.append(
                f"{setting_key('routes')}: {key!r} is not a route key; write 'METHOD "
                f"/path' (METHOD one of {', '.join(_ROUTE_METHODS)}), comma-separated, "
                "or $default"
            )
    field_name = values.get("expect_field")
    if field_name and not re.fullmatch(r"[^\s.]+", str(field_name)):
        problems.append(
            f"{setting_key('expect_field')} is {field_name!r}; give one top-level JSON "
            "field name, e.g. prediction"
        )
    return problems
