"""Where a stack's files are: the stack files of the project, and the functions' sources.

From a checkout (or an editable install) both are the repository: ``Pulumi.<stack>.yaml``
beside ``Pulumi.yaml`` at its root, the functions under ``runtime/``. Installed from a wheel,
the functions' sources ship inside this package (``stack/_runtime``), and the stack files are
the user's project, found as Pulumi finds it: the nearest directory, from the current one up,
that holds a ``Pulumi.yaml``.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
#: The repository this package was imported from, or None when it is installed.
CHECKOUT: Path | None = _PACKAGE.parent if (_PACKAGE.parent / "Pulumi.yaml").is_file() else None


def project_root() -> Path:
    """The directory of ``Pulumi.yaml`` and the stack files (and of ``build/``): the checkout,
    else the nearest directory holding a ``Pulumi.yaml`` from the current one up, else the
    current directory (where a missing stack file is then reported)."""
    if CHECKOUT is not None:
        return CHECKOUT
    here = Path.cwd()
    for directory in (here, *here.parents):
        if (directory / "Pulumi.yaml").is_file():
            return directory
    return here


def runtime_root(root: Path | None = None) -> Path:
    """The directory holding ``python/`` and ``java/``, the functions' sources: ``runtime/``
    of ``root`` (default: the checkout) when it has one, else the checkout's own (an editable
    install run on another project: it has no ``stack/_runtime``), else the copy installed
    with this package."""
    for directory in (root, CHECKOUT):
        if directory is not None and (directory / "runtime").is_dir():
            return directory / "runtime"
    return _PACKAGE / "_runtime"
