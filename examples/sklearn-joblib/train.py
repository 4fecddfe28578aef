"""Write model.joblib beside this file: a logistic regression on a fixed synthetic data set.

The same scikit-learn version gives the same bytes on any machine (fixed data, fixed seed, a
deterministic solver). The function loads it with the version requirements.txt pins, so train
with that version: ``python examples/sklearn-joblib/train.py`` says so if yours differs.
"""

import sys
from pathlib import Path

import joblib
import sklearn
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

HERE = Path(__file__).resolve().parent


def pinned_version() -> str:
    for line in (HERE / "requirements.txt").read_text().splitlines():
        if line.startswith("scikit-learn=="):
            return line.split("==", 1)[1].strip()
    return ""


def main() -> int:
    pinned = pinned_version()
    if pinned and sklearn.__version__ != pinned:
        print(
            f"error: scikit-learn {sklearn.__version__} here, but the function loads the model "
            f"with {pinned} (requirements.txt); train with that version",
            file=sys.stderr,
        )
        return 2
    features, labels = make_classification(
        n_samples=400, n_features=6, n_informative=4, n_classes=2, random_state=0
    )
    model = make_pipeline(StandardScaler(), LogisticRegression(random_state=0))
    model.fit(features, labels)
    joblib.dump(model, HERE / "model.joblib")
    print(f"wrote {HERE / 'model.joblib'} (training accuracy {model.score(features, labels):.3f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
