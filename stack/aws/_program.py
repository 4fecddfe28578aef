"""What ``__main__.py`` needs from Pulumi's side: the settings and the archive, or a clean
error (Pulumi prints a ``RunError`` as its message alone, without a traceback)."""

from __future__ import annotations

import pulumi
from pulumi.runtime import config as pulumi_config

from stack._errors import StackError
from stack.package import Package, build_package
from stack.settings import PROJECT, StackSettings, from_config


def _project_config_keys() -> list[str]:
    # Every key set for this project, so that a misspelt key is reported, not ignored.
    # Pulumi's language host passes the stack's config through set_all_config (CONFIG) or the
    # PULUMI_CONFIG environment variable.
    keys = set(pulumi_config.CONFIG.get()) | set(pulumi_config.get_config_env())
    prefix = f"{PROJECT}:"
    return sorted(key[len(prefix) :] for key in keys if key.startswith(prefix))


def stack_from_pulumi() -> tuple[StackSettings, Package]:
    """The current stack's settings (from Pulumi config) and its built archive."""
    try:
        settings = from_config(
            pulumi.get_stack(),
            pulumi.Config(PROJECT).get,
            pulumi.Config("aws").get("region"),
            keys=_project_config_keys(),
        )
        for warning in settings.warnings:
            pulumi.log.warn(warning)
        return settings, build_package(settings)
    except StackError as error:
        raise pulumi.RunError(str(error)) from None
