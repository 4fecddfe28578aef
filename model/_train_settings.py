"""How to train: the settings a training run takes (training reads them, model.json holds them)."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_SEED = 42


@dataclass(frozen=True, kw_only=True)
class TrainSettings:
    """How to train. The defaults reach scikit-learn's F1 on the real http subset."""

    subset: str = "http"
    seed: int = DEFAULT_SEED
    epochs: int = 10
    batch_size: int = 128
    learning_rate: float = 0.05
    #: Share of the subset held out, stratified by class, for the reported metrics.
    test_fraction: float = 0.2
    #: ``anomaly`` is ``probability >= threshold``.
    threshold: float = 0.5
