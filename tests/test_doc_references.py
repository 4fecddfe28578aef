"""Every module (and name in it) that the packages' docstrings and comments, the README and
docs/ name in backticks exists: ``emulator._spec``, ``stack._paths.project_root``,
``loadgen/_merge.py``, ``_lock.py``. A module renamed or removed fails here with the place that
still names it.

Read from the source files (nothing is imported): a dotted path is a module or package of ours
(``a/b.py``, ``a/b/__init__.py``) followed by names defined at its top level (and a class's
attribute when that name is a class defined there); a bare file name (``_lock.py``, as the docs'
tables of a package's modules write them) is a file somewhere in the checkout.
"""

from __future__ import annotations

import ast
import re
import tomllib
from functools import cache
from pathlib import Path

import pytest

from .support.paths import REPO

PACKAGES = ("contract", "emulator", "loadgen", "model", "report", "resultfiles", "stack", "study")
#: where references are looked for: the packages' sources, the README, docs/
SOURCES = (
    sorted(p for package in PACKAGES for p in (REPO / package).rglob("*.py"))
    + [REPO / "README.md"]
    + sorted((REPO / "docs").rglob("*.md"))
)
#: ``model.zip``, ``report.md``, ``emulator.lock``: file names that read like dotted paths
FILE_SUFFIXES = frozenset(
    {
        "csv",
        "hlog",
        "jar",
        "joblib",
        "json",
        "jsonl",
        "keras",
        "lock",
        "log",
        "md",
        "onnx",
        "out",
        "pkl",
        "png",
        "tflite",
        "toml",
        "txt",
        "yaml",
        "zip",
    }
)
#: folders an installed distribution has elsewhere in the checkout (``stack/_runtime`` is
#: ``runtime/``): pyproject's [tool.setuptools.package-dir]
INSTALLED_AS = {
    package.replace(".", "/"): folder
    for package, folder in tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))[
        "tool"
    ]["setuptools"]["package-dir"].items()
}
#: every Python file name in the checkout (outside virtualenvs and build output)
FILE_NAMES = frozenset(
    p.name
    for p in REPO.rglob("*.py")
    if not {".venv", "build", "results", ".git"} & set(p.relative_to(REPO).parts)
)

_NAMES = "|".join(PACKAGES)
#: `pkg.mod`, ``pkg._mod.Name``, `pkg.fn()`, in one or two backticks
DOTTED = re.compile(rf"(?<![\w.`])`{{1,2}}((?:{_NAMES})(?:\.\w+)+)(?:\(\))?`{{1,2}}")
#: `pkg/_mod.py`, `pkg/sub/`, `pkg/java/com/...`
SLASHED = re.compile(rf"(?<![\w./`])`{{1,2}}((?:{_NAMES})/[\w/.]*?)`{{1,2}}")
#: `_mod.py`
BARE = re.compile(r"(?<![\w./`])`{1,2}(\w+\.py)`{1,2}")


def _module_file(parts: tuple[str, ...]) -> Path | None:
    """The source of module ``parts`` (a package's __init__.py), or None."""
    base = REPO.joinpath(*parts)
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


@cache
def _top_level(path: Path) -> dict[str, ast.ClassDef | None]:
    """Names defined at the top of a module: classes (with their body) and the rest (None)."""
    names: dict[str, ast.ClassDef | None] = {}
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.ClassDef):
            names[node.name] = node
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            names[node.name] = None
        elif isinstance(node, ast.Import | ast.ImportFrom):
            for alias in node.names:
                names[(alias.asname or alias.name).split(".")[0]] = None
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                for name in ast.walk(target):
                    if isinstance(name, ast.Name):
                        names[name.id] = None
    return names


def _class_members(node: ast.ClassDef) -> set[str]:
    members: set[str] = set()
    for item in node.body:
        if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            members.add(item.name)
        elif isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
            members.add(item.target.id)
        elif isinstance(item, ast.Assign):
            members.update(t.id for t in item.targets if isinstance(t, ast.Name))
    return members


