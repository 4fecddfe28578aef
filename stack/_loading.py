"""Loading a stack's settings: from ``Pulumi.<stack>.yaml`` or from Pulumi config.

``Pulumi.<stack>.yaml`` is the single source of a stack's settings, for ``pulumi up`` (through
``pulumi.Config``, see ``from_config``) and for the local emulator (``load_stack_file``) alike;
both paths give the same ``StackSettings``. Every problem is collected before anything fails,
so a user fixes a stack file in one pass. This module must not import Pulumi: the emulator
uses it on machines where only PyYAML is needed (``from_config`` takes Pulumi's getter).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import fields
from pathlib import Path
from typing import Any

import yaml

from contract import PROJECT, STACK_KINDS
from stack import _paths
from stack._checks import problems_of
from stack._defaults import complete
from stack._errors import SettingsError
from stack._limits import DEFAULT_REGION
from stack._paths import project_root
from stack._schema import REQUIRED, SETTINGS, setting_key
from stack._settings import StackSettings

_INTEGER = re.compile(r"[+-]?\d+")
_Parser = Callable[[object], Any]


class _Unparsable(Exception):
    """A raw config value of the wrong form; its text says what was expected."""


def _parse_str(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _Unparsable("a non-empty string")
    return value.strip()


def _parse_int(value: object) -> int:
    if isinstance(value, bool):
        raise _Unparsable("a whole number")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and _INTEGER.fullmatch(value.strip()):
        return int(value.strip())
    raise _Unparsable("a whole number")


def _parse_optional_int(value: object) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return _parse_int(value)


def _parse_float(value: object) -> float:
    if isinstance(value, bool):
        raise _Unparsable("a number")
    number: float
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            raise _Unparsable("a number") from None
    else:
        raise _Unparsable("a number")
    if not math.isfinite(number):
        raise _Unparsable("a finite number")
    return number


def _parse_environment(value: object) -> dict[str, str]:
    # Pulumi hands structured config to a program as a JSON string; the stack file has a map.
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            raise _Unparsable('a map of NAME: "value" (or its JSON)') from None
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise _Unparsable('a map of NAME: "value"')
    result: dict[str, str] = {}
    for name, item in value.items():
        if not isinstance(name, str) or not isinstance(item, str):
            raise _Unparsable(
                f'a map of NAME: "value" with string values (quote {name!r}\'s value)'
            )
        result[name] = item
    return result


_PARSERS: Mapping[object, _Parser] = {
    str: _parse_str,
    int: _parse_int,
    int | None: _parse_optional_int,
    float: _parse_float,
    Mapping: _parse_environment,
}
#: Config key → (parser of its raw value, a valid value in words), in the order of the docs.
CONFIG_KEYS: Mapping[str, tuple[_Parser, str]] = {
    key: (_PARSERS[kind], expected) for key, (kind, expected) in SETTINGS.items()
}


def parse_settings(
    name: str,
    raw: Mapping[str, object],
    *,
    region: object = None,
    source: str = "",
    unknown_keys: Iterable[str] = (),
    extra_problems: Iterable[str] = (),
) -> StackSettings:
    """Settings from raw config values (strings from Pulumi, or YAML scalars), every problem
    reported at once (``extra_problems``, found by the caller, among them). ``raw`` is keyed
    by bare key (``memory_mb``)."""
    problems: list[str] = []
    for key in sorted(unknown_keys):
        problems.append(f"unknown setting {setting_key(key)}; known: {', '.join(CONFIG_KEYS)}")
    values: dict[str, Any] = {
        f.name: f.default for f in fields(StackSettings) if isinstance(f.default, int | float | str)
    }
    values.update(name=name, environment={}, provisioned_concurrency=None)
    values.update(ping_interval_minutes=None, reserved_concurrency=None, workers_max=None)
    problems.extend(extra_problems)
    for key in REQUIRED:
        if key == "language" and raw.get("kind") == "function":
            continue  # a function stack's language follows from its runtime
        if raw.get(key) is None:
            values.pop(key, None)
            problems.append(f"{setting_key(key)} is missing; it is {CONFIG_KEYS[key][1]}")
    for key, (parse, expected) in CONFIG_KEYS.items():
        if key not in raw or (key in REQUIRED and raw[key] is None):
            continue
        value = raw[key]
        if isinstance(value, Mapping) and "secure" in value:
            problems.append(f"{setting_key(key)} is a secret; this setting must be plain text")
            values.pop(key, None)
            continue
        try:
            values[key] = parse(value)
        except _Unparsable as error:
            problems.append(f"{setting_key(key)} is {value!r}; expected {error} ({expected})")
            values.pop(key, None)
    values["region"] = DEFAULT_REGION if region is None else region
    if values.get("kind") == "function" and "language" not in values and "language" not in raw:
        runtime = str(values.get("runtime") or "")
        values["language"] = "java" if runtime.startswith("java") else "python"
    if problems:
        # What did parse is checked too, so that one pass reports every problem.
        complete(values)
        raise SettingsError(name, [*problems, *problems_of(values)], source=source)
    try:
        return StackSettings(**values)
    except SettingsError as error:
        raise SettingsError(name, error.problems, source=source) from None


#: ``<stack>@<MB>`` names the stack ``<stack>`` at another memory size (a sweep's or a
#: ``--memory`` list's variant), with every other setting of its file.
_VARIANT = re.compile(r"(?P<base>[^@]+)@(?P<memory_mb>\d+)")


def variant_name(base: str, memory_mb: int) -> str:
    """The stack name of ``base`` at ``memory_mb`` (``python-512@1024`` → ``python-512-at-1024``):
    what the variant's function, log group and result folders are named."""
    return f"{base}-at-{memory_mb}"


