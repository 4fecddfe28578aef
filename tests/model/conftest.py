"""Fixtures for the model tests: the shipped sample, models trained on it once per session.

TensorFlow takes seconds to import and each training a few more, so the two sample models
(http and all) are trained once and shared; tests must not mutate them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from ..support.kdd import SAMPLE

if TYPE_CHECKING:
    import pandas as pd

    from model import TrainResult


@pytest.fixture(scope="session")
def sample_frame() -> pd.DataFrame:
    from model import read_kdd

    return read_kdd(SAMPLE)


def _train_sample(
    frame: pd.DataFrame, subset: str, *, eval_frame: pd.DataFrame | None = None
) -> TrainResult:
    from model import TrainSettings, train

    return train(
        frame,
        TrainSettings(subset=subset),
        source=SAMPLE.name,
        eval_frame=eval_frame,
        eval_source="sample again" if eval_frame is not None else None,
        progress=lambda line: None,
    )


@pytest.fixture(scope="session")
def http_result(sample_frame: pd.DataFrame) -> TrainResult:
    # Evaluated on the sample again as extra data: the eval path costs no second training.
    return _train_sample(sample_frame, "http", eval_frame=sample_frame)


@pytest.fixture(scope="session")
def all_result(sample_frame: pd.DataFrame) -> TrainResult:
    return _train_sample(sample_frame, "all")
