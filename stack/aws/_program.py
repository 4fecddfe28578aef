"""What ``__main__.py`` needs from Pulumi's side: the settings, the archive and the AWS
provider's configuration, or a clean error (Pulumi prints a ``RunError`` as its message alone,
without a traceback)."""

from __future__ import annotations

import collections.abc
import inspect
import json
import re
import typing

import pulumi
import pulumi_aws as aws

from contract import PROJECT
from stack._errors import StackError
from stack._function import check_function
from stack._functionpackage import FunctionPackage, build_function_package
from stack._loading import from_config
from stack._paths import project_root
from stack._settings import StackSettings
from stack._versions import snapstart_cost_warning
from stack._workerpackage import WorkerPackage, build_worker_package
from stack.package import Package, build_package


def _config_keys() -> list[str]:
    # Every key set for the stack (``namespace:key``). pulumi.Config reads a key but cannot
    # list them; Pulumi's language host hands a program its whole config as the JSON object
    # in PULUMI_CONFIG, which pulumi.runtime.get_config_env (public) returns.
    return sorted(pulumi.runtime.get_config_env())


def _is_secret(key: str) -> bool:
    return pulumi.runtime.is_config_secret(key) or (
        key in pulumi.runtime.get_config_secret_keys_env()
    )


def _project_config_keys() -> list[str]:
    # Every key set for this project, so that a misspelt key is reported, not ignored.
    prefix = f"{PROJECT}:"
    return [key[len(prefix) :] for key in _config_keys() if key.startswith(prefix)]


def stack_from_pulumi() -> tuple[StackSettings, Package | WorkerPackage | FunctionPackage]:
    """The current stack's settings (from Pulumi config) and its built archive: the model
    function's, or for a ``loadgen-worker`` stack the worker's."""
    try:
        settings = from_config(
            pulumi.get_stack(),
            pulumi.Config(PROJECT).get,
            pulumi.Config("aws").get("region"),
            keys=_project_config_keys(),
        )
        for warning in settings.warnings:
            pulumi.log.warn(warning)
        snapstart_cost = snapstart_cost_warning(settings)
        if snapstart_cost is not None:
            # A cost that keeps running: said at preview, before anything is published.
            pulumi.log.warn(snapstart_cost)
        if settings.is_worker:
            return settings, build_worker_package(settings)
        if settings.is_function:
            check_function(settings, project_root())
            return settings, build_function_package(settings)
        return settings, build_package(settings)
    except StackError as error:
        raise pulumi.RunError(str(error)) from None


def _provider_parameters() -> dict[str, object]:
    # pulumi-aws's own list of provider arguments, each with the type of its first form
    # (str, bool, int, a list, or an input type), so a key is checked against the installed SDK.
    parameters = inspect.signature(aws.ProviderArgs.__init__).parameters
    return {
        name: typing.get_args(parameter.annotation)[0]
        for name, parameter in parameters.items()
        if name != "__self__"
    }


def _snake_case(key: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", key).lower()


def _provider_value(key: str, raw: object, kind: object) -> object:
    # Pulumi hands config to a program as strings (structured values as JSON), as the engine
    # would hand them to the default provider; decode them to what aws.Provider takes.
    if not isinstance(raw, str) or kind is str:
        return raw
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        value = None
    is_list = typing.get_origin(kind) is collections.abc.Sequence
    if kind is bool:
        valid, expected = isinstance(value, bool), "true or false"
    elif kind is int:
        valid, expected = isinstance(value, int) and not isinstance(value, bool), "a whole number"
    elif is_list:
        valid, expected = isinstance(value, list), "a list"
    else:
        valid, expected = isinstance(value, dict), "a map, as the AWS provider documents it"
    if not valid:
        raise StackError(f"aws:{key} is {raw!r}; use {expected}")
    if is_list and typing.get_args(typing.get_args(kind)[0])[:1] == (str,):
        # YAML reads an unquoted account id as a number; the provider wants strings.
        value = [str(element) for element in value]
    return value


def provider_args_from_pulumi() -> dict[str, object]:
    """The stack's whole ``aws:*`` configuration as ``aws.Provider`` arguments (``aws:region``
    excepted: it is a validated setting), so that an explicit provider honours ``aws:profile``,
    ``aws:assumeRoles``, ``aws:allowedAccountIds``, ``aws:defaultTags`` and the rest as the
    default provider would. Secrets stay secret."""
    parameters = _provider_parameters()
    args: dict[str, object] = {}
    unknown: list[str] = []
    try:
        for full_key in _config_keys():
            namespace, _, key = full_key.partition(":")
            if namespace != "aws" or key == "region":
                continue
            name = _snake_case(key)
            if name not in parameters:
                unknown.append(full_key)
                continue
            value = _provider_value(key, pulumi.runtime.get_config(full_key), parameters[name])
            args[name] = pulumi.Output.secret(value) if _is_secret(full_key) else value
        if unknown:
            raise StackError(
                f"{', '.join(unknown)}: not a setting of the AWS provider (pulumi-aws v7); "
                "see https://www.pulumi.com/registry/packages/aws/installation-configuration/"
            )
    except StackError as error:
        raise pulumi.RunError(str(error)) from None
    return args
