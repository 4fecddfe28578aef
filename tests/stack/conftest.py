"""Fixtures for the stack tests: a test model artifact and stand-in runtime trees."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ..support.stacks import make_fake_root, study_model, write_artifact


@pytest.fixture
def model_description() -> dict[str, Any]:
    return study_model()


@pytest.fixture
def artifact(tmp_path: Path, model_description: dict[str, Any]) -> Path:
    return write_artifact(tmp_path / "model.zip", model_description)


@pytest.fixture
def fake_root(tmp_path: Path) -> Path:
    return make_fake_root(tmp_path / "repo")
