"""``contract.ExitCode`` is the one set of exit codes: README's table lists exactly its members,
every command line runs in ``contract.run_main``, and no command module writes a code as a
bare number."""

from __future__ import annotations

import ast
import re
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from contract import ExitCode, signalled

REPO = Path(__file__).resolve().parents[2]
#: The module holding each command line's ``main`` (``python -m <package>``).
ENTRIES = {
    "model": "model/_cli.py",
    "stack": "stack/__main__.py",
    "emulator": "emulator/_cli.py",
    "loadgen": "loadgen/__main__.py",
    "report": "report/__main__.py",
    "study": "study/__main__.py",
}
#: Beyond each package's ``__main__.py`` and ``_cli*.py``: the modules that decide an exit code.
DECIDERS = ("loadgen/_console.py", "study/_run.py", "study/sweep/_cli.py", "study/sweep/_apply.py")
#: Names whose comparisons and assignments hold exit codes.
CODE_NAME = re.compile(r"(?i)(^|_)(code|status|statuses|returncode)$")


def command_modules() -> list[Path]:
    found = {REPO / path for path in (*ENTRIES.values(), *DECIDERS)}
    for package in ENTRIES:
        found.update((REPO / package).glob("__main__.py"))
        found.update((REPO / package).glob("_cli*.py"))
    return sorted(found)


def test_signalled_is_128_plus_the_signal() -> None:
    assert signalled(signal.SIGINT) == 130 == int(ExitCode.INTERRUPTED)
    assert signalled(signal.SIGTERM) == 143 == int(ExitCode.TERMINATED)
    assert signalled(signal.SIGPIPE) == 141 == int(ExitCode.BROKEN_PIPE)
    assert signalled(signal.SIGKILL) == 137


def _readme_table() -> dict[str, int]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("### Exit codes", 1)[1]
    table = next(block for block in section.split("\n\n") if block.startswith("| code |"))
    rows: dict[str, int] = {}
    for line in table.splitlines()[2:]:
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        rows[cells[1].strip("`")] = int(cells[0])
    return rows


def test_the_readme_lists_exactly_the_exit_codes() -> None:
    assert _readme_table() == {code.name: code.value for code in ExitCode}


def _main_calls_run_main(path: Path) -> bool:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == "main":
            return any(
                isinstance(call, ast.Call)
                and isinstance(call.func, ast.Name)
                and call.func.id == "run_main"
                for call in ast.walk(node)
            )
    raise AssertionError(f"{path.relative_to(REPO)} has no main()")


@pytest.mark.parametrize("package", sorted(ENTRIES))
def test_every_command_line_runs_in_the_one_frame(package: str) -> None:
    assert _main_calls_run_main(REPO / ENTRIES[package]), (
        f"{ENTRIES[package]}: main() does not go through contract.run_main"
    )


def _is_int(node: ast.AST | None) -> bool:
    return (
        isinstance(node, ast.Constant)
        and isinstance(node.value, int)
        and not isinstance(node.value, bool)
    )


def _named_code(node: ast.AST) -> bool:
    name = (
        node.id
        if isinstance(node, ast.Name)
        else node.attr
        if isinstance(node, ast.Attribute)
        else ""
    )
    return bool(CODE_NAME.search(name))


def bare_codes(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """(line, what) for every exit code written as a number."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Return) and node.value is not None:
            values = (
                node.value.elts
                if isinstance(node.value, ast.Tuple)
                else [node.value.body, node.value.orelse]
                if isinstance(node.value, ast.IfExp)
                else [node.value]
            )
            if any(_is_int(value) for value in values):
                yield node.lineno, "returns a number"
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in ("exit", "SystemExit", "_exit") and any(_is_int(a) for a in node.args):
                yield node.lineno, f"calls {name} with a number"
        elif isinstance(node, ast.BinOp) and (_is_int(node.left) or _is_int(node.right)):
            if 128 in {getattr(node.left, "value", None), getattr(node.right, "value", None)}:
                yield node.lineno, "adds 128 itself (use signalled)"
        elif isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            if any(_named_code(side) for side in sides) and any(_is_int(s) for s in sides):
                yield node.lineno, "compares a code with a number"
        elif isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            values = node.value.elts if isinstance(node.value, ast.Tuple) else [node.value]
            if any(_named_code(t) for t in targets) and any(_is_int(v) for v in values):
                yield node.lineno, "sets a code to a number"


def test_no_command_module_writes_an_exit_code_as_a_number() -> None:
    found = [
        f"{path.relative_to(REPO)}:{line}: {what}; use contract.ExitCode"
        for path in command_modules()
        for line, what in bare_codes(ast.parse(path.read_text(encoding="utf-8")))
    ]
    assert found == []


@pytest.mark.parametrize(
    "source",
    [
        "def main():\n    return 2\n",
        "def main():\n    return 0 if ok else 3\n",
        "def outcome():\n    return 1, 'warning'\n",
        "def main():\n    return 128 + signum\n",
        "sys.exit(2)\n",
        "raise SystemExit(130)\n",
        "if done.returncode != 0:\n    pass\n",
        "if code == 6:\n    pass\n",
        "status = 2\n",
        "_FAILING_STATUSES = (4, 3, 2)\n",
    ],
)
def test_the_scan_finds_a_bare_code(source: str) -> None:
    assert list(bare_codes(ast.parse(source)))


def test_the_scan_lets_names_and_other_numbers_be() -> None:
    source = (
        "def main():\n    if len(rows) == 0:\n        return ExitCode.USAGE\n"
        "    width = 2\n    return signalled(signum)\n"
    )
    assert list(bare_codes(ast.parse(source))) == []
