"""A stack of the study: its settings, its deterministic archive, and (in ``stack.aws``) its
AWS resources.

Importing ``stack`` never imports Pulumi: the emulator needs only the settings and the
archive. The Pulumi components live in ``stack.aws``.
"""

from __future__ import annotations

from stack._errors import PackageError, SettingsError, StackError
from stack._function import check_function, function_paths, function_stack_text, guess_handler
from stack._functionpackage import FunctionPackage, build_function_package, host_dependencies
from stack._paths import project_root, runtime_root
from stack._sam import SamFunction, read_sam_function
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

__all__ = [  # noqa: RUF022 - sorted as the surface test sorts it
    "FunctionPackage",
    "PROJECT",
    "Package",
    "PackageError",
    "SamFunction",
    "SettingsError",
    "StackError",
    "StackSettings",
    "WorkerPackage",
    "build_function_package",
    "build_package",
    "build_worker_package",
    "check_function",
    "from_config",
    "function_paths",
    "function_stack_text",
    "guess_handler",
    "host_dependencies",
    "list_stacks",
    "load_stack",
    "load_stack_file",
    "model_env",
    "model_key",
    "project_root",
    "read_sam_function",
    "runtime_root",
]
