"""A run's hold on its result folder: one run per folder, and an unused folder given back."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from loadgen import ResultsError
from loadgen.files._claim import FolderClaim
from resultfiles import REQUESTS


def test_a_second_claim_on_the_same_folder_is_refused_with_what_to_do(tmp_path: Path) -> None:
    folder = tmp_path / "results" / "run" / "stack" / "scenario2"
    first = FolderClaim(folder)
    try:
        with pytest.raises(ResultsError, match="already holds a run.*another --run-id"):
            FolderClaim(folder)
    finally:
        first.release()


def test_release_removes_the_empty_file_and_the_folders_the_claim_made(tmp_path: Path) -> None:
    folder = tmp_path / "results" / "run" / "stack"
    claim = FolderClaim(folder)
    assert (folder / REQUESTS).is_file()
    claim.release()
    assert not (tmp_path / "results").exists()


def test_the_descriptor_is_taken_once(tmp_path: Path) -> None:
    claim = FolderClaim(tmp_path / "r")
    fd = claim.take()
    os.close(fd)
    with pytest.raises(ResultsError, match="already used or released"):
        claim.take()
