"""The package of a ``function`` stack: the team's code, its dependencies as Lambda would run
them, its layers, or the build context of its image.

Python dependencies are the wheels pip installs for the function's runtime and architecture
(``pip install --only-binary=:all: --platform manylinux... --python-version 3.12 -r
requirements.txt --target``, as ``stack._frameworks`` installs LiteRT's), cached under
``build/deps`` by the requirements file's content and the target, then zipped with the code by
the same deterministic zip as every stack. Lambda's limits (250 MB unzipped, code and layers;
over 50 MB zipped the code is deployed from S3) are checked before anything starts. The
emulator runs on the host's interpreter, so ``host_dependencies`` installs the same file for
the host once (same cache, keyed alike). A requirement without a wheel for the target (only a
source distribution, which needs a compiler Lambda does not have; wheels only for another
platform) is one line saying which and what to change. Standard library only; pip runs in a
subprocess.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from contract import UNZIPPED_BYTES_MAX
from stack import _frameworks
from stack._archive import code_archive, write_once, zip_bytes
from stack._deployable import Deployable, mb
from stack._errors import PackageError
from stack._frameworks import _PIP_TIMEOUT_S, DependencyTarget, pip_install_tree
from stack._function import function_paths, resolve
from stack._paths import project_root
from stack._settings import StackSettings

__all__ = ["FunctionPackage", "build_function_package", "host_dependencies"]

_SKIPPED_PARTS = frozenset({"__pycache__", ".git", ".venv", "node_modules", ".pytest_cache"})
_NO_MATCH = re.compile(r"No matching distribution found for ([^\s]+)")
_NO_VERSION = re.compile(r"Could not find a version that satisfies the requirement ([^\s]+)")


@dataclass(frozen=True, kw_only=True)
class FunctionPackage(Deployable):
    """A built function package. Paths are absolute; hashes base64 SHA-256 (Lambda's form)."""

    #: The code archive: the team's files and, for a zip function, its dependencies.
    code_zip: Path
    #: base64 SHA-256 of ``code_zip``.
    code_sha256_b64: str
    #: The handler Lambda loads.
    handler: str
    #: Size of ``code_zip`` in bytes (over 50 MB: deployed from S3).
    size_bytes: int
    #: Code and layers unzipped, in bytes (at most 250 MB).
    unzipped_bytes: int
    #: The requirements file installed, or None.
    requirements_file: Path | None = None
    #: Its requirement lines (comments and blanks left out).
    requirements: tuple[str, ...] = ()
    #: The dependency tree installed for Lambda's platform (in the cache), or None.
    dependencies: Path | None = None
    #: Layer archives in Lambda's order, and their bytes zipped.
    layer_zips: tuple[Path, ...] = ()
    layer_bytes: int = 0
    #: The layers' files in one archive, a later layer's file over an earlier one's (what
    #: Lambda's /opt holds): what a host that mounts one layer unpacks; None without layers.
    merged_layer_zip: Path | None = None
    #: An image function: the build context (the code folder with the user's Dockerfile).
    image_context: Path | None = None
    #: The image's Dockerfile, relative to ``image_context``.
    dockerfile: str | None = None
    #: The image tag: the first 12 hex digits of the context's content hash.
    image_tag: str | None = None

    def describe(self) -> str:
        """One line for the user: the package and its sizes."""
        if self.is_image:
            return (
                f"image from {self.image_context}/{self.dockerfile} (tag {self.image_tag}; "
                f"code {mb(self.unzipped_bytes)})"
            )
        deps = f", {len(self.requirements)} requirement(s)" if self.requirements else ""
        layers = f", {len(self.layer_zips)} layer(s)" if self.layer_zips else ""
        return (
            f"{self.code_zip.name}: {mb(self.size_bytes)} zipped, "
            f"{mb(self.unzipped_bytes)} unzipped{deps}{layers}"
        )


def _folder_files(folder: Path, prefix: str = "") -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if _SKIPPED_PARTS & set(relative.parts) or path.suffix == ".pyc":
            continue
        if path.is_file():
            files[prefix + relative.as_posix()] = path.read_bytes()
    return files


def _archive_files(archive_path: Path) -> dict[str, bytes]:
    try:
        with zipfile.ZipFile(archive_path) as archive:
            return {
                info.filename: archive.read(info)
                for info in archive.infolist()
                if not info.is_dir()
            }
    except (OSError, zipfile.BadZipFile) as error:
        raise PackageError(f"cannot read {archive_path}: {error}; give a valid .zip") from None


def _files_of(path: Path) -> dict[str, bytes]:
    return _folder_files(path) if path.is_dir() else _archive_files(path)


def requirement_lines(path: Path) -> tuple[str, ...]:
    """The lines of a requirements file that name something (comments and blanks dropped)."""
    lines = []
    for line in path.read_text(encoding="utf-8").splitlines():
        text = line.split(" #", 1)[0].strip()
        if text and not text.startswith("#"):
            lines.append(text)
    return tuple(lines)


def _tree_dir(requirements_file: Path, target: DependencyTarget, cache: Path) -> Path:
    key = json.dumps(
        {
            "requirements": hashlib.sha256(requirements_file.read_bytes()).hexdigest(),
            "python": target.python_version,
            "platforms": list(target.platforms),
        },
        sort_keys=True,
    )
    digest = hashlib.sha256(key.encode()).hexdigest()[:12]
    platform = target.platforms[0] if target.platforms else "host"
    return cache / f"fn-py{target.python_version}-{platform}-{digest}"


def _unresolved_line(
    stack: str, requirements_file: Path, target: DependencyTarget, output: str
) -> str:
    match = _NO_MATCH.search(output) or _NO_VERSION.search(output)
    if match is not None:
        name = match.group(1)
        return (
            f"stack {stack}: {requirements_file}: no wheel of {name} for "
            f"{target.describe()} (a package published only as source needs a compiler, "
            "which Lambda does not have; a wheel for another platform does not load there): "
            "pin a version that has a manylinux wheel for the stack's runtime and "
            "architecture, or drop it"
        )
    last = (output.strip().splitlines() or ["(no output)"])[-1]
    return (
        f"stack {stack}: pip could not install {requirements_file} for "
        f"{target.describe()}: {last}; fix the file (PyPI must be reachable for a first "
        "build)"
    )


def install_requirements(
    stack: str, requirements_file: Path, target: DependencyTarget, cache: Path
) -> Path:
    """The tree of ``requirements_file`` installed for ``target`` (cached by its content)."""
    return pip_install_tree(
        _tree_dir(requirements_file, target, cache),
        target,
        cache,
        ["-r", str(requirements_file)],
        cwd=requirements_file.parent,
        timed_out=(
            f"stack {stack}: pip did not install {requirements_file} for "
            f"{target.describe()} in {_PIP_TIMEOUT_S} s; check the connection to PyPI"
        ),
        failed=lambda result: _unresolved_line(
            stack, requirements_file, target, result.stderr + result.stdout
        ),
    )


def host_dependencies(
    settings: StackSettings, *, root: Path | None = None, deps_cache: Path | None = None
) -> Path | None:
    """The function's requirements installed for this machine's interpreter (what the emulator
    puts ahead of the package on an instance's path), or None when it has none."""
    root = (project_root() if root is None else Path(root)).resolve()
    requirements_file = function_paths(_values(settings), root)["requirements"]
    if requirements_file is None or settings.language != "python":
        return None
    cache = (root / "build" / "deps" if deps_cache is None else Path(deps_cache)).resolve()
    return install_requirements(
        settings.name, requirements_file.resolve(), DependencyTarget.for_host(), cache
    )


def _values(settings: StackSettings) -> dict[str, object]:
    return {
        key: getattr(settings, key)
        for key in ("code", "handler", "language", "runtime", "requirements", "image", "requests")
    }


def build_function_package(
    settings: StackSettings,
    *,
    root: Path | None = None,
    out_dir: Path | None = None,
    deps_cache: Path | None = None,
) -> FunctionPackage:
    """Build (or reuse) a function stack's package: ``<out_dir>/function-<stack>-<sha12>.zip``
    (``out_dir``: ``<root>/build/packages``; wheels cached in ``<root>/build/deps``)."""
    if not settings.is_function:
        raise PackageError(
            f"stack {settings.name} is a {settings.kind!r} stack; build it with build_package"
        )
    root = (project_root() if root is None else Path(root)).resolve()
    out_dir = (root / "build" / "packages" if out_dir is None else Path(out_dir)).resolve()
    deps_cache = (root / "build" / "deps" if deps_cache is None else Path(deps_cache)).resolve()
    paths = function_paths(_values(settings), root)
    code = paths["code"]
    if code is None or not code.exists():
        raise PackageError(
            f"stack {settings.name}: its code {code} does not exist; set "
            "lambda-model-study:code to your function's directory or .zip"
        )
    files = _files_of(code)
    requirements_file = paths["requirements"]
    requirements: tuple[str, ...] = ()
    tree: Path | None = None
    image = paths["image"]
    if requirements_file is not None and settings.language == "python":
        requirements = requirement_lines(requirements_file)
        if image is None:
            target = DependencyTarget.for_lambda(settings.runtime, settings.architecture)
            tree = install_requirements(
                settings.name, requirements_file.resolve(), target, deps_cache
            )
            dependencies = _frameworks.site_files(tree)
            clashes = sorted(set(dependencies) & set(files))
            if clashes:
                raise PackageError(
                    f"stack {settings.name}: your {clashes[0]} would be overwritten by a file of "
                    f"the dependencies in {requirements_file}; rename it in {code}"
                )
            files.update(dependencies)
    layer_files = [_files_of(resolve(root, layer)) for layer in settings.layer_paths]
    unzipped_bytes = sum(map(len, files.values())) + sum(
        len(data) for layer in layer_files for data in layer.values()
    )
    if image is None and unzipped_bytes > UNZIPPED_BYTES_MAX:
        raise PackageError(
            f"stack {settings.name}: code, dependencies and layers unzip to "
            f"{mb(unzipped_bytes)}, over Lambda's {mb(UNZIPPED_BYTES_MAX)} limit; drop "
            "dependencies or build an image (lambda-model-study:image: your Dockerfile)"
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    code_zip, code_hash, size_bytes = code_archive(
        files, out_dir, f"function-{settings.name}", remember=tree is not None
    )
    layer_zips = []
    layer_bytes = 0
    for index, layer in enumerate(layer_files):
        data = zip_bytes(layer)
        digest = hashlib.sha256(data).hexdigest()[:12]
        layer_zips.append(write_once(out_dir / f"layer-{settings.name}-{index}-{digest}.zip", data))
        layer_bytes += len(data)
    merged_layer_zip = layer_zips[0] if len(layer_zips) == 1 else None
    if len(layer_zips) > 1:
        merged = {name: data for layer in layer_files for name, data in layer.items()}
        data = zip_bytes(merged)
        digest = hashlib.sha256(data).hexdigest()[:12]
        merged_layer_zip = write_once(out_dir / f"layers-{settings.name}-{digest}.zip", data)
    image_context = dockerfile = tag = None
    if image is not None:
        image_context = image.parent.resolve()
        dockerfile = image.name
        context_hash = hashlib.sha256()
        for name, data in sorted(_folder_files(image_context).items()):
            context_hash.update(name.encode() + b"\0" + hashlib.sha256(data).digest())
        tag = context_hash.hexdigest()[:12]
    return FunctionPackage(
        code_zip=code_zip,
        code_sha256_b64=base64.b64encode(code_hash).decode("ascii"),
        handler=settings.handler,
        size_bytes=size_bytes,
        unzipped_bytes=unzipped_bytes,
        requirements_file=requirements_file,
        requirements=requirements,
        dependencies=tree,
        layer_zips=tuple(layer_zips),
        layer_bytes=layer_bytes,
        merged_layer_zip=merged_layer_zip,
        image_context=image_context,
        dockerfile=dockerfile,
        image_tag=tag,
    )
