"""The third-party part of a framework model runtime's package: its pins, its wheels, its image.

``litert`` and ``onnx`` ship as a zip: the function, the model, and the dependency tree pip
installs for Lambda's platform (``pip install --platform ... --python-version ...
--only-binary=:all: --target``), cached under ``build/deps`` so that a repeated build needs no
network. ``tensorflow`` is beyond Lambda's 250 MB zip limit, so it ships as a container image
on AWS's Lambda Python base image; this module writes its Dockerfile and requirements file, and
Pulumi (``stack.aws``) builds and pushes it. Pins come from ``pyproject.toml``, never from here.
Standard library only; pip runs in a subprocess.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from stack._errors import PackageError

__all__ = [
    "BASE_IMAGE",
    "DependencyTarget",
    "dependency_dir",
    "dockerfile",
    "framework_requirements",
    "install_dependencies",
    "requirements_text",
    "site_files",
    "write_tree",
]

#: AWS's Lambda base image for Python (ECR Public); tagged ``<version>-<architecture>``.
BASE_IMAGE = "public.ecr.aws/lambda/python"
# The glibc of the OS under each Python runtime: python3.12 and later run on Amazon Linux 2023
# (glibc 2.34), python3.11 on Amazon Linux 2 (glibc 2.26). A manylinux_2_N wheel needs glibc N.
_GLIBC_MINOR = {"python3.11": 26}
_GLIBC_MINOR_DEFAULT = 34
# manylinux_2_17 is manylinux2014, the oldest glibc a current wheel targets.
_GLIBC_MINOR_OLDEST = 17
# Lambda's architecture names → the machine names of wheel tags.
_MACHINES = {"x86_64": "x86_64", "arm64": "aarch64"}
# The distributions each runtime needs, by the extra of pyproject.toml that pins them.
# TensorFlow's CPU-only build (tensorflow-cpu) is published for x86_64 only; on arm64 the
# `tensorflow` distribution is the CPU build, under the same version pin.
_EXTRA = {"litert": "frameworks", "tensorflow": "train", "onnx": "frameworks"}
_DISTRIBUTIONS = {
    "litert": ("ai-edge-litert", "numpy"),
    "tensorflow": ("tensorflow-cpu", "numpy"),
    "onnx": ("onnxruntime", "numpy"),
}
# What the litert tree holds that the function never loads, and Lambda has no use for:
# console scripts, test suites, LiteRT's command-line tools, its NPU compiler plugins and its
# WebGPU accelerator (Lambda has no GPU or NPU). The interpreter is checked to load and run a
# model without them (tests/stack). Without them the tree is ~75 MB instead of ~115 MB.
# Likewise onnxruntime's offline tools (model conversion, quantisation, transformer
# optimisation: Python packages `import onnxruntime` does not import) and its C API library
# libonnxruntime.so (for C/C++ programs; the Python binding has the runtime linked in and does
# not load it): ~86 MB instead of ~124 MB.
_UNUSED_TOP = ("bin",)
_UNUSED_DIRS = ("tests", "__pycache__")
_UNUSED_PATHS = (
    "ai_edge_litert/tools/",
    "ai_edge_litert/vendors/",
    "ai_edge_litert/libLiteRtWebGpuAccelerator.so",
    "onnxruntime/capi/libonnxruntime.so",
    "onnxruntime/quantization/",
    "onnxruntime/tools/",
    "onnxruntime/transformers/",
)
_PIP_TIMEOUT_S = 900
# The project's distribution (pyproject.toml's [project] name), for its installed metadata.
_DISTRIBUTION = "lambda-model-study"


@dataclass(frozen=True, kw_only=True)
class DependencyTarget:
    """The interpreter and platform wheels are chosen for (pip's cross-platform options)."""

    #: ``3.12``: pip's ``--python-version``.
    python_version: str
    #: Wheel platform tags, most specific first: pip's ``--platform`` (given once each);
    #: empty for this machine's own interpreter and platform (``for_host``).
    platforms: tuple[str, ...]

    @classmethod
    def for_lambda(cls, runtime: str, architecture: str) -> DependencyTarget:
        """The target of a Lambda function: ``python3.12`` on ``x86_64`` → CPython 3.12,
        manylinux_2_34 down to manylinux2014 (x86_64)."""
        machine = _MACHINES[architecture]
        newest = _GLIBC_MINOR.get(runtime, _GLIBC_MINOR_DEFAULT)
        oldest = _GLIBC_MINOR_OLDEST - 1
        platforms = [f"manylinux_2_{minor}_{machine}" for minor in range(newest, oldest, -1)]
        platforms.append(f"manylinux2014_{machine}")
        return cls(python_version=runtime.removeprefix("python"), platforms=tuple(platforms))

    @classmethod
    def for_host(cls) -> DependencyTarget:
        """This interpreter on this machine (what a local host of the function runs)."""
        return cls(python_version="{}.{}".format(*sys.version_info[:2]), platforms=())

    def describe(self) -> str:
        platform = self.platforms[0] if self.platforms else "this machine"
        return f"CPython {self.python_version} on {platform}"

    def pip_options(self) -> list[str]:
        if not self.platforms:
            return ["--only-binary=:all:"]
        return [
            "--only-binary=:all:", "--implementation", "cp",
            "--python-version", self.python_version,
            *(option for platform in self.platforms for option in ("--platform", platform)),
        ]  # fmt: skip


def framework_requirements(model_runtime: str, architecture: str, root: Path) -> tuple[str, ...]:
    """The requirement lines of a framework runtime: the pins of ``<root>/pyproject.toml``, or,
    where the project is installed without its source tree, of its installed metadata."""
    pyproject = root / "pyproject.toml"
    extra = _EXTRA[model_runtime]
    pins = _pyproject_pins(pyproject, extra) if pyproject.exists() else _installed_pins(extra)
    by_name = {_distribution_name(pin): pin.strip() for pin in pins}
    requirements = []
    for name in _DISTRIBUTIONS[model_runtime]:
        if name not in by_name:
            raise PackageError(
                f"{pyproject}: the {extra!r} extra pins no {name}, which the {model_runtime} "
                "runtime needs; restore pyproject.toml from the repository"
            )
        pin = by_name[name]
        if name == "tensorflow-cpu" and architecture == "arm64":
            pin = "tensorflow" + pin[len(name) :]
        requirements.append(pin)
    return tuple(requirements)


def _pyproject_pins(pyproject: Path, extra: str) -> list[str]:
    try:
        document = tomllib.loads(pyproject.read_text(encoding="utf-8"))
        pins = document["project"]["optional-dependencies"][extra]
        return [str(pin) for pin in pins]
    except (OSError, tomllib.TOMLDecodeError, KeyError, TypeError) as error:
        raise PackageError(
            f"cannot read the {extra!r} extra of {pyproject} ({error}); restore pyproject.toml "
            "from the repository"
        ) from None


def _installed_pins(extra: str) -> list[str]:
    # Requires-Dist lines such as `numpy<3,>=1.26; extra == "frameworks"`.
    try:
        lines = importlib.metadata.requires(_DISTRIBUTION) or []
    except importlib.metadata.PackageNotFoundError:
        lines = []
    marker = re.compile(r"""extra\s*==\s*["']""" + re.escape(extra) + """["']""")
    pins = [line.split(";", 1)[0].strip() for line in lines if marker.search(line)]
    if not pins:
        raise PackageError(
            f"no pins for the {extra!r} extra: neither a pyproject.toml in the project "
            f"directory nor an installed {_DISTRIBUTION} with that extra; run from a checkout "
            "of the repository"
        )
    return pins


def _distribution_name(pin: str) -> str:
    name = pin.strip()
    for stop in "<>=!~[; ":
        name = name.split(stop, 1)[0]
    return name.lower().replace("_", "-")


def dependency_dir(requirements: tuple[str, ...], target: DependencyTarget, cache: Path) -> Path:
    """Where the tree of ``requirements`` for ``target`` is cached (it may not exist yet)."""
    key = json.dumps(
        {"requirements": sorted(requirements), "python": target.python_version,
         "platforms": list(target.platforms)},
        sort_keys=True,
    )  # fmt: skip
    digest = hashlib.sha256(key.encode()).hexdigest()[:12]
    platform = target.platforms[0] if target.platforms else "host"
    return cache / f"py{target.python_version}-{platform}-{digest}"


def pip_install_tree(
    tree: Path,
    target: DependencyTarget,
    cache: Path,
    pip_args: list[str],
    *,
    cwd: Path | None = None,
    timed_out: str,
    failed: Callable[[subprocess.CompletedProcess[str]], str],
) -> Path:
    """``tree``: from the cache, or pip's install of ``pip_args`` for ``target`` (binary wheels
    only, no bytecode), moved into the cache whole once it is complete. ``timed_out`` and
    ``failed(result)`` are the PackageError's words when pip runs too long or fails."""
    if tree.is_dir():
        return tree
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f".{tree.name}.", dir=cache) as scratch:
        site = Path(scratch) / "site"
        command = [
            sys.executable, "-m", "pip", "install", "--target", str(site),
            *target.pip_options(),
            "--no-compile", "--no-input", "--disable-pip-version-check", "--quiet",
            *pip_args,
        ]  # fmt: skip
        try:
            result = subprocess.run(
                command,
                capture_output=True,
                text=True,
                timeout=_PIP_TIMEOUT_S,
                check=False,
                cwd=cwd,
            )
        except subprocess.TimeoutExpired:
            raise PackageError(timed_out) from None
        if result.returncode != 0:
            raise PackageError(failed(result))
        site.mkdir(exist_ok=True)  # a requirements file of comments alone installs nothing
        try:
            os.replace(site, tree)
        except OSError:
            # Another build installed the same tree at the same time; its tree is ours.
            if not tree.is_dir():
                raise
    return tree


