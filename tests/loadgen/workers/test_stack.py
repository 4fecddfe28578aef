"""The worker stack: read from Pulumi's outputs when the endpoints file does not name it."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from loadgen.workers._stack import resolve_worker_stack


def test_the_worker_stack_is_read_from_pulumi_outputs_and_its_absence_said(tmp_path: Path) -> None:
    def pulumi(args: list[str], **_: Any) -> subprocess.CompletedProcess[str]:
        assert args == ["pulumi", "stack", "output", "--json", "--stack", "lw"]
        return subprocess.CompletedProcess(
            args, 0, json.dumps({"function_name": "fn", "bucket": "b", "prefix": "runs/"}), ""
        )

    stack = resolve_worker_stack("lw", endpoints_file=tmp_path / "none.json", run=pulumi)
    assert (stack.function_name, stack.bucket, stack.prefix, stack.source) == (
        "fn",
        "b",
        "runs",
        "pulumi",
    )

    def model_stack(args: list[str], **_: Any) -> subprocess.CompletedProcess[str]:
        return subprocess.CompletedProcess(args, 0, json.dumps({"url": "https://x"}), "")

    with pytest.raises(Exception, match="no function_name and no bucket: is it a worker stack"):
        resolve_worker_stack("lw", endpoints_file=tmp_path / "none.json", run=model_stack)
