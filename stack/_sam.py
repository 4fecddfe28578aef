"""A function from an AWS SAM template: its ``AWS::Serverless::Function`` as a stack's settings.

Teams that already describe a function in ``template.yaml`` bring it as it is: ``CodeUri``,
``Handler``, ``Runtime``, ``MemorySize``, ``Timeout``, ``Architectures``, ``Layers`` (local
folders or zips), ``Environment.Variables``, ``HttpApi`` events (their ``Method`` and ``Path``
as routes) and an image's ``Metadata`` (``Dockerfile``, ``DockerContext``), ``Globals.Function``
applying first. CloudFormation's short tags (``!Ref``, ``!Sub``, ...) are read as plain values;
a property that needs CloudFormation to be resolved (a layer's ARN, a ``!Ref`` where a path
belongs) is one line saying what to write instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from stack._errors import SettingsError

__all__ = ["SamFunction", "read_sam_function"]

FUNCTION_TYPE = "AWS::Serverless::Function"


class _TolerantLoader(yaml.SafeLoader):
    """SafeLoader that reads CloudFormation's tags (``!Ref x``) as tagged values."""


@dataclass(frozen=True)
class _Tagged:
    tag: str
    value: object


def _tagged(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> _Tagged:
    if isinstance(node, yaml.ScalarNode):
        return _Tagged(suffix, loader.construct_scalar(node))
    if isinstance(node, yaml.SequenceNode):
        return _Tagged(suffix, loader.construct_sequence(node, deep=True))
    return _Tagged(suffix, loader.construct_mapping(node, deep=True))  # type: ignore[arg-type]


_TolerantLoader.add_multi_constructor("!", _tagged)


@dataclass(frozen=True, kw_only=True)
class SamFunction:
    """One function of a template, as a function stack's settings (paths relative to the
    template's directory, made absolute)."""

    name: str
    code: Path
    handler: str
    runtime: str
    memory_mb: int | None = None
    timeout_s: int | None = None
    architecture: str | None = None
    layers: tuple[Path, ...] = ()
    environment: dict[str, str] = field(default_factory=dict)
    routes: tuple[str, ...] = ()
    #: An image function: its Dockerfile (under ``code``, the Docker context).
    dockerfile: Path | None = None


def _merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def read_sam_function(template: Path, logical_id: str | None = None) -> SamFunction:
    """The function ``logical_id`` of ``template`` (the only one, when not named)."""
    source = str(template)
    try:
        # A SafeLoader subclass: nothing in the template can construct a Python object.
        document = yaml.load(template.read_text(encoding="utf-8"), Loader=_TolerantLoader)
    except (OSError, yaml.YAMLError) as error:
        raise SettingsError(
            template.stem, [f"cannot read the SAM template {template}: {error}"], source=source
        ) from None
    resources = (document or {}).get("Resources") if isinstance(document, Mapping) else None
    if not isinstance(resources, Mapping):
        raise SettingsError(
            template.stem, [f"{template} has no Resources: is it a SAM template?"], source=source
        )
    functions = {
        name: body
        for name, body in resources.items()
        if isinstance(body, Mapping) and body.get("Type") == FUNCTION_TYPE
    }
    if not functions:
        raise SettingsError(
            template.stem, [f"{template} declares no {FUNCTION_TYPE}"], source=source
        )
    if logical_id is None:
        if len(functions) > 1:
            raise SettingsError(
                template.stem,
                [
                    (
                        f"{template} declares {len(functions)} functions ({', '.join(functions)}); "
                        "name "
                        "one with --sam-function LOGICAL_ID"
                    )
                ],
                source=source,
            )
        logical_id = next(iter(functions))
    if logical_id not in functions:
        raise SettingsError(
            template.stem,
            [f"{template} has no function {logical_id!r}; it has {', '.join(functions)}"],
            source=source,
        )
    globals_ = (document.get("Globals") or {}).get("Function") or {}
    props = _merge(
        globals_ if isinstance(globals_, Mapping) else {},
        functions[logical_id].get("Properties") or {},
    )
    metadata = functions[logical_id].get("Metadata") or {}
    return _sam_function(logical_id, props, metadata, template.parent.resolve(), source)


def _plain(value: object, what: str, problems: list[str]) -> object:
    if isinstance(value, _Tagged):
        problems.append(
            f"{what} is !{value.tag} {value.value!r}, which CloudFormation resolves; "
            "write the value itself in the template (or in the stack file after)"
        )
        return None
    return value


def _sam_function(
    logical_id: str, props: Mapping[str, Any], metadata: Mapping[str, Any], base: Path, source: str
) -> SamFunction:
    problems: list[str] = []
    image = props.get("PackageType") == "Image"
    code_text = _plain(
        metadata.get("DockerContext") if image else props.get("CodeUri", "."), "CodeUri", problems
    )
    handler = _plain(props.get("Handler"), "Handler", problems)
    runtime = _plain(props.get("Runtime"), "Runtime", problems)
    if image:
        handler = handler or (metadata.get("DockerBuildArgs") or {}).get("HANDLER")
        command = (
            props.get("ImageConfig", {}).get("Command")
            if isinstance(props.get("ImageConfig"), Mapping)
            else None
        )
        if not handler and isinstance(command, list) and command:
            handler = command[0]
        runtime = runtime or "python3.12"
    if not isinstance(code_text, str) or not code_text:
        problems.append("CodeUri must be a local folder or .zip (an s3:// URI is not read here)")
        code_text = "."
    if isinstance(code_text, str) and code_text.startswith("s3://"):
        problems.append(f"CodeUri {code_text} is in S3; point it at the local folder")
    if not isinstance(handler, str) or not handler:
        problems.append(f"{logical_id} has no Handler; add one (e.g. app.lambda_handler)")
    if not isinstance(runtime, str) or not runtime:
        problems.append(f"{logical_id} has no Runtime; add one (e.g. python3.12)")
    layers: list[Path] = []
    for layer in props.get("Layers") or []:
        if isinstance(layer, str) and not layer.startswith("arn:"):
            layers.append(base / layer)
        else:
            problems.append(
                f"layer {layer!r} is an ARN or a reference; give the layer's local "
                "folder or .zip instead (the emulator cannot fetch a published layer)"
            )
    env = (
        ((props.get("Environment") or {}).get("Variables") or {})
        if isinstance(props.get("Environment"), Mapping)
        else {}
    )
    environment = {}
    for key, value in env.items():
        plain = _plain(value, f"Environment variable {key}", problems)
        if plain is not None:
            environment[str(key)] = str(plain).lower() if isinstance(plain, bool) else str(plain)
    routes = []
    for event in (props.get("Events") or {}).values():
        if not isinstance(event, Mapping) or event.get("Type") != "HttpApi":
            continue
        event_props = event.get("Properties") or {}
        path, method = event_props.get("Path"), event_props.get("Method")
        if not path and not method:
            routes.append("$default")
        else:
            routes.append(f"{str(method or 'ANY').upper()} {path or '/'}")
    architectures = props.get("Architectures") or []
    if problems:
        raise SettingsError(logical_id, problems, source=source)
    code = base / str(code_text)
    dockerfile = code / str(metadata.get("Dockerfile", "Dockerfile")) if image else None
    return SamFunction(
        name=logical_id,
        code=code,
        handler=str(handler),
        runtime=str(runtime),
        memory_mb=int(props["MemorySize"]) if isinstance(props.get("MemorySize"), int) else None,
        timeout_s=int(props["Timeout"]) if isinstance(props.get("Timeout"), int) else None,
        architecture=str(architectures[0]) if architectures else None,
        layers=tuple(layers),
        environment=environment,
        routes=tuple(dict.fromkeys(routes)),
        dockerfile=dockerfile,
    )
