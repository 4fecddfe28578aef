"""The code archive of a ``loadgen-worker`` stack: the load generator and its wheels.

The worker runs ``loadgen`` itself (``contract.WORKER_HANDLER``), so its zip holds the
packages the load generator imports at run time (``contract/``, ``loadgen/`` and
``resultfiles/``, read as files from the project) and the third-party tree pip installs for
the function's interpreter and platform (``stack._frameworks``: the same cross-platform
install, cache and deterministic zip as a framework model runtime). The pins are the
``loadgen`` extra's and the project's PyYAML; boto3 and botocore are not bundled, since AWS's
Python runtime provides them and the worker needs nothing newer than what it provides (S3
uploads, SigV4 signing).
Standard library only; pip runs in a subprocess.
"""

from __future__ import annotations

import base64
import tomllib
from dataclasses import dataclass
from pathlib import Path

from contract import UNZIPPED_BYTES_MAX, WORKER_HANDLER
from stack import _frameworks
from stack._archive import code_archive
from stack._deployable import mb, too_large_to_upload
from stack._errors import PackageError
from stack._paths import project_root
from stack._settings import StackSettings

__all__ = ["WORKER_DISTRIBUTIONS", "WORKER_SOURCES", "WorkerPackage", "build_worker_package",
           "worker_requirements"]  # fmt: skip

#: The project's packages the worker imports (``python -c 'import loadgen.workers._handler'``
#: in a clean interpreter, then reading a request file, loads no other project package;
#: tests/stack holds the list to that). ``contract`` (standard library only) reads a team's
#: request set.
WORKER_SOURCES = ("contract", "loadgen", "resultfiles")
#: The third-party distributions the load generator imports at run time, by the pyproject
#: list that pins them: the ``loadgen`` extra (not matplotlib, which only the report draws
#: with, nor boto3, which the runtime provides) and PyYAML (Taurus files) from the project's
#: own dependencies.
WORKER_DISTRIBUTIONS = {
    "loadgen": ("anyio", "httpx", "hdrhistogram", "httptools"),
    "": ("pyyaml",),
}
# The handler's module file inside the archive: loadgen/workers/_handler.py.
_HANDLER_FILE = WORKER_HANDLER.rpartition(".")[0].replace(".", "/") + ".py"
_SKIPPED_PARTS = frozenset({"__pycache__", "tests"})


@dataclass(frozen=True, kw_only=True)
class WorkerPackage:
    """A built worker archive. Paths are absolute; the hash is base64 SHA-256 (Lambda's form)."""

    #: The function's code archive.
    code_zip: Path
    #: base64 SHA-256 of ``code_zip``: the function's ``source_code_hash``.
    code_sha256_b64: str
    #: The handler Lambda loads from the archive (``contract.WORKER_HANDLER``).
    handler: str
    #: Size of ``code_zip`` in bytes.
    size_bytes: int
    #: What Lambda unpacks, in bytes (at most ``UNZIPPED_BYTES_MAX``).
    unzipped_bytes: int
    #: The requirement lines installed for the target (pins from pyproject.toml).
    requirements: tuple[str, ...]
    #: The installed tree (in the cache) whose files the zip holds.
    dependencies: Path

    @property
    def distributions(self) -> tuple[str, ...]:
        """The installed distributions the worker imports (the host's copies serve it locally)."""
        return tuple(name for names in WORKER_DISTRIBUTIONS.values() for name in names)

    @property
    def code_from_s3(self) -> bool:
        """The archive is too large to upload with the request: deploy it from S3."""
        return too_large_to_upload(self.size_bytes)

    def describe(self) -> str:
        """One line for the user: the archive and its sizes."""
        return (
            f"{self.code_zip.name}: {self.size_bytes / 2**20:.1f} MB zipped, "
            f"{self.unzipped_bytes / 2**20:.1f} MB unzipped ({', '.join(self.requirements)})"
        )


