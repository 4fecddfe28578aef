"""Model benchmarks: training time and the reference evaluator's speed. Prints figures.

    .venv/bin/python bench/bench_model.py [--data PATH]

Without --data it uses the real 10 % file when present (../shared/data/kdd99), else the
shipped sample. Figures only, no assertions (timing belongs here, not in tests).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from model import TrainSettings, predict_probability, read_kdd, train
from model._data import SAMPLE_PATH

REAL = REPO.parent / "shared" / "data" / "kdd99" / "kddcup.data_10_percent.gz"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=REAL if REAL.is_file() else SAMPLE_PATH)
    parser.add_argument("--subset", default="http")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results-model.json")
    args = parser.parse_args()
    started = time.perf_counter()
    frame = read_kdd(args.data)
    read_s = time.perf_counter() - started
    result = train(
        frame, TrainSettings(subset=args.subset), source=args.data.name, progress=lambda _: None
    )
    names = [spec["name"] for spec in result.model["inputs"]]
    instances = [
        dict(zip(names, values, strict=True))
        for values in result.rows[names].head(20_000).itertuples(index=False, name=None)
    ]
    started = time.perf_counter()
    for instance in instances:
        predict_probability(result.model, instance)
    reference_us = (time.perf_counter() - started) / len(instances) * 1e6
    test = result.evaluations[0]
    figures = {
        "data": args.data.name,
        "subset": args.subset,
        "rows": len(frame),
        "subset_rows": len(result.rows),
        "read_s": round(read_s, 2),
        "train_s": round(result.train_s, 2),
        "keras_f1": round(test.keras.f1, 4),
        "sklearn_f1": round(test.reference.f1, 4),
        "reference_predict_us": round(reference_us, 1),
    }
    print(json.dumps(figures, indent=1))
    args.out.write_text(
        json.dumps({"benchmark": "model", **figures}, indent=2) + "\n", encoding="utf-8"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
