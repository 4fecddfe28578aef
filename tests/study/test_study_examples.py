"""The shipped examples (examples/), each studied end to end through the emulator with a short
plan: a scikit-learn model loaded with joblib, and an ONNX model served by onnxruntime. Their
requirements are installed from PyPI (or the pip cache) the first time, for Lambda's platform
and for this host."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ..support.paths import REPO

pytestmark = [pytest.mark.slow]

EXAMPLES = REPO / "examples"
SHORT = [
    "--offsets",
    "0,2s",
    "--stages",
    "2:0:2s",
    "--time-scale",
    "1",
    "--rtt",
    "0",
    "--gateway-latency",
    "0",
]


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One project for both examples: the host's Python folder is built once."""
    return tmp_path_factory.mktemp("examples-project")


@pytest.mark.parametrize(
    ("example", "expect_field", "stack"),
    [
        ("sklearn-joblib", "prediction", "sklearn-joblib-at-1024"),
        ("onnx-model", "probabilities", "onnx-model-at-1024"),
    ],
)
def test_an_example_is_studied_end_to_end(
    project: Path, tmp_path: Path, example: str, expect_field: str, stack: str
) -> None:
    # 1,024 MB: a scikit-learn import takes seconds of CPU, and this host is shared.
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "study",
            "--function",
            str(EXAMPLES / example),
            "--memory",
            "1024",
            "--expect-field",
            expect_field,
            "--project",
            str(project),
            "--results",
            str(tmp_path),
            "--run-id",
            "r",
            *SHORT,
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=1200,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    for scenario in ("scenario1", "scenario2"):
        summary = json.loads((tmp_path / "r" / stack / scenario / "summary.json").read_text())
        assert summary["complete"] and summary["requests"] > 0
        assert not any(summary["errors"].values()), summary["errors"]
    endpoints = json.loads((tmp_path / "r" / "endpoints.json").read_text())
    package = endpoints["stacks"][stack]["package"]
    assert package["function"] and package["requirements"]
    assert package["unzipped_bytes"] > package["code_bytes"] > 1_000_000  # wheels inside
    assert (tmp_path / "r" / "report" / "report.md").is_file()