def install_dependencies(
    requirements: tuple[str, ...], target: DependencyTarget, cache: Path
) -> Path:
    """The installed tree of ``requirements`` for ``target`` (``pip_install_tree``)."""

    def failed(result: subprocess.CompletedProcess[str]) -> str:
        detail = "\n".join((result.stderr or result.stdout).strip().splitlines()[-8:])
        return (
            f"pip could not install {' '.join(requirements)} for {target.describe()} "
            f"(exit {result.returncode}): PyPI must be reachable for a first build (later "
            f"ones use {cache}), and every package needs a wheel for that target. "
            f"pip's last lines:\n{detail}"
        )

    return pip_install_tree(
        dependency_dir(requirements, target, cache),
        target,
        cache,
        list(requirements),
        timed_out=(
            f"pip did not install {' '.join(requirements)} for {target.describe()} in "
            f"{_PIP_TIMEOUT_S} s; check the connection to PyPI and build again"
        ),
        failed=failed,
    )


def bundle_dependencies(
    files: dict[str, bytes],
    requirements: tuple[str, ...],
    *,
    runtime: str,
    architecture: str,
    deps_cache: Path,
    refusal: str,
) -> Path:
    """Install ``requirements`` for Lambda's ``runtime`` and ``architecture`` (cached) and add
    their files to ``files``; returns the installed tree. A dependency file that would replace
    one of ``files`` is refused: ``refusal`` is the message, ``{path}`` and ``{requirements}``
    filled in."""
    target = DependencyTarget.for_lambda(runtime, architecture)
    tree = install_dependencies(requirements, target, deps_cache)
    dependencies = site_files(tree)
    clashes = sorted(set(dependencies) & set(files))
    if clashes:
        raise PackageError(refusal.format(path=clashes[0], requirements=", ".join(requirements)))
    files.update(dependencies)
    return tree


