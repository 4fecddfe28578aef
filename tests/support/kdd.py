"""The KDD Cup 99 sample and the real files, and lines to edit them with (the model tests')."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import pytest

from model import COLUMNS

from .paths import REPO

SAMPLE = REPO / "model" / "data" / "kddcup_sample.csv.gz"
TEN_PERCENT = "kddcup.data_10_percent.gz"
CORRECTED = "corrected.gz"


def real_data_dirs() -> list[Path]:
    """Where the real KDD Cup 99 files may be: next to $KDD99_PATH, then ../shared/data/kdd99."""
    dirs = []
    if os.environ.get("KDD99_PATH"):
        dirs.append(Path(os.environ["KDD99_PATH"]).resolve().parent)
    dirs.append(REPO.parent / "shared" / "data" / "kdd99")
    return dirs


def real_file(name: str) -> Path:
    """The real file ``name``, or skip naming every place looked in."""
    for directory in real_data_dirs():
        if (directory / name).is_file():
            return directory / name
    looked = ", ".join(str(d) for d in real_data_dirs())
    pytest.skip(f"the real KDD Cup 99 file {name} is absent (looked in {looked})")


GOOD = (
    "0,tcp,http,SF,181,5450,0,0,0,0,0,1,0,0,0,0,0,0,0,0,0,0,8,8,0.00,0.00,0.00,0.00,"
    "1.00,0.00,0.00,9,9,1.00,0.00,0.11,0.00,0.00,0.00,0.00,0.00,normal."
)
ATTACK = (
    "0,icmp,ecr_i,SF,1032,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,511,511,0.00,0.00,0.00,0.00,"
    "1.00,0.00,0.00,255,255,1.00,0.00,1.00,0.00,0.00,0.00,0.00,0.00,smurf."
)


def write_lines(
    tmp_path: Path, lines: list[str], *, name: str = "data.csv", gz: bool = False
) -> Path:
    path = tmp_path / name
    text = "".join(f"{line}\n" for line in lines).encode("utf-8")
    path.write_bytes(gzip.compress(text, mtime=0) if gz else text)
    return path


def replace_field(line: str, column: str, value: str) -> str:
    fields = line.split(",")
    fields[COLUMNS.index(column)] = value
    return ",".join(fields)
