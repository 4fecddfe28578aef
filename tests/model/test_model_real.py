"""The real KDD Cup 99 files (../shared/data/kdd99 or next to $KDD99_PATH), when present."""

from __future__ import annotations

import importlib.util
from typing import TYPE_CHECKING

import numpy as np
import pytest

from model import SUBSETS, TrainResult, TrainSettings, predict_probability, read_kdd, train
from model._features import select_rows

from ..support.kdd import CORRECTED, SAMPLE, TEN_PERCENT, real_file
from ..support.paths import REPO

if TYPE_CHECKING:
    import pandas as pd

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def ten_percent() -> pd.DataFrame:
    return read_kdd(real_file(TEN_PERCENT))


@pytest.fixture(scope="module")
def corrected() -> pd.DataFrame:
    return read_kdd(real_file(CORRECTED))


@pytest.fixture(scope="module")
def real_http(ten_percent: pd.DataFrame, corrected: pd.DataFrame) -> TrainResult:
    return train(
        ten_percent,
        TrainSettings(subset="http"),
        source=TEN_PERCENT,
        eval_frame=corrected,
        eval_source=CORRECTED,
        progress=lambda _: None,
    )


def test_http_subset_of_the_ten_percent_file(ten_percent: pd.DataFrame) -> None:
    assert len(ten_percent) == 494_021
    rows = select_rows(ten_percent, SUBSETS["http"], source=TEN_PERCENT)
    assert len(rows) == 58_725
    assert int(rows["attack"].sum()) == 2_209


def test_f1_matches_scikit_learn_on_real_http(real_http: TrainResult) -> None:
    test = real_http.evaluations[0]
    assert test.keras.rows == 11_745
    assert abs(test.keras.f1 - test.reference.f1) <= 0.005, (test.keras, test.reference)
    corrected = real_http.evaluations[1]
    assert corrected.name == CORRECTED
    assert corrected.keras.rows > 0
    assert real_http.model["data"]["rows"] == 58_725


def test_reference_evaluator_reproduces_keras_on_corrected(
    real_http: TrainResult, corrected: pd.DataFrame
) -> None:
    rows = select_rows(corrected, SUBSETS["http"], source=CORRECTED)
    keras = real_http.keras_probabilities(rows, source=CORRECTED)
    names = [spec["name"] for spec in real_http.model["inputs"]]
    ours = np.asarray(
        [
            predict_probability(real_http.model, dict(zip(names, values, strict=True)))
            for values in rows[names].itertuples(index=False, name=None)
        ]
    )
    assert np.max(np.abs(ours - keras)) <= 1e-6


def test_shipped_sample_is_regenerated_byte_for_byte() -> None:
    source = real_file(TEN_PERCENT)
    spec = importlib.util.spec_from_file_location(
        "make_sample", REPO / "model" / "data" / "make_sample.py"
    )
    assert spec is not None and spec.loader is not None
    make_sample = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_sample)
    data, lines, labels = make_sample.sample_bytes(source)
    assert labels == 23
    assert data == SAMPLE.read_bytes(), f"regenerate: .venv/bin/python {spec.origin}"
    assert len(data) < 300_000
    assert 2_000 <= lines <= 10_000
