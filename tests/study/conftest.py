"""Fixtures for the study's tests (sweep/ included): the model artifact they host."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from model import write_artifact

from ..support.paths import HTTP_VECTORS


@pytest.fixture()
def artifact(tmp_path: Path) -> Path:
    """The HTTP feature set's model, written as ``build/model.zip`` would be."""
    model = json.loads(HTTP_VECTORS.read_text())["model"]
    return write_artifact(tmp_path / "model.zip", model)
