"""Classification metrics and the evaluation table the CLI prints."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np


@dataclass(frozen=True, kw_only=True)
class Metrics:
    """How a classifier did on one set of rows (attack = positive class)."""

    #: ``[[tn, fp], [fn, tp]]``
    confusion_matrix: tuple[tuple[int, int], tuple[int, int]]
    precision: float
    recall: float
    f1: float
    #: None when the rows hold a single class (the area is undefined then).
    roc_auc: float | None
    rows: int

    def to_json(self) -> dict[str, Any]:
        return {
            "confusion_matrix": [list(r) for r in self.confusion_matrix],
            "precision": self.precision,
            "recall": self.recall,
            "f1": self.f1,
            "roc_auc": self.roc_auc,
            "rows": self.rows,
        }


def compute_metrics(y_true: np.ndarray, probability: np.ndarray, threshold: float) -> Metrics:
    """Metrics of probabilities against 0/1 labels; predicted attack is probability >= threshold."""
    import numpy as np
    from sklearn.metrics import (
        confusion_matrix,
        f1_score,
        precision_score,
        recall_score,
        roc_auc_score,
    )

    truth = np.asarray(y_true).astype("int64").ravel()
    scores = np.asarray(probability, dtype="float64").ravel()
    predicted = (scores >= threshold).astype("int64")
    (tn, fp), (fn, tp) = confusion_matrix(truth, predicted, labels=[0, 1]).tolist()
    both_classes = 0 < int(truth.sum()) < len(truth)
    return Metrics(
        confusion_matrix=((int(tn), int(fp)), (int(fn), int(tp))),
        precision=float(precision_score(truth, predicted, zero_division=0)),
        recall=float(recall_score(truth, predicted, zero_division=0)),
        f1=float(f1_score(truth, predicted, zero_division=0)),
        roc_auc=float(roc_auc_score(truth, scores)) if both_classes else None,
        rows=len(truth),
    )


def format_table(title: str, columns: Sequence[tuple[str, Metrics]]) -> str:
    """Metrics side by side, one column per classifier, as fixed-width text."""
    rows: list[tuple[str, list[str]]] = [
        ("rows", [f"{m.rows:,}" for _, m in columns]),
        ("true negatives", [f"{m.confusion_matrix[0][0]:,}" for _, m in columns]),
        ("false positives", [f"{m.confusion_matrix[0][1]:,}" for _, m in columns]),
        ("false negatives", [f"{m.confusion_matrix[1][0]:,}" for _, m in columns]),
        ("true positives", [f"{m.confusion_matrix[1][1]:,}" for _, m in columns]),
        ("precision", [f"{m.precision:.4f}" for _, m in columns]),
        ("recall", [f"{m.recall:.4f}" for _, m in columns]),
        ("F1", [f"{m.f1:.4f}" for _, m in columns]),
        ("ROC-AUC", ["n/a" if m.roc_auc is None else f"{m.roc_auc:.4f}" for _, m in columns]),
    ]
    label_width = max(len(label) for label, _ in rows)
    widths = [
        max(len(name), *(len(values[i]) for _, values in rows))
        for i, (name, _) in enumerate(columns)
    ]
    lines = [title]
    header = " " * label_width + "".join(
        f"  {name:>{w}}" for (name, _), w in zip(columns, widths, strict=True)
    )
    lines.append(header)
    lines.append("-" * len(header))
    for label, values in rows:
        lines.append(
            f"{label:<{label_width}}"
            + "".join(f"  {v:>{w}}" for v, w in zip(values, widths, strict=True))
        )
    return "\n".join(lines)
