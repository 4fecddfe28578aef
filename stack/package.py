"""A stack's code archive (and model layer): what Lambda runs and what the emulator hosts.

One build, two targets: ``build_package`` turns ``runtime/<language>/`` and the model artifact
into a zip whose bytes depend only on its inputs (``stack._archive``), so its base64 SHA-256 is
a stable ``source_code_hash`` and stacks that share an archive share the file. Standard library
and ``model``'s artifact reader only (no TensorFlow, no numpy); ``runtime/`` is read as files,
never imported, and the Java classes come from ``runtime/java/build.py`` run in a subprocess
(``stack/_javabuild.py``).

A framework model runtime adds its export beside ``model.zip`` and its dependencies
(``stack/_frameworks.py``): ``litert`` puts the wheels pip installs for Lambda's platform into
the zip; ``tensorflow`` is too large for a zip, so its package is a container image's build
context (Dockerfile, requirements file, function and model), and its zip holds the function
and model alone, with the requirements beside it, for a host that brings its own TensorFlow.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from contract import (
    DIRECT_UPLOAD_BYTES_MAX,
    EXPORT_SUFFIXES,
    HANDLERS,
    MODEL_FILE,
    UNZIPPED_BYTES_MAX,
)
from stack import _frameworks
from stack._archive import code_archive, write_once, zip_bytes
from stack._deployable import Deployable, mb, too_large_to_upload
from stack._errors import PackageError
from stack._javabuild import java_class_files
from stack._paths import project_root, runtime_root
from stack._settings import StackSettings

__all__ = [
    "IMAGE_MODEL_RUNTIMES",
    "Package",
    "PackageError",
    "build_package",
]

#: Model runtimes deployed as a container image: TensorFlow unzips to more than 250 MB.
IMAGE_MODEL_RUNTIMES = frozenset({"tensorflow"})
# The module Lambda loads the Python handler from (contract.HANDLERS): app.py.
_PYTHON_HANDLER_MODULE = HANDLERS["python"].partition(".")[0] + ".py"
_MODEL_VERSION = re.compile(r"[A-Za-z0-9._-]{1,64}")
#: The model description inside the artifact zip (docs/model-artifact.md).
_ARTIFACT_MEMBER = "model.json"


@dataclass(frozen=True)
class Package(Deployable):
    """A built stack archive. Paths are absolute; hashes are base64 SHA-256 (Lambda's form)."""

    #: The function's code archive (deploy it as the function's code; the emulator unpacks it).
    code_zip: Path
    #: The model layer (``model.zip`` at its root, mounted at /opt) for ``layer``, else None.
    layer_zip: Path | None
    #: base64 SHA-256 of ``code_zip``: the function's ``source_code_hash``.
    code_sha256_b64: str
    #: base64 SHA-256 of ``layer_zip``, or None.
    layer_sha256_b64: str | None
    #: The handler Lambda loads from the archive.
    handler: str
    #: Size of ``code_zip`` in bytes (over ``DIRECT_UPLOAD_BYTES_MAX``: deployed from S3).
    size_bytes: int
    #: The model version read from the artifact's model.json.
    model_version: str
    #: The model artifact packaged (or, for ``s3``, to upload).
    artifact: Path
    #: Size of ``layer_zip`` in bytes, or 0.
    layer_size_bytes: int = 0
    #: What Lambda unpacks: code and layer, unzipped (at most ``UNZIPPED_BYTES_MAX``).
    unzipped_bytes: int = 0
    #: ``artifact``, ``litert``, ``tensorflow`` or ``onnx`` (the stack's ``model_runtime``).
    model_runtime: str = "artifact"
    #: The framework's requirement lines (pins from pyproject.toml), or empty.
    requirements: tuple[str, ...] = ()
    #: Image stacks: the Docker build context (``Dockerfile``, ``requirements.txt``,
    #: ``function/``), its name ending in its content's hash; else None. ``code_zip`` then holds
    #: ``function/``'s files for a host that installs ``requirements`` itself.
    image_context: Path | None = None
    #: Image stacks: the image tag, the first 12 hex digits of the context's SHA-256.
    image_tag: str | None = None
    #: Zip stacks with a framework: the installed tree (in the cache) whose files the zip
    #: holds beside the function, for Lambda's interpreter and platform; else None.
    dependencies: Path | None = None

    @property
    def layer_from_s3(self) -> bool:
        """The layer archive is too large to upload with the request: deploy it from S3."""
        return too_large_to_upload(self.layer_size_bytes)


def build_package(
    settings: StackSettings,
    *,
    artifact: Path | None = None,
    out_dir: Path | None = None,
    root: Path | None = None,
    runtime: Path | None = None,
    deps_cache: Path | None = None,
) -> Package:
    """Build (or reuse, when the same bytes exist already) the archives of one stack.

    ``root`` is the repository (runtimes under ``<root>/runtime``); by default the project
    directory, with the runtimes of the checkout or, installed, those shipped in this package
    (``stack._paths``). ``artifact`` defaults to ``<root>/build/model.zip`` (a framework
    runtime's export beside it); archives go to ``out_dir`` (``<root>/build/packages``), named
    ``<language>-<strategy>-<sha12>.zip`` (with ``-<model runtime>-<architecture>`` before the
    hash for a framework runtime) and ``model-layer-<sha12>.zip``; image contexts to
    ``<out_dir>/images``. Framework wheels are installed once into ``deps_cache``
    (``<root>/build/deps``) and reused offline after. ``runtime`` overrides where the
    functions' sources are.
    """
    if settings.is_worker:
        raise PackageError(
            f"stack {settings.name} is a loadgen-worker stack, which holds the load generator, "
            "not a model function: build it with stack._workerpackage.build_worker_package"
        )
    if runtime is None:
        runtime = runtime_root() if root is None else Path(root).resolve() / "runtime"
    root = (project_root() if root is None else Path(root)).resolve()
    artifact = (root / "build" / MODEL_FILE if artifact is None else Path(artifact)).resolve()
    out_dir = (root / "build" / "packages" if out_dir is None else Path(out_dir)).resolve()
    deps_cache = (root / "build" / "deps" if deps_cache is None else Path(deps_cache)).resolve()
    model_bytes, model_version = _read_artifact(artifact)
    out_dir.mkdir(parents=True, exist_ok=True)
    model_files = {MODEL_FILE: model_bytes}
    model_runtime = settings.model_runtime
    if model_runtime in EXPORT_SUFFIXES:
        suffix = EXPORT_SUFFIXES[model_runtime]
        model_files["model" + suffix] = _read_export(artifact, suffix, model_runtime)

    if settings.language == "python":
        files = _python_files(runtime)
    else:
        files = java_class_files(runtime, out_dir)
    if settings.model_strategy == "bundled":
        files.update(model_files)
    layer_files = dict(model_files) if settings.model_strategy == "layer" else {}
    requirements: tuple[str, ...] = ()
    image_context: Path | None = None
    image_tag: str | None = None
    tree: Path | None = None
    if model_runtime in EXPORT_SUFFIXES:
        requirements = _frameworks.framework_requirements(
            model_runtime, settings.architecture, root
        )
    if model_runtime in IMAGE_MODEL_RUNTIMES:
        image_context, image_tag = _image_context(settings, files, requirements, out_dir)
    elif requirements:
        tree = _frameworks.bundle_dependencies(
            files,
            requirements,
            runtime=settings.runtime,
            architecture=settings.architecture,
            deps_cache=deps_cache,
            refusal=(
                f"stack {settings.name}: the function's {{path}} would be overwritten by a "
                "file of its dependencies ({requirements}); rename the module in "
                "runtime/python/"
            ),
        )
    # Checked before compressing: what Lambda unpacks is what counts.
    unzipped_bytes = sum(map(len, files.values())) + sum(map(len, layer_files.values()))
    if image_context is None and unzipped_bytes > UNZIPPED_BYTES_MAX:
        remedy = (
            f"the {model_runtime} runtime's dependencies are too large for a zip"
            if requirements
            else "load a large model from S3 instead (model_strategy: s3)"
        )
        raise PackageError(
            f"stack {settings.name}: code and layer unzip to {mb(unzipped_bytes)}, over Lambda's "
            f"{mb(UNZIPPED_BYTES_MAX)} unzipped limit (archives over "
            f"{mb(DIRECT_UPLOAD_BYTES_MAX)} zipped are deployed from S3, but that limit holds); "
            f"{remedy}"
        )
    variant = settings.model_strategy
    if model_runtime != "artifact":
        variant += f"-{model_runtime}-{settings.architecture}"
    code_zip, code_hash, code_size = code_archive(
        files, out_dir, f"{settings.language}-{variant}", remember=bool(requirements)
    )

    layer_zip: Path | None = None
    layer_sha256_b64: str | None = None
    layer_size_bytes = 0
    if layer_files:
        layer = zip_bytes(layer_files)
        layer_size_bytes = len(layer)
        layer_hash = hashlib.sha256(layer).digest()
        layer_zip = write_once(out_dir / f"model-layer-{layer_hash.hex()[:12]}.zip", layer)
        layer_sha256_b64 = base64.b64encode(layer_hash).decode("ascii")

    return Package(
        code_zip=code_zip,
        layer_zip=layer_zip,
        code_sha256_b64=base64.b64encode(code_hash).decode("ascii"),
        layer_sha256_b64=layer_sha256_b64,
        handler=settings.handler,
        size_bytes=code_size,
        model_version=model_version,
        artifact=artifact,
        layer_size_bytes=layer_size_bytes,
        unzipped_bytes=unzipped_bytes,
        model_runtime=model_runtime,
        requirements=requirements,
        image_context=image_context,
        image_tag=image_tag,
        dependencies=tree,
    )


def _image_context(
    settings: StackSettings,
    function_files: Mapping[str, bytes],
    requirements: tuple[str, ...],
    out_dir: Path,
) -> tuple[Path, str]:
    """Write the image's build context (once per content) and return it with its tag."""
    context = {
        "Dockerfile": _frameworks.dockerfile(settings.runtime, settings.architecture).encode(),
        "requirements.txt": _frameworks.requirements_text(requirements).encode(),
    }
    context.update({f"function/{name}": data for name, data in function_files.items()})
    digest = hashlib.sha256()
    for name in sorted(context):
        digest.update(name.encode() + b"\0")
        digest.update(hashlib.sha256(context[name]).digest())
    tag = digest.hexdigest()[:12]
    directory = out_dir / "images" / f"{settings.language}-{settings.model_runtime}-{tag}"
    return _frameworks.write_tree(directory, context), tag


def _read_export(artifact: Path, suffix: str, model_runtime: str) -> bytes:
    export = artifact.with_suffix(suffix)
    if not export.is_file():
        raise PackageError(
            f"the {model_runtime} runtime serves {export.name} beside the artifact, and "
            f"{export} does not exist: run `python -m model export {artifact}` (or `make model`)"
        )
    return export.read_bytes()


def _read_artifact(artifact: Path) -> tuple[bytes, str]:
    rebuild = "rebuild it with `make model` (python -m model train)"
    if not artifact.is_file():
        raise PackageError(
            f"model artifact not found at {artifact}: run `make model` (python -m model train) "
            "to train and write it, or pass the path of an existing model.zip"
        )
    # The artifact is a file another part writes (docs/model-artifact.md): packaging reads the
    # one field it needs from it, and the function validates the whole of it at init.
    try:
        with zipfile.ZipFile(artifact) as archive:
            document = json.loads(archive.read(_ARTIFACT_MEMBER).decode("utf-8"))
        version = document["model_version"] if isinstance(document, dict) else None
    except (zipfile.BadZipFile, OSError, KeyError, ValueError) as error:
        raise PackageError(
            f"{artifact} is not a model artifact `python -m model` wrote, so it has no usable "
            f"model_version: {error}; {rebuild}"
        ) from None
    if not isinstance(version, str) or not _MODEL_VERSION.fullmatch(version):
        raise PackageError(
            f"{artifact}: model.json has no usable model_version (found {version!r}); {rebuild}"
        )
    return artifact.read_bytes(), version


def _python_files(runtime: Path) -> dict[str, bytes]:
    # The handler is a flat set of modules: every *.py directly in runtime/python/.
    source = runtime / "python"
    files = {path.name: path.read_bytes() for path in sorted(source.glob("*.py")) if path.is_file()}
    if _PYTHON_HANDLER_MODULE not in files:
        raise PackageError(
            f"the Python function is missing: no {source / _PYTHON_HANDLER_MODULE} "
            f"(the handler {HANDLERS['python']}); restore runtime/python/ from the repository"
        )
    return files