def dotted_problem(reference: str) -> str | None:
    """Why ``reference`` names nothing of ours, or None when it does."""
    parts = tuple(reference.split("."))
    if len(parts) == 2 and parts[1] in FILE_SUFFIXES:
        return None
    # The longest prefix that is a module; what follows must be defined in it.
    for cut in range(len(parts), 0, -1):
        source = _module_file(parts[:cut])
        if source is not None:
            break
    else:  # the patterns start with a package of ours, so this is a package gone
        return f"no package {parts[0]}"
    rest = parts[cut:]
    if not rest:
        return None
    module = ".".join(parts[:cut])
    names = _top_level(source)
    if rest[0] not in names:
        return f"{module} has no module or name {rest[0]!r}"
    node = names[rest[0]]
    if len(rest) > 1 and node is not None and rest[1] not in _class_members(node):
        return f"{module}.{rest[0]} has no attribute {rest[1]!r}"
    return None


def path_problem(reference: str) -> str | None:
    """Why the checkout has no ``reference`` (a relative path, perhaps elided with ``...``)."""
    path = reference.removesuffix("...").rstrip("/")
    for installed, folder in INSTALLED_AS.items():
        if path == installed or path.startswith(installed + "/"):
            path = folder + path[len(installed) :]
    return None if (REPO / path).exists() else f"no file or folder {path}"


def _references() -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for path in SOURCES:
        shown = path.relative_to(REPO).as_posix()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for match in DOTTED.finditer(line):
                found.append((f"{shown}:{number}", match.group(1)))
            for match in (*SLASHED.finditer(line), *BARE.finditer(line)):
                found.append((f"{shown}:{number}", match.group(1)))
    return found


def test_every_backticked_module_path_names_a_module_that_exists() -> None:
    references = _references()
    # The scan sees the references it is meant to check (a broken pattern would pass vacuously).
    assert len(references) > 40
    problems = []
    for where, reference in references:
        if "/" in reference:
            why = path_problem(reference)
        elif reference.endswith(".py"):
            why = None if reference in FILE_NAMES else f"no file {reference} in the checkout"
        else:
            why = dotted_problem(reference)
        if why is not None:
            problems.append(f"{where}: `{reference}`: {why}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    ("reference", "expected"),
    [
        ("stack._paths", None),
        ("stack._paths.project_root", None),
        ("loadgen.plans._limits.LimitsCheck.describe", None),
        ("resultfiles.Record", None),
        ("model.zip", None),
        ("emulator._nowhere", "emulator has no module or name '_nowhere'"),
        ("stack._paths.nothing_here", "stack._paths has no module or name 'nothing_here'"),
        (
            "loadgen.plans._limits.LimitsCheck.nope",
            "loadgen.plans._limits.LimitsCheck has no attribute 'nope'",
        ),
    ],
)
def test_a_reference_resolves_to_a_module_then_names_in_it(
    reference: str, expected: str | None
) -> None:
    assert dotted_problem(reference) == expected


@pytest.mark.parametrize(
    ("reference", "expected"),
    [
        ("stack/_limits.py", None),
        ("stack/_runtime/python/app.py", None),
        ("emulator/java/...", None),
        ("stack/_gone.py", "no file or folder stack/_gone.py"),
    ],
)
def test_a_path_is_a_file_or_folder_of_the_checkout(reference: str, expected: str | None) -> None:
    assert path_problem(reference) == expected


def test_the_three_spellings_are_found_in_text() -> None:
    line = (
        "see ``emulator._spec``, `stack/_limits.py` and `_lock.py`, not model.zip, "
        "`x.emulator._y` or `tests/_z.py`"
    )
    assert [m.group(1) for m in DOTTED.finditer(line)] == ["emulator._spec"]
    assert [m.group(1) for m in SLASHED.finditer(line)] == ["stack/_limits.py"]
    assert [m.group(1) for m in BARE.finditer(line)] == ["_lock.py"]
