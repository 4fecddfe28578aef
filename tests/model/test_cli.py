"""``python -m model``: the commands as a user runs them, and their error messages."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from ..support.kdd import GOOD, SAMPLE, write_lines
from ..support.paths import REPO

if TYPE_CHECKING:
    import pandas as pd

from model import TrainResult, artifact_bytes, evaluate_artifact, write_artifact
from model._cli import main
from model._export import keras_bytes, onnx_bytes, tflite_bytes
from model._vectors import vectors_document, vectors_text


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "KDD99_PATH"}  # the sample is the default
    env["PYTHONPATH"] = str(REPO)
    return env


def test_train_defaults_write_the_same_artifact_in_a_new_process(
    tmp_path: Path, http_result: TrainResult
) -> None:
    # What `make run` does: the sample, the http subset, build/model.zip.
    done = subprocess.run(
        [sys.executable, "-m", "model", "train"],
        cwd=tmp_path,
        env=_env(),
        check=False,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "(shipped sample)" in out
    assert "epoch 10/10" in out
    assert "http subset, test split" in out
    for row in ("true positives", "precision", "recall", "F1", "ROC-AUC"):
        assert row in out
    assert "sklearn LR" in out
    assert "wrote build/model.zip" in out
    assert done.stderr == ""  # TensorFlow's start-up chatter is silenced
    assert (tmp_path / "build" / "model.zip").read_bytes() == artifact_bytes(http_result.model)
    # The model for frameworks, beside the artifact, built from what the artifact holds.
    assert "wrote build/model.tflite (for the litert runtime" in out
    assert "wrote build/model.keras (for the tensorflow runtime" in out
    assert "wrote build/model.onnx (for the onnx runtime" in out
    assert (tmp_path / "build" / "model.onnx").read_bytes() == onnx_bytes(http_result.model)
    assert (tmp_path / "build" / "model.tflite").read_bytes() == tflite_bytes(http_result.model)
    assert (tmp_path / "build" / "model.keras").read_bytes() == keras_bytes(http_result.model)


def test_evaluate_prints_the_artifacts_metrics(
    tmp_path: Path, http_result: TrainResult, sample_frame: pd.DataFrame
) -> None:
    artifact = write_artifact(tmp_path / "model.zip", http_result.model)
    done = subprocess.run(
        [sys.executable, "-m", "model", "evaluate", str(artifact), "--data", str(SAMPLE)],
        cwd=tmp_path,
        env=_env(),
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    _, metrics = evaluate_artifact(artifact, sample_frame, source=SAMPLE.name)
    assert "pure-Python evaluation" in done.stdout
    table = {line.split()[0]: line.split()[-1] for line in done.stdout.splitlines() if line}
    assert table["F1"] == f"{metrics.f1:.4f}"
    assert table["rows"] == f"{metrics.rows:,}"
    assert table["precision"] == f"{metrics.precision:.4f}"


def test_vectors_command_writes_what_the_library_builds(
    tmp_path: Path, http_result: TrainResult
) -> None:
    out = tmp_path / "v" / "http.json"
    assert main(["vectors", "--subset", "http", "--out", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == vectors_text(vectors_document(http_result, seed=42))


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["train", "--data", "{tmp}/absent.gz"], "absent.gz: no such file. Pass --data PATH"),
        (["train", "--data", "{tmp}/bad.csv"], "bad.csv, line 2: expected 42"),
        (["train", "--data", "{tmp}/good.csv"], "the http subset (service == http and"),
        (["evaluate", "{tmp}/absent.zip", "--data", str(SAMPLE)], "absent.zip: no such file"),
        (["train", "--eval-data", "{tmp}/absent.gz"], "absent.gz: no such file"),
    ],
    ids=["missing-data", "bad-line", "too-few-attacks", "missing-artifact", "missing-eval-data"],
)
def test_user_errors_are_one_clear_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    write_lines(tmp_path, [GOOD, GOOD + ",x"], name="bad.csv")
    write_lines(tmp_path, [GOOD] * 10, name="good.csv")
    code = main([a.replace("{tmp}", str(tmp_path)) for a in argv])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("error: ")
    assert message in err
    assert "Traceback" not in err
