"""The artifact: canonical ``model.json``, its content version, and the deterministic zip.

See docs/model-artifact.md; this module is its reference implementation on the writing side.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from model._errors import ArtifactError
from model._reference import _is_finite_number, _is_positive

#: The schema of ``model.json`` this code writes and reads (docs/model-artifact.md).
SCHEMA_VERSION = 1
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


_REQUIRED: dict[str, type | tuple[type, ...]] = {
    "schema_version": int,
    "model_version": str,
    "subset": str,
    "inputs": list,
    "columns": int,
    "weights": list,
    "bias": (float, int),
    "threshold": (float, int),
    "metrics": dict,
    "data": dict,
    "training": dict,
}


def check_model(model: Mapping[str, Any]) -> None:
    """Raise ArtifactError unless ``model`` has the shape schema 1 requires."""
    for key, kind in _REQUIRED.items():
        if key not in model:
            raise ArtifactError(f"model.json lacks the key {key!r}")
        if not isinstance(model[key], kind) or isinstance(model[key], bool):
            raise ArtifactError(f"model.json: {key!r} must be a {_kind_name(kind)}")
    if model["schema_version"] != SCHEMA_VERSION:
        raise ArtifactError(
            f"model.json: schema_version {model['schema_version']} is not supported; "
            f"this code reads schema_version {SCHEMA_VERSION}"
        )
    width = 0
    for position, spec in enumerate(model["inputs"]):
        width += _check_input(spec, position)
    if width != model["columns"] or len(model["weights"]) != width:
        raise ArtifactError(
            f"model.json: the inputs expand to {width} columns, 'columns' is "
            f"{model['columns']} and there are {len(model['weights'])} weights; all must agree"
        )
    if not all(_is_finite_number(w) for w in model["weights"]):
        raise ArtifactError("model.json: every weight must be a finite number")
    if not (math.isfinite(model["bias"]) and math.isfinite(model["threshold"])):
        raise ArtifactError("model.json: bias and threshold must be finite numbers")


def _check_input(spec: Any, position: int) -> int:
    if not isinstance(spec, dict) or not isinstance(spec.get("name"), str):
        raise ArtifactError(f"model.json: inputs[{position}] must be an object with a name")
    where = f"model.json: input {spec['name']!r}"
    if spec.get("kind") == "numeric":
        offset = spec.get("log_offset")
        if offset is not None and not _is_finite_number(offset):
            raise ArtifactError(f"{where}: log_offset must be a number or null")
        if not _is_finite_number(spec.get("mean")) or not _is_positive(spec.get("std")):
            raise ArtifactError(f"{where}: needs a finite mean and a positive std")
        return 1
    if spec.get("kind") == "categorical":
        vocabulary = spec.get("vocabulary")
        if not isinstance(vocabulary, list) or not all(isinstance(v, str) for v in vocabulary):
            raise ArtifactError(f"{where}: vocabulary must be a list of strings")
        if spec.get("unknown") != "zeros":
            raise ArtifactError(f"{where}: unknown must be 'zeros' (the only rule of schema 1)")
        mean, std = spec.get("mean"), spec.get("std")
        if (
            not isinstance(mean, list)
            or not isinstance(std, list)
            or not len(mean) == len(std) == len(vocabulary)
            or not all(_is_finite_number(m) for m in mean)
            or not all(_is_positive(s) for s in std)
        ):
            raise ArtifactError(
                f"{where}: needs one finite mean and one positive std per vocabulary entry"
            )
        return len(vocabulary)
    raise ArtifactError(f"{where}: kind must be 'numeric' or 'categorical'")


def _kind_name(kind: type | tuple[type, ...]) -> str:
    return kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
