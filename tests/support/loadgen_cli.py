"""``python -m loadgen`` run as a user runs it, for the tests of its command line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from .paths import REPO


def loadgen(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "loadgen", *args],
        cwd=cwd,
        capture_output=True,
        check=False,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
