"""Same data and seed give the same artifact bytes whatever kernels the CPU gets.

Each training runs in its own process (the settings below are read once, at start-up) under
conditions that change which kernels TensorFlow, oneDNN and numpy pick: thread counts,
oneDNN on or off, oneDNN's and numpy's instruction sets cut down to what an older x86-64
CPU has. float32 training gave different weights under these (2e-5 apart); the
float64 training with rounded parameters must give the same bytes under every one.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ..support.kdd import SAMPLE
from ..support.paths import REPO

pytestmark = pytest.mark.slow

#: What each run starts from: one thread, oneDNN off, every instruction set the CPU has.
_BASE = {"TF_NUM_INTRAOP_THREADS": "1", "TF_ENABLE_ONEDNN_OPTS": "0"}
#: Variables that pick kernels; the parent's values must not leak into a run.
_KERNEL_VARIABLES = (
    "TF_NUM_INTRAOP_THREADS",
    "TF_NUM_INTEROP_THREADS",
    "TF_ENABLE_ONEDNN_OPTS",
    "ONEDNN_MAX_CPU_ISA",
    "DNNL_MAX_CPU_ISA",
    "NPY_DISABLE_CPU_FEATURES",
    "OMP_NUM_THREADS",
)


def _numpy_dispatched_features() -> str:
    """numpy's optional instruction sets found on this CPU (its np.log picks among them)."""
    import importlib

    # A private module that numpy's type stubs leave out: imported by name, its attributes are Any.
    umath = importlib.import_module("numpy._core._multiarray_umath")

    found = [f for f in umath.__cpu_dispatch__ if umath.__cpu_features__.get(f)]
    return " ".join(found)


CONDITIONS: dict[str, dict[str, str]] = {
    "2 threads": {"TF_NUM_INTRAOP_THREADS": "2", "TF_NUM_INTEROP_THREADS": "2"},
    "oneDNN on": {"TF_ENABLE_ONEDNN_OPTS": "1"},
    "oneDNN on, SSE4.1 at most, 2 threads": {
        "TF_ENABLE_ONEDNN_OPTS": "1",
        "ONEDNN_MAX_CPU_ISA": "SSE41",
        "TF_NUM_INTRAOP_THREADS": "2",
        "OMP_NUM_THREADS": "2",
    },
    "numpy at its baseline": {"NPY_DISABLE_CPU_FEATURES": _numpy_dispatched_features()},
}


def _train_in_process(out: Path, changes: dict[str, str]) -> tuple[bytes, bytes]:
    """Train the all subset on the sample in a fresh process; (artifact, vectors) bytes."""
    env = {k: v for k, v in os.environ.items() if k not in _KERNEL_VARIABLES}
    env.update(_BASE)
    env.update(changes)
    out.mkdir(parents=True)
    command = [
        sys.executable,
        "-m",
        "model",
        "train",
        "--data",
        str(SAMPLE),
        "--subset",
        "all",
        "--out",
        str(out / "model.zip"),
        "--vectors",
        str(out / "vectors.json"),
    ]
    done = subprocess.run(
        command, cwd=REPO, env=env, capture_output=True, text=True, timeout=240, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return (out / "model.zip").read_bytes(), (out / "vectors.json").read_bytes()


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> tuple[bytes, bytes]:
    return _train_in_process(tmp_path_factory.mktemp("repro") / "baseline", {})


@pytest.mark.parametrize("condition", CONDITIONS)
def test_kernel_choice_does_not_reach_the_bytes(
    tmp_path: Path, baseline: tuple[bytes, bytes], condition: str
) -> None:
    artifact, vectors = _train_in_process(tmp_path / "run", CONDITIONS[condition])
    assert artifact == baseline[0], f"the artifact differs under {condition}"
    assert vectors == baseline[1], f"the test vectors differ under {condition}"
