"""A stack of the study: its settings, its deterministic archive, and (in ``stack.aws``) its
AWS resources.

Importing ``stack`` never imports Pulumi: the emulator needs only the settings and the
archive. The Pulumi components live in ``stack.aws``.
"""

from __future__ import annotations

from stack._errors import PackageError, SettingsError, StackError
from stack._paths import project_root, runtime_root
from stack._workerpackage import WorkerPackage, build_worker_package
from stack.package import Package, build_package
from stack.settings import (
    PROJECT,
    StackSettings,
    from_config,
    list_stacks,
    load_stack,
    load_stack_file,
    model_env,
    model_key,
)

__all__ = [
    "PROJECT",
    "Package",
    "PackageError",
    "SettingsError",
    "StackError",
    "StackSettings",
    "WorkerPackage",
    "build_package",
    "build_worker_package",
    "from_config",
    "list_stacks",
    "load_stack",
    "load_stack_file",
    "model_env",
    "model_key",
    "project_root",
    "runtime_root",
]