def load_stack_file(path: Path, *, memory_mb: int | None = None) -> StackSettings:
    """Settings from a ``Pulumi.<stack>.yaml`` file (the stack name comes from the file name).

    ``memory_mb``, when given, replaces the file's memory size and names the stack
    ``variant_name(<stack>, memory_mb)``; it is validated as the file's own value would be."""
    path = Path(path)
    name = _stack_name_of(path)
    if name is None:
        raise SettingsError(
            path.name, [f"{path} is not a stack file; stack files are named Pulumi.<stack>.yaml"]
        )
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise SettingsError(name, [f"cannot read {path}: {error.strerror or error}"]) from None
    except yaml.YAMLError as error:
        raise SettingsError(name, [f"{path} is not valid YAML: {error}"]) from None
    if document is None:
        document = {}
    if not isinstance(document, Mapping):
        raise SettingsError(
            name, ["the file must be a YAML map with a `config:` map"], source=str(path)
        )
    config = document.get("config") or {}
    if not isinstance(config, Mapping):
        raise SettingsError(name, ["`config:` must be a map of key: value"], source=str(path))
    raw: dict[str, object] = {}
    unknown: list[str] = []
    region: object = None
    for full_key, value in config.items():
        namespace, _, key = str(full_key).rpartition(":")
        if namespace in ("", PROJECT):
            if key in CONFIG_KEYS:
                raw[key] = value
            else:
                unknown.append(key)
        elif full_key == "aws:region":
            region = value
        # Other namespaces (aws:profile, pulumi:tags, ...) belong to Pulumi and its providers.
    if memory_mb is not None:
        raw["memory_mb"] = memory_mb
        name = variant_name(name, memory_mb)
    extra: list[str] = []
    if raw.get("kind") == "function":
        from stack._function import function_file_problems

        extra = function_file_problems(raw, path.resolve().parent)
    return parse_settings(
        name, raw, region=region, source=str(path), unknown_keys=unknown, extra_problems=extra
    )


def load_stack(name: str, root: Path | None = None) -> StackSettings:
    """Settings of the stack ``name`` from ``<root>/Pulumi.<name>.yaml`` (root: the project,
    ``stack._paths.project_root``). ``<stack>@<MB>`` is that stack at ``MB`` of memory, named
    ``variant_name(<stack>, MB)``."""
    root = project_root() if root is None else Path(root)
    memory_mb: int | None = None
    variant = _VARIANT.fullmatch(name)
    if variant is not None:
        name, memory_mb = variant["base"], int(variant["memory_mb"])
    path = root / f"Pulumi.{name}.yaml"
    if not path.is_file():
        known = ", ".join(list_stacks(root, kind=None)) or "none"
        problem = f"no stack file {path}; stacks here: {known}"
        if _paths.CHECKOUT is None and not (root / "Pulumi.yaml").is_file():
            problem += (
                f"; {root} is not a Pulumi project (no Pulumi.yaml here or above): run from the"
                " directory of your Pulumi.yaml and Pulumi.<stack>.yaml files"
            )
        raise SettingsError(name, [problem], source=str(root))
    return load_stack_file(path, memory_mb=memory_mb)


def list_stacks(root: Path | None = None, *, kind: str | None = "model") -> list[str]:
    """Names of the ``Pulumi.<stack>.yaml`` files under ``root`` (the project by default) whose
    ``kind`` is ``kind`` (``model``, the model-serving stacks, by default; None: every stack),
    sorted. A file whose kind cannot be read is listed as a model stack, so that loading it
    reports what is wrong."""
    root = project_root() if root is None else Path(root)
    names = []
    for path in root.glob("Pulumi.*.yaml"):
        name = _stack_name_of(path)
        if name and (kind is None or _kind_of(path) == kind):
            names.append(name)
    return sorted(names)


def _kind_of(path: Path) -> str:
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        kind = document["config"].get(setting_key("kind"), "model")
    except (OSError, yaml.YAMLError, TypeError, KeyError, AttributeError):
        return "model"
    return kind if kind in STACK_KINDS else "model"


def from_config(
    name: str,
    get: Callable[[str], str | None],
    region: str | None,
    *,
    keys: Iterable[str] | None = None,
) -> StackSettings:
    """Settings from Pulumi config: ``get`` is ``pulumi.Config(PROJECT).get``.

    ``keys``, when given, are the project's config keys that are set (bare names), so that a
    misspelt key is reported as in ``load_stack_file``.
    """
    raw: dict[str, object] = {}
    for key in CONFIG_KEYS:
        value = get(key)
        if value is not None:
            raw[key] = value
    unknown = [key for key in (keys or ()) if key not in CONFIG_KEYS]
    return parse_settings(name, raw, region=region, source="Pulumi config", unknown_keys=unknown)


def _stack_name_of(path: Path) -> str | None:
    file_name = path.name
    if file_name.startswith("Pulumi.") and file_name.endswith(".yaml"):
        name = file_name[len("Pulumi.") : -len(".yaml")]
        return name or None
    return None
