"""scikit-learn's LogisticRegression on the training split: the reference each evaluation
reports beside the trained model's metrics."""

from __future__ import annotations

import sys
import warnings
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np


class SklearnReference:
    """scikit-learn's LogisticRegression on the same split, standardised the same way."""

    def __init__(self, x_train: np.ndarray, y_train: np.ndarray, seed: int) -> None:
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.linear_model import LogisticRegression
        from sklearn.preprocessing import StandardScaler

        self._scaler = StandardScaler().fit(x_train)
        self._classifier = LogisticRegression(max_iter=2000, random_state=seed)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            self._classifier.fit(self._scaler.transform(x_train), y_train)
        for warning in caught:
            print(f"note: reference LogisticRegression: {warning.message}", file=sys.stderr)

    def probability(self, x: np.ndarray) -> np.ndarray:
        # scikit-learn is untyped: the annotation says what predict_proba gives.
        positive: np.ndarray = self._classifier.predict_proba(self._scaler.transform(x))[:, 1]
        return positive
