"""Regenerate ``kddcup_sample.csv.gz``, the small KDD Cup 99 sample shipped with the repo.

    .venv/bin/python model/data/make_sample.py [../shared/data/kdd99/kddcup.data_10_percent.gz]

The sample is a few thousand lines of the real 10 % file, copied verbatim and kept in file
order, drawn with a fixed seed so the output is byte-for-byte the same on every run:

- every label is present (rare ones in full, frequent ones capped), so the ``all`` subset
  sees every attack type;
- the ``http`` subset (service == http and logged_in == 1) is over-represented, with a
  quarter of its rows attacks (every non-``back.`` http attack included), so that subset
  has enough attacks to split and train;
- the gzip stream has no file name and a zero timestamp, so it is reproducible too.
"""

from __future__ import annotations

import gzip
import io
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

SEED = 1999
HERE = Path(__file__).resolve().parent
DEFAULT_SOURCE = HERE.parents[2] / "shared" / "data" / "kdd99" / "kddcup.data_10_percent.gz"
OUT = HERE / "kddcup_sample.csv.gz"
HTTP_NORMAL = 1500
HTTP_ATTACKS = 500
#: Lines per label outside the http subset; labels not listed get at most OTHER_CAP.
OTHER_QUOTA = {"normal.": 1000, "smurf.": 600, "neptune.": 600}
OTHER_CAP = 100


def _is_http(fields: list[str]) -> bool:
    return fields[2] == "http" and fields[11] == "1"


def choose(lines: list[str], rng: np.random.Generator) -> list[int]:
    """Indexes of the lines to keep, sorted (the sample keeps the file's order)."""
    groups: dict[tuple[bool, bool, str], list[int]] = defaultdict(list)
    for i, line in enumerate(lines):
        fields = line.rstrip("\n").split(",")
        label = fields[-1]
        http = _is_http(fields)
        groups[(http, http and label == "back.", label)].append(i)
    keep: list[int] = []
    http_attacks_rare = [
        i
        for (http, back, label), idx in groups.items()
        if http and not back and label != "normal."
        for i in idx
    ]
    keep += http_attacks_rare
    back = groups.get((True, True, "back."), [])
    keep += _draw(rng, back, HTTP_ATTACKS - len(http_attacks_rare))
    keep += _draw(rng, groups.get((True, False, "normal."), []), HTTP_NORMAL)
    for (http, _, label), idx in sorted(groups.items()):
        if not http:
            keep += _draw(rng, idx, OTHER_QUOTA.get(label, OTHER_CAP))
    return sorted(keep)


def _draw(rng: np.random.Generator, indexes: list[int], count: int) -> list[int]:
    if count >= len(indexes):
        return list(indexes)
    return [int(i) for i in rng.choice(np.asarray(indexes), size=count, replace=False)]


def sample_bytes(source: Path) -> tuple[bytes, int, int]:
    """The gzip bytes of the sample of ``source``, its line count and its label count."""
    with gzip.open(source, "rt", encoding="utf-8", newline="") as text:
        lines = text.readlines()
    picked = choose(lines, np.random.default_rng(SEED))
    payload = "".join(lines[i] for i in picked).encode("utf-8")
    out = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=0, compresslevel=9) as zipped:
        zipped.write(payload)
    labels = {lines[i].rstrip("\n").split(",")[-1] for i in picked}
    return out.getvalue(), len(picked), len(labels)


def main(argv: list[str]) -> int:
    source = Path(argv[0]) if argv else DEFAULT_SOURCE
    if not source.is_file():
        print(f"error: {source}: no such file; pass the path of kddcup.data_10_percent.gz")
        return 2
    data, lines, labels = sample_bytes(source)
    OUT.write_bytes(data)
    print(f"{OUT}: {lines} lines, {labels} labels, {len(data)} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
