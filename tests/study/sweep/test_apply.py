"""``--apply``: the chosen size written into the stack file's memory line alone."""

from __future__ import annotations

import shutil
from pathlib import Path

from study.sweep._apply import apply_memory

from ...support.paths import REPO


def test_apply_changes_the_memory_line_only(tmp_path: Path) -> None:
    stack_file = tmp_path / "Pulumi.python-512.yaml"
    shutil.copyfile(REPO / "Pulumi.python-512.yaml", stack_file)
    before = stack_file.read_text().splitlines()
    change = apply_memory(stack_file, 1024)
    assert change == ("  lambda-model-study:memory_mb: 512", "  lambda-model-study:memory_mb: 1024")
    after = stack_file.read_text().splitlines()
    assert [i for i, (a, b) in enumerate(zip(before, after, strict=True)) if a != b] == [
        before.index("  lambda-model-study:memory_mb: 512")
    ]
    assert apply_memory(stack_file, 1024) is None