def worker_requirements(root: Path) -> tuple[str, ...]:
    """The worker's requirement lines, from ``<root>/pyproject.toml``."""
    pyproject = root / "pyproject.toml"
    try:
        project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
        lists = {"loadgen": project["optional-dependencies"]["loadgen"],
                 "": project["dependencies"]}  # fmt: skip
    except (OSError, tomllib.TOMLDecodeError, KeyError, TypeError) as error:
        raise PackageError(
            f"cannot read the load generator's pins from {pyproject} ({error}); restore "
            "pyproject.toml from the repository"
        ) from None
    requirements = []
    for extra, names in WORKER_DISTRIBUTIONS.items():
        by_name = {_frameworks._distribution_name(str(pin)): str(pin).strip()
                   for pin in lists[extra]}  # fmt: skip
        for name in names:
            if name not in by_name:
                where = f"the {extra!r} extra" if extra else "[project] dependencies"
                raise PackageError(
                    f"{pyproject}: {where} pins no {name}, which the load generator imports; "
                    "restore pyproject.toml from the repository"
                )
            requirements.append(by_name[name])
    return tuple(requirements)


def build_worker_package(
    settings: StackSettings,
    *,
    root: Path | None = None,
    out_dir: Path | None = None,
    deps_cache: Path | None = None,
) -> WorkerPackage:
    """Build (or reuse) the worker's zip: ``<out_dir>/loadgen-worker-<python>-<arch>-<sha12>.zip``
    (``out_dir``: ``<root>/build/packages``; wheels cached in ``<root>/build/deps``)."""
    if not settings.is_worker:
        raise PackageError(
            f"stack {settings.name} is a {settings.kind!r} stack; build it with build_package"
        )
    root = (project_root() if root is None else Path(root)).resolve()
    out_dir = (root / "build" / "packages" if out_dir is None else Path(out_dir)).resolve()
    deps_cache = (root / "build" / "deps" if deps_cache is None else Path(deps_cache)).resolve()
    files = _source_files(root)
    if _HANDLER_FILE not in files:
        raise PackageError(
            f"{root / _HANDLER_FILE} is missing: the worker's handler ({WORKER_HANDLER}) must be "
            "in the load generator; update the checkout"
        )
    requirements = worker_requirements(root)
    tree = _frameworks.bundle_dependencies(
        files,
        requirements,
        runtime=settings.runtime,
        architecture=settings.architecture,
        deps_cache=deps_cache,
        refusal=(
            f"stack {settings.name}: the load generator's {{path}} would be overwritten by "
            "a file of its dependencies ({requirements}); rename that module"
        ),
    )
    unzipped_bytes = sum(map(len, files.values()))
    if unzipped_bytes > UNZIPPED_BYTES_MAX:
        raise PackageError(
            f"stack {settings.name}: the worker unzips to {mb(unzipped_bytes)}, over Lambda's "
            f"{mb(UNZIPPED_BYTES_MAX)} unzipped limit; drop the largest dependency from "
            "WORKER_DISTRIBUTIONS"
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    prefix = f"loadgen-worker-{settings.runtime}-{settings.architecture}"
    code_zip, code_hash, size_bytes = code_archive(files, out_dir, prefix, remember=True)
    return WorkerPackage(
        code_zip=code_zip,
        code_sha256_b64=base64.b64encode(code_hash).decode("ascii"),
        handler=WORKER_HANDLER,
        size_bytes=size_bytes,
        unzipped_bytes=unzipped_bytes,
        requirements=requirements,
        dependencies=tree,
    )


def _source_files(root: Path) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    for package in WORKER_SOURCES:
        source = root / package
        if not (source / "__init__.py").is_file():
            raise PackageError(
                f"{source} is not a Python package; the worker needs {', '.join(WORKER_SOURCES)} "
                "from a checkout of the repository"
            )
        for path in sorted(source.rglob("*")):
            relative = path.relative_to(root)
            if _SKIPPED_PARTS & set(relative.parts) or path.suffix == ".pyc":
                continue
            if path.is_file():
                files[relative.as_posix()] = path.read_bytes()
    return files
