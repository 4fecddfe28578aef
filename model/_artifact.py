"""The artifact: canonical ``model.json``, its content version, and the deterministic zip.

See docs/model-artifact.md; this module is its reference implementation on the writing side.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path
from typing import Any

from model._errors import ArtifactError
from model._reference import SCHEMA_VERSION, check_model

MEMBER = "model.json"
#: The earliest timestamp a zip can hold; a fixed one makes the bytes reproducible.
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
_MEMBER_MODE = 0o100644  # a regular file, rw-r--r--


def canonical_json(obj: Any) -> bytes:
    """Keys sorted, no whitespace, floats as Python's repr, no NaN or Infinity, UTF-8."""
    try:
        text = json.dumps(
            obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        )
    except ValueError as exc:
        raise ArtifactError(f"the model cannot be written as canonical JSON: {exc}") from exc
    return text.encode("utf-8")


def model_version(model: dict[str, Any]) -> str:
    """First 12 hex digits of SHA-256 of the canonical JSON without ``model_version``."""
    body = {k: v for k, v in model.items() if k != "model_version"}
    return hashlib.sha256(canonical_json(body)).hexdigest()[:12]


def with_version(model: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``model`` with its ``model_version`` set from its content."""
    return {**model, "model_version": model_version(model)}


def artifact_bytes(model: dict[str, Any]) -> bytes:
    """The zip: one DEFLATE member ``model.json``, fixed timestamp and permissions."""
    check_model(model)
    if model.get("model_version") != model_version(model):
        raise ArtifactError("model_version does not match the content; use with_version()")
    info = zipfile.ZipInfo(MEMBER, date_time=_ZIP_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = _MEMBER_MODE << 16
    info.create_system = 3  # Unix, so the permissions above are honoured by unzip
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(info, canonical_json(model), compresslevel=9)
    return buffer.getvalue()


def write_artifact(path: str | Path, model: dict[str, Any]) -> Path:
    """Write the artifact of ``model`` to ``path`` (parents created); returns the path."""
    out = Path(path)
    data = artifact_bytes(model)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(data)
    except OSError as exc:
        raise ArtifactError(f"{out}: cannot write the artifact: {exc.strerror or exc}") from exc
    return out


def read_artifact(path: str | Path) -> dict[str, Any]:
    """Read and check an artifact zip; returns the ``model.json`` object."""
    file = Path(path)
    try:
        with zipfile.ZipFile(file) as archive:
            names = archive.namelist()
            if names != [MEMBER]:
                raise ArtifactError(f"{file}: expected exactly one member {MEMBER}, found {names}")
            raw = archive.read(MEMBER)
    except FileNotFoundError:
        raise ArtifactError(
            f"{file}: no such file; train one with `python -m model train`"
        ) from None
    except (zipfile.BadZipFile, OSError) as exc:
        raise ArtifactError(f"{file}: not a readable zip ({exc})") from None
    return load_model_json(raw, source=f"{file}:{MEMBER}")


def load_model_json(raw: bytes, *, source: str) -> dict[str, Any]:
    try:
        model = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ArtifactError(f"{source}: not valid UTF-8 JSON ({exc})") from None
    if not isinstance(model, dict):
        raise ArtifactError(f"{source}: expected a JSON object at the top level")
    if model.get("schema_version") != SCHEMA_VERSION:
        raise ArtifactError(
            f"{source}: schema_version {model.get('schema_version')!r} is not supported; "
            f"this code reads schema_version {SCHEMA_VERSION}"
        )
    check_model(model)
    if model["model_version"] != model_version(model):
        raise ArtifactError(
            f"{source}: model_version {model['model_version']!r} does not match the content "
            f"({model_version(model)}); the file was altered"
        )
    return model
