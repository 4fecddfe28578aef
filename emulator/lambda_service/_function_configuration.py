"""A function's configuration as ``GetFunctionConfiguration`` answers it, for ``$LATEST``, a
published version or an alias (the fields of botocore's model for ``lambda``)."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path
from typing import Any

from ..gateway._apigw import ACCOUNT_ID
from ._control_answers import not_found
from ._function_records import Config, Function

__all__ = ["config_of", "configuration"]


def _code_facts(path: Path) -> tuple[int, str]:
    """CodeSize and CodeSha256 (base64 of the SHA-256, as AWS gives it) of a package."""
    if not path.is_file():
        return 0, ""
    digest = hashlib.sha256(path.read_bytes()).digest()
    return path.stat().st_size, base64.b64encode(digest).decode()


def config_of(function: Function, qualifier: str | None) -> tuple[Config, str]:
    """The configuration ``qualifier`` names (none, ``$LATEST``, a version or an alias) and its
    version; refused as not found when there is no such version."""
    if qualifier in (None, "$LATEST"):
        return function.config, "$LATEST"
    assert qualifier is not None
    alias = function.aliases.get(qualifier)
    number = alias.version if alias is not None else qualifier
    if number == "$LATEST":
        return function.config, "$LATEST"
    version = function.versions.get(number)
    if version is None:
        raise not_found(f"Function not found: {function.arn}:{qualifier}")
    return version.config, number


def configuration(function: Function, qualifier: str | None) -> dict[str, Any]:
    """``GetFunctionConfiguration``'s answer for ``function:qualifier``."""
    config, version = config_of(function, qualifier)
    spec = config.spec
    if function.code_sha256 is None:
        size, sha = _code_facts(Path(spec.code_zip))
        function.code_sha256 = f"{size}:{sha}"
    size_text, _, sha = function.code_sha256.partition(":")
    timeout = int(spec.timeout_s) if float(spec.timeout_s).is_integer() else spec.timeout_s
    return {
        "FunctionName": spec.name,
        "FunctionArn": function.arn if version == "$LATEST" else f"{function.arn}:{version}",
        "Runtime": spec.runtime,
        "Role": f"arn:aws:iam::{ACCOUNT_ID}:role/{spec.name}",
        "Handler": spec.handler,
        "CodeSize": int(size_text),
        "Description": config.description,
        "Timeout": timeout,
        "MemorySize": spec.memory_mb,
        "LastModified": config.last_modified,
        "CodeSha256": sha,
        "Version": version,
        "Environment": {"Variables": dict(spec.environment)},
        "TracingConfig": {"Mode": "PassThrough"},
        "RevisionId": config.revision_id,
        "State": "Active",
        "LastUpdateStatus": "Successful",
        "PackageType": "Zip",
        "Architectures": [spec.architecture],
        "EphemeralStorage": {"Size": 512},
        "SnapStart": {
            "ApplyOn": "PublishedVersions" if spec.snapstart else "None",
            "OptimizationStatus": "On" if spec.snapstart and version != "$LATEST" else "Off",
        },
    }
