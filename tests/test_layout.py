"""The tests tree mirrors the packages, so that a module's tests are found by its name.

A unit test of ``pkg/sub/_mod.py`` is ``tests/pkg/sub/test_mod.py``: every test module in a
subpackage's folder names a module that exists there. Tests of a top-level package, and tests
across modules (named by feature), sit in ``tests/pkg/``; a test there named after a module of a
subpackage (and of no module of the package itself) belongs in the subpackage's folder. Helpers
live in ``tests/support/``, which holds no tests; no test edits ``sys.path`` to find the
project.
"""

from __future__ import annotations

import ast
from pathlib import Path

from .support.paths import REPO, TESTS

SUPPORT = TESTS / "support"
#: Test folders that test the project as a whole rather than one of its folders.
FEATURE_FOLDERS = {"packaging": "the built distribution"}
#: Where a test may put a folder on ``sys.path``: the Python function's own folder, which Lambda
#: puts on the path as its task root (the function imports its modules as top-level names).
SYS_PATH_ALLOWED = {SUPPORT / "runtimes.py"}


def _test_modules() -> list[Path]:
    return sorted(p for p in TESTS.rglob("test_*.py") if "support" not in p.parts)


def _misplaced_unit_test(where: Path, package: Path, package_name: str, name: str) -> list[str]:
    """A problem if ``tests/<pkg>/test_<name>.py`` names no module of ``<pkg>/`` itself but a
    module of one of its subpackages: that module's tests live in the subpackage's folder."""
    if any((package / f"{prefix}{name}.py").is_file() for prefix in ("_", "")):
        return []
    inside = sorted(
        found.relative_to(package.parent).as_posix()
        for prefix in ("_", "")
        for found in package.rglob(f"{prefix}{name}.py")
        if found.parent != package
    )
    if not inside:
        return []
    mirrored = Path(inside[0]).parent.as_posix()
    problem = (
        f"{where}: names {', '.join(inside)}, a module of a subpackage of "
        f"{package_name}/; move it to tests/{mirrored}/{where.name}, or give a "
        f"cross-module test a feature name"
    )
    return [problem]


def mirror_problems(tests_root: Path, repo: Path) -> list[str]:
    """One line per test module that is in a subpackage's folder but names no module there,
    in a package's folder but named after a module of one of its subpackages, or in a folder
    that mirrors no folder of the repository."""
    problems = []
    for path in sorted(tests_root.rglob("test_*.py")):
        folder = path.parent.relative_to(tests_root)
        where = path.relative_to(tests_root.parent)
        if not folder.parts or folder.parts[0] == "support":
            continue
        if folder.parts[0] in FEATURE_FOLDERS:
            continue
        source = repo.joinpath(*folder.parts)
        if not source.is_dir():
            problems.append(
                f"{where}: tests/{folder.as_posix()}/ mirrors no folder of the "
                f"repository; move it under the folder of the code it tests"
            )
            continue
        name = path.stem.removeprefix("test_")
        if len(folder.parts) < 2:
            # A top-level package's folder also holds its feature tests, but a test named after
            # a module of one of its subpackages belongs beside that module.
            problems += _misplaced_unit_test(where, source, folder.parts[0], name)
            continue
        if not any((source / f"{prefix}{name}.py").is_file() for prefix in ("_", "")):
            problems.append(
                f"{where}: names no module {folder.as_posix()}/_{name}.py; name it "
                f"after the module it tests, or move a cross-module test up to "
                f"tests/{folder.parts[0]}/ under a feature name"
            )
    return problems


def test_every_test_module_in_a_subpackage_folder_names_a_module_there() -> None:
    assert mirror_problems(TESTS, REPO) == []


def test_the_mirror_check_names_a_test_of_no_module(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "pkg" / "sub").mkdir(parents=True)
    (repo / "pkg" / "sub" / "_mod.py").write_text("")
    (repo / "pkg" / "sub" / "plain.py").write_text("")
    (repo / "pkg" / "sub" / "_both.py").write_text("")
    (repo / "pkg" / "_both.py").write_text("")
    tests = repo / "tests"
    for name in (
        "pkg/sub/test_mod.py",
        "pkg/sub/test_plain.py",
        "pkg/test_feature.py",
        "pkg/sub/test_gone.py",
        "nothing/test_x.py",
        "support/test_helper.py",
        "pkg/test_mod.py",
        "pkg/test_both.py",
    ):
        (tests / name).parent.mkdir(parents=True, exist_ok=True)
        (tests / name).write_text("")
    problems = mirror_problems(tests, repo)
    assert [line.split(":")[0] for line in problems] == [
        "tests/nothing/test_x.py",
        "tests/pkg/sub/test_gone.py",
        "tests/pkg/test_mod.py",
    ]
    assert "mirrors no folder of the repository" in problems[0]
    assert "names no module pkg/sub/_gone.py" in problems[1]
    assert "names pkg/sub/_mod.py" in problems[2]
    assert "move it to tests/pkg/sub/test_mod.py" in problems[2]


def test_every_folder_of_test_modules_is_a_package() -> None:
    # tests/ is a package: test modules get names of their own and import helpers relatively.
    missing = sorted(
        {
            p.parent.relative_to(REPO).as_posix()
            for p in _test_modules()
            if not (p.parent / "__init__.py").is_file()
        }
    )
    assert missing == [], f"add an empty __init__.py to {', '.join(missing)}"


def test_support_holds_helpers_and_no_tests() -> None:
    found = []
    for path in sorted(SUPPORT.rglob("*.py")):
        where = path.relative_to(REPO)
        if path.name.startswith("test_") or path.name == "conftest.py":
            found.append(f"{where}: a test module or conftest in tests/support")
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        found += [
            f"{where}:{node.lineno}: {node.name} is a test"
            for node in tree.body
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            and node.name.startswith("test")
        ]
    assert found == []


def _edits_sys_path(node: ast.AST) -> bool:
    """``sys.path.insert(...)``/``append``/``extend``, or an assignment to ``sys.path``."""

    def is_sys_path(expr: ast.AST) -> bool:
        return (
            isinstance(expr, ast.Attribute)
            and expr.attr == "path"
            and isinstance(expr.value, ast.Name)
            and expr.value.id == "sys"
        )

    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        return node.func.attr in {"insert", "append", "extend"} and is_sys_path(node.func.value)
    if isinstance(node, ast.Assign | ast.AugAssign):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        return any(is_sys_path(target) for target in targets)
    return False


def test_no_test_edits_sys_path_to_find_the_project() -> None:
    # The project is installed (make venv) and tests/ is a package under the repository's
    # root, so pytest imports both; code a test runs in another interpreter is a string here.
    found = []
    for path in sorted(TESTS.rglob("*.py")):
        if path in SYS_PATH_ALLOWED:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call | ast.Assign | ast.AugAssign) and _edits_sys_path(node):
                found.append(f"{path.relative_to(REPO)}:{node.lineno}")
    assert found == []


def test_no_test_module_imports_another() -> None:
    # What two test modules share is a helper: it lives in tests/support, so that a test module
    # can be moved or split without breaking another one's imports.
    found = []
    for path in sorted(TESTS.rglob("test_*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.ImportFrom)
                and node.level > 0
                and (node.module or "").split(".")[-1].startswith("test_")
            ):
                found.append(f"{path.relative_to(REPO)}:{node.lineno} imports {node.module}")
    assert found == []
