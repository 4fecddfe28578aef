"""The table of parts in docs/architecture.md is a contract: a package imports only the project
packages its row allows, and only their public names; the function's own folder imports none.

Imports are read from the source (``import``, ``from ... import``, type-only and function-local
ones included) together with ``importlib.import_module("...")`` calls whose argument is a
literal, so a reach written as a string is caught too.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from .support.paths import REPO

TABLE = REPO / "docs" / "architecture.md"
FUNCTION_ROOT = REPO / "runtime" / "python"


def _packages() -> list[str]:
    # tests/ is a package only so that its modules have names of their own (pyproject's mypy).
    return sorted(
        p.name for p in REPO.iterdir() if (p / "__init__.py").is_file() and p.name != "tests"
    )


def allowed_imports() -> dict[str, set[str]]:
    """The table's rows: package → the project packages it may import."""
    rows: dict[str, set[str]] = {}
    for line in TABLE.read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) != 3 or not re.fullmatch(r"`\w+`", cells[0]):
            continue
        rows[cells[0].strip("`")] = set(re.findall(r"`(\w+)`", cells[2]))
    return rows


def imports_of(path: Path) -> Iterator[tuple[int, str]]:
    """(line, dotted module) for every module the file imports by name."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module
            for alias in node.names:
                yield node.lineno, f"{node.module}.{alias.name}"
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute | ast.Name)
            and (node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id)
            == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            yield node.lineno, node.args[0].value


def violations(
    package_root: Path, owner: str | None, allowed: set[str], packages: list[str]
) -> list[str]:
    """Every import statement under ``package_root`` of a project package not in ``allowed``,
    or of another package's private module (``pkg._x``): one line each."""
    found = []
    for path in sorted(package_root.rglob("*.py")):
        where = path.relative_to(package_root.parent)
        seen: set[int] = set()
        for line, module in imports_of(path):
            if line in seen:
                continue
            top, *rest = module.split(".")
            if top not in packages or top == owner:
                continue
            if top not in allowed:
                seen.add(line)
                found.append(
                    f"{where}:{line}: imports {module}; {owner or 'the function'} may "
                    f"import {', '.join(sorted(allowed)) or 'no project package'}"
                )
            elif any(part.startswith("_") and not part.startswith("__") for part in rest):
                seen.add(line)
                found.append(f"{where}:{line}: imports {module}, a private module of {top}")
    return found


def test_every_package_has_a_row_and_every_row_names_packages() -> None:
    rows = allowed_imports()
    packages = _packages()
    assert sorted(rows) == packages, "docs/architecture.md's table and the packages disagree"
    for owner, allowed in rows.items():
        assert allowed <= set(packages), f"{owner}'s row names {allowed - set(packages)}"


@pytest.mark.parametrize("owner", _packages())
def test_a_package_imports_only_what_its_row_allows(owner: str) -> None:
    problems = violations(REPO / owner, owner, allowed_imports()[owner], _packages())
    assert not problems, "\n".join(problems)


def test_the_function_imports_no_project_package() -> None:
    problems = violations(FUNCTION_ROOT, None, set(), _packages())
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    ("source", "owner", "expected"),
    [
        ("from stack._limits import MEMORY_MB_MAX\n", "emulator", "a private module of stack"),
        (
            "import importlib\nimportlib.import_module('report._cli_logs')\n",
            "loadgen",
            "loadgen may import contract, resultfiles",
        ),
        ("from emulator import Emulator\n", "loadgen", "loadgen may import contract, resultfiles"),
        ("from model import read_artifact\n", "stack", "stack may import contract"),
        (
            "def f() -> None:\n    from loadgen._cli import parse_stages\n",
            "study",
            "a private module of loadgen",
        ),
    ],
)
def test_the_check_catches_each_kind_of_reach(
    tmp_path: Path, source: str, owner: str, expected: str
) -> None:
    # Each cross-package reach the check was written against, in a package of its own.
    package = tmp_path / owner
    package.mkdir()
    (package / "_x.py").write_text(source, encoding="utf-8")
    problems = violations(package, owner, allowed_imports()[owner], _packages())
    assert len(problems) == 1 and expected in problems[0], problems
