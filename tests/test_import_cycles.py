"""No import cycle between the modules of our packages, type-only imports included.

A cycle makes the import order matter and a module impossible to read (or test) without the other;
``if TYPE_CHECKING:`` hides it from the interpreter but not from the reader, so it counts here too,
as do imports inside functions. The packages are found, not listed, so a new one is held to it too.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from .support.paths import REPO

#: folders whose modules are imported as top-level names (the function's package, flat)
FLAT_ROOTS = (REPO / "runtime" / "python",)


def _modules() -> dict[str, Path]:
    """Every module of our packages (and flat roots), by its dotted name."""
    found: dict[str, Path] = {}
    packages = [
        p for p in sorted(REPO.iterdir()) if (p / "__init__.py").is_file() and p.name != "tests"
    ]
    for package in packages:
        for path in sorted(package.rglob("*.py")):
            parts = path.relative_to(REPO).with_suffix("").parts
            if any(
                not (REPO.joinpath(*parts[:i]) / "__init__.py").is_file()
                for i in range(1, len(parts))
            ):
                continue  # a folder of scripts or data inside a package, not a subpackage
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    for root in FLAT_ROOTS:
        for path in sorted(root.glob("*.py")):
            found[path.stem] = path
    return found


def _imported(name: str, path: Path, modules: dict[str, Path]) -> Iterator[str]:
    """The modules of ours that ``name`` imports anywhere in its text."""
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if is_package else name.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                source = ".".join([*base, *([node.module] if node.module else [])])
            else:
                source = node.module or ""
            # ``from package import submodule`` imports the submodule; any other name, the module.
            targets = [
                f"{source}.{alias.name}" if f"{source}.{alias.name}" in modules else source
                for alias in node.names
            ]
        else:
            continue
        for target in targets:
            if target in modules and target != name:
                yield target


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_check_sees_our_packages_and_a_type_only_cycle(tmp_path: Path) -> None:
    modules = _modules()
    assert {
        "emulator.lambda_service._host",
        "emulator.instance._runtime_api",
        "loadgen",
        "stack.aws",
        "app",
    } <= set(modules)
    a, b = tmp_path / "a.py", tmp_path / "b.py"
    a.write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.b import B\n")
    b.write_text("from .a import A\n")
    fake = {"pkg.a": a, "pkg.b": b}
    graph = {name: set(_imported(name, path, fake)) for name, path in fake.items()}
    assert _cycles(graph) == [["pkg.a", "pkg.b"]]


def test_no_import_cycle_between_modules_of_our_packages() -> None:
    modules = _modules()
    graph = {name: set(_imported(name, path, modules)) for name, path in modules.items()}
    cycles = _cycles(graph)
    assert not cycles, (
        "import cycles (break each with a small protocol or a moved name): "
        + "; ".join(" <-> ".join(cycle) for cycle in cycles)
    )
