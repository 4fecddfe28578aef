"""What a Python instance's interpreter sees: its package, its layers, and what AWS's Python
runtime provides (the runtime interface client ``awslambdaric`` and boto3) — not the virtualenv
the emulator runs in.

An instance runs this interpreter with ``-S`` (no ``site``: no site-packages, no user site, no
``.pth`` files), so its ``sys.path`` is ``PYTHONPATH`` and the standard library only. The folders on
``PYTHONPATH`` are built here, under ``build/emulator/python-runtime/``, once per set of versions:

- ``runtime``: awslambdaric and boto3 with their requirements, as ``/var/runtime`` and the image's
  site-packages hold them on AWS;
- ``stacks/<stack>/<model runtime>``: a ``litert``, ``tensorflow`` or ``onnx`` stack's
  dependencies for the host's Python (the package itself carries wheels for python3.12 on
  manylinux, which the host's interpreter may not load), one copy per stack, so one stack's
  instances never map another's pages.
- ``<stack>``: the same for a package that names its distributions (``FunctionSpec.
  host_distributions``): the load generator's worker (anyio, httpx, hdrhistogram, httptools,
  PyYAML; httptools and PyYAML's C extensions are built for one Python version).

Both are assembled from the distributions installed in the emulator's own interpreter (the
versions pip resolved from pyproject.toml's pins), file by file from their ``RECORD``, copied
(not hard-linked: a hard link shares the virtualenv's page cache, so a library any other process
on the host maps would come to instances uncharged, see ``_memory``): offline, the same versions
as the project's, and no pip run at start. Why not ``pip install --target``: pip cannot resolve
offline from its HTTP cache, and a second resolution could pick other versions than the ones the
project tests with.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
from importlib import metadata
from pathlib import Path

from .._errors import EmulatorConfigError
from ._memory import evict_file_pages

#: what AWS's Python runtime provides besides the standard library
RUNTIME_DISTRIBUTIONS = ("awslambdaric", "boto3")
#: the distributions a model runtime's package needs (pyproject.toml: ``frameworks``, ``train``)
FRAMEWORK_DISTRIBUTIONS: dict[str, tuple[str, ...]] = {
    "litert": ("ai-edge-litert", "numpy"),
    "tensorflow": ("tensorflow-cpu", "numpy"),
    "onnx": ("onnxruntime", "numpy"),
}
_STAMP = ".distributions.json"
#: how a folder is laid out; a change rebuilds folders built before it (3: copies, not links)
_LAYOUT = 3


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _closure(roots: tuple[str, ...]) -> dict[str, metadata.Distribution]:
    """``roots`` and every distribution they require (markers evaluated for this interpreter)."""
    from packaging.requirements import Requirement

    found: dict[str, metadata.Distribution] = {}
    todo = list(roots)
    while todo:
        name = _normalise(todo.pop())
        if name in found:
            continue
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            if name in map(_normalise, roots):
                raise EmulatorConfigError(
                    f"{name} is not installed in {sys.executable}, so the emulator cannot give "
                    f"instances what AWS's runtime holds; install it: pip install '.[emulator]'"
                ) from None
            continue  # an optional requirement not installed: AWS would not have it either
        found[name] = dist
        for raw in dist.requires or ():
            req = Requirement(raw)
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                todo.append(req.name)
    return found


def _assemble(target: Path, roots: tuple[str, ...]) -> Path:
    """``target`` holding ``roots`` and their requirements, rebuilt when a version changed."""
    dists = _closure(roots)
    wanted = {
        "_layout": str(_LAYOUT),
        **{name: dist.version for name, dist in sorted(dists.items())},
    }
    stamp = target / _STAMP
    try:
        if json.loads(stamp.read_text(encoding="utf-8")) == wanted:
            return target
    except (OSError, ValueError):
        pass
    staging = target.with_name(target.name + f".tmp-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    try:
        for dist in dists.values():
            _copy_distribution(dist, staging)
        (staging / _STAMP).write_text(json.dumps(wanted, indent=1) + "\n", encoding="utf-8")
        # Written out and dropped from the page cache now, so an instance's first read is charged
        # to its own cgroup rather than found in pages this build left dirty.
        evict_file_pages((), flush=(staging,))
        shutil.rmtree(target, ignore_errors=True)
        staging.replace(target)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise EmulatorConfigError(
            f"cannot build the instances' Python folder {target}: {exc}; free space or fix "
            "permissions there (it is rebuilt at the next start)"
        ) from None
    return target


def _copy_distribution(dist: metadata.Distribution, staging: Path) -> None:
    files = dist.files
    if files is None:
        raise OSError(
            f"{dist.metadata['Name']} {dist.version} has no RECORD (installed by "
            "something other than pip?)"
        )
    for entry in files:
        rel = Path(entry)
        # Scripts and data outside site-packages (``../../bin``) are no part of an import path.
        # The compiled ``__pycache__`` files come too (same inode, same mtime: still valid), so
        # instances do not compile the runtime at every cold start, as AWS's runtime does not.
        if rel.is_absolute() or ".." in rel.parts:
            continue
        source = Path(str(dist.locate_file(entry)))
        if not source.is_file():
            continue
        dest = staging / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, dest)


def distributions_in(folder: Path) -> dict[str, str]:
    """The distributions (name: version) a folder built here holds; empty if it is not one."""
    try:
        found = json.loads((Path(folder) / _STAMP).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(found, dict):
        return {}
    return {str(k): str(v) for k, v in found.items() if not str(k).startswith("_")}


#: what an instance's Python differs in from AWS's (docs/emulator.md); endpoints.json states it
DIFFERENCES_FROM_AWS = (
    (
        "the host's interpreter (its version, not the stack's runtime, e.g. python3.12) runs the "
        "instances"
    ),
    (
        "framework dependencies (and the load generator worker's) are the host's wheels (the "
        "emulator's installed versions, same pins), not the package's python3.12 manylinux "
        "wheels nor the image's"
    ),
    (
        "no /var/runtime or /var/lang layout: the runtime folder holds awslambdaric and boto3 at "
        "the emulator's versions, not the versions AWS's runtime ships"
    ),
    (
        "an image stack runs as its function folder plus the dependency folder, not as the image "
        "(no Lambda Runtime Interface Emulator, no image pull, no image size limit)"
    ),
)


def runtime_dir(env_dir: Path) -> Path:
    """The folder holding awslambdaric and boto3 (and their requirements) for instances."""
    return _assemble(Path(env_dir) / "runtime", RUNTIME_DISTRIBUTIONS)


def framework_dir(env_dir: Path, model_runtime: str) -> Path:
    """The dependencies of a ``litert``, ``tensorflow`` or ``onnx`` package, for the host's
    Python."""
    try:
        roots = FRAMEWORK_DISTRIBUTIONS[model_runtime]
    except KeyError:
        raise EmulatorConfigError(
            f"model runtime {model_runtime!r} has no dependency set; one of "
            f"{', '.join(FRAMEWORK_DISTRIBUTIONS)}"
        ) from None
    try:
        return _assemble(Path(env_dir) / model_runtime, roots)
    except EmulatorConfigError as exc:
        raise EmulatorConfigError(
            f"{exc} (the {model_runtime} model runtime needs pip install "
            f"'.[{'train' if model_runtime == 'tensorflow' else 'frameworks'}]')"
        ) from None


def package_dependencies_dir(env_dir: Path, name: str, distributions: tuple[str, ...]) -> Path:
    """``distributions`` (a package's third-party wheels, e.g. the load generator's in a worker
    zip) and their requirements for the host's Python, in ``<env_dir>/<name>``."""
    try:
        return _assemble(Path(env_dir) / name, distributions)
    except EmulatorConfigError as exc:
        raise EmulatorConfigError(f"{exc} (stack {name} needs them)") from None


def python_path(*, task_root: Path, opt_dir: Path, dependencies: Path | None, runtime: Path) -> str:
    """``PYTHONPATH`` in the order AWS's Python runtime puts ``sys.path``: the task root, the
    layers' ``/opt/python`` folders, then the runtime's own. A framework dependency folder goes
    first: the package's own copies are built for python3.12 on manylinux, not for this host."""
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    parts = [
        task_root,
        opt_dir / "python" / "lib" / version / "site-packages",
        opt_dir / "python",
        runtime,
    ]
    if dependencies is not None:
        parts.insert(0, dependencies)
    return os.pathsep.join(str(p) for p in parts)