def site_files(tree: Path, prefix: str = "") -> dict[str, bytes]:
    """The files of an installed tree as archive names → bytes, without what the function
    never loads (bytecode, tests, console scripts, LiteRT's tools and accelerators, ONNX
    Runtime's offline tools and C API library)."""
    files: dict[str, bytes] = {}
    for path in sorted(tree.rglob("*")):
        relative = path.relative_to(tree).as_posix()
        parts = relative.split("/")
        if parts[0] in _UNUSED_TOP or any(part in _UNUSED_DIRS for part in parts):
            continue
        if relative.startswith(_UNUSED_PATHS) or relative.endswith(".pyc"):
            continue
        if path.is_file():
            files[prefix + relative] = path.read_bytes()
    return files


def dockerfile(runtime: str, architecture: str) -> str:
    """The Dockerfile of an image function: AWS's base image for the runtime and architecture,
    the pinned requirements installed into the task root, then the function and its model."""
    version = runtime.removeprefix("python")
    return (
        "# Written by stack/package.py for the tensorflow model runtime; rebuilt from the\n"
        "# repository by every build, so edit stack/_frameworks.py, not this file.\n"
        f"FROM {BASE_IMAGE}:{version}-{architecture}\n"
        "COPY requirements.txt /tmp/requirements.txt\n"
        'RUN pip install --no-cache-dir --only-binary=:all: --target "${LAMBDA_TASK_ROOT}" '
        "-r /tmp/requirements.txt && rm /tmp/requirements.txt\n"
        "COPY function/ ${LAMBDA_TASK_ROOT}/\n"
        'CMD ["app.handler"]\n'
    )


def requirements_text(requirements: tuple[str, ...]) -> str:
    return "".join(f"{line}\n" for line in requirements)


def write_tree(directory: Path, files: Mapping[str, bytes]) -> Path:
    """Write ``files`` (relative names → bytes) as ``directory``, whole, unless it exists (its
    name carries their hash, so an existing one holds those bytes)."""
    if directory.is_dir():
        return directory
    directory.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{directory.name}.", dir=directory.parent))
    try:
        for name in sorted(files):
            target = scratch / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(files[name])
            os.chmod(target, 0o644)
        os.chmod(scratch, 0o755)
        try:
            os.replace(scratch, directory)
        except OSError:
            if not directory.is_dir():
                raise
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return directory
