"""The stacks ``up`` hosts, prepared: each stack file loaded and checked, its package built, its
function spec made."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ._errors import EmulatorError
from ._spec import FunctionSpec
from ._stacks import spec_from_function_stack, spec_from_stack, spec_from_worker_stack

if TYPE_CHECKING:
    from stack import FunctionPackage, StackSettings, WorkerPackage
    from stack.package import Package

__all__ = ["prepare", "stack_specs"]


def prepare(
    stacks: Sequence[str], *, root: Path, artifact: Path | None
) -> tuple[
    dict[str, StackSettings],
    list[FunctionSpec],
    dict[str, Package | FunctionPackage],
    dict[str, WorkerPackage],
]:
    from stack import (
        build_function_package,
        build_package,
        build_worker_package,
        host_dependencies,
        list_stacks,
        load_stack,
        runtime_root,
    )

    names = list(stacks) or list_stacks(root)
    if not names:
        raise EmulatorError(f"no Pulumi.<stack>.yaml under {root}: nothing to host")
    settings: dict[str, StackSettings] = {}
    specs: list[FunctionSpec] = []
    packages: dict[str, Package | FunctionPackage] = {}
    worker_packages: dict[str, WorkerPackage] = {}
    loaded = [load_stack(name, root) for name in names]  # every stack file checked first
    for s in loaded:
        name = s.name  # ``<stack>@<MB>`` is hosted as ``<stack>-at-<MB>``
        settings[name] = s
        if s.is_worker:
            # The zip AWS would run (its wheels from pip's cache after the first build).
            worker = build_worker_package(s, root=root)
            worker_packages[s.name] = worker
            specs.append(spec_from_worker_stack(s, worker))
            continue
        if s.is_function:
            # The zip AWS would run (wheels for Lambda's platform), and the same requirements
            # for this host's Python, both cached under build/deps by the file's content.
            function_package = build_function_package(s, root=root)
            packages[name] = function_package
            specs.append(
                spec_from_function_stack(s, function_package, host_dependencies(s, root=root))
            )
            continue
        package = build_package(s, artifact=artifact, root=root, runtime=runtime_root(root))
        packages[s.name] = package
        specs.append(spec_from_stack(s, package))
    return settings, specs, packages, worker_packages


def stack_specs(
    names: Sequence[str], *, root: Path, artifact: Path | None = None
) -> tuple[dict[str, StackSettings], list[FunctionSpec]]:
    """What ``python -m emulator up NAMES`` would host: each stack's settings, keyed by its own
    name (``python-512@1024`` is ``python-512-at-1024``), and its function spec, the packages
    built. Raises StackError or EmulatorError as ``up`` does."""
    settings, specs, _packages, _workers = prepare(names, root=root, artifact=artifact)
    return settings, specs
