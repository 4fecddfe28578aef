"""The package's public surface and its boundary (no TensorFlow unless training)."""

from __future__ import annotations

import subprocess
import sys

import model

from ..support.paths import REPO


def test_all_is_sorted_and_complete() -> None:
    assert model.__all__ == sorted(model.__all__)
    for name in model.__all__:
        assert hasattr(model, name), name
    public = {n for n in vars(model) if not n.startswith("_") and n != "annotations"}
    # Submodules are attributes of the package once imported; they are not the API.
    public = {n for n in public if not isinstance(getattr(model, n), type(sys))}
    assert public == set(model.__all__)


def test_errors_share_one_base() -> None:
    for error in (
        model.DataError,
        model.SubsetError,
        model.DownloadError,
        model.ArtifactError,
        model.InstanceError,
    ):
        assert issubclass(error, model.ModelError)
    assert issubclass(model.SubsetError, model.DataError)


def test_importing_the_package_does_not_import_tensorflow() -> None:
    # `python -m model evaluate` and the reference evaluator must start without TensorFlow.
    code = (
        "import sys, model; print(sorted(m for m in ('tensorflow', 'keras') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"
