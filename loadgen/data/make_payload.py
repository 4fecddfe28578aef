"""Derive loadgen/data/payload.jsonl from the KDD Cup 99 10 % file, deterministically.

Usage: python loadgen/data/make_payload.py [SOURCE.gz] [--out PATH] [--rows N]

Each line is one instance carrying all 41 raw features by name (no label), so the same
payload serves a model of the ``http`` subset and one of the ``all`` subset: the load
generator sends only the features the target's GET /health lists. Half the rows are evenly
spaced among the ``service == http`` rows, half evenly spaced among all rows, interleaved;
the same source always gives the same file.
"""

from __future__ import annotations

import argparse
import gzip
import json
from pathlib import Path

COLUMNS = [
    "duration",
    "protocol_type",
    "service",
    "flag",
    "src_bytes",
    "dst_bytes",
    "land",
    "wrong_fragment",
    "urgent",
    "hot",
    "num_failed_logins",
    "logged_in",
    "num_compromised",
    "root_shell",
    "su_attempted",
    "num_root",
    "num_file_creations",
    "num_shells",
    "num_access_files",
    "num_outbound_cmds",
    "is_host_login",
    "is_guest_login",
    "count",
    "srv_count",
    "serror_rate",
    "srv_serror_rate",
    "rerror_rate",
    "srv_rerror_rate",
    "same_srv_rate",
    "diff_srv_rate",
    "srv_diff_host_rate",
    "dst_host_count",
    "dst_host_srv_count",
    "dst_host_same_srv_rate",
    "dst_host_diff_srv_rate",
    "dst_host_same_src_port_rate",
    "dst_host_srv_diff_host_rate",
    "dst_host_serror_rate",
    "dst_host_srv_serror_rate",
    "dst_host_rerror_rate",
    "dst_host_srv_rerror_rate",
]
CATEGORICAL = {"protocol_type", "service", "flag"}
DEFAULT_SOURCE = Path("/work/shared/data/kdd99/kddcup.data_10_percent.gz")


def instance(line: str) -> dict[str, object]:
    fields = line.rstrip("\n").split(",")
    if len(fields) != len(COLUMNS) + 1:
        raise ValueError(f"expected {len(COLUMNS) + 1} fields, got {len(fields)}")
    row: dict[str, object] = {}
    for name, text in zip(COLUMNS, fields, strict=False):
        if name in CATEGORICAL:
            row[name] = text
        else:
            value = float(text)
            row[name] = int(value) if value.is_integer() else value
    return row


def evenly(items: list[str], count: int) -> list[str]:
    if len(items) <= count:
        return list(items)
    return [items[i * len(items) // count] for i in range(count)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", nargs="?", type=Path, default=DEFAULT_SOURCE)
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("payload.jsonl"))
    parser.add_argument("--rows", type=int, default=2000)
    args = parser.parse_args()
    with gzip.open(args.source, "rt", encoding="ascii") as stream:
        lines = [line for line in stream if line.strip()]
    http = evenly([line for line in lines if line.split(",", 3)[2] == "http"], args.rows // 2)
    spread = evenly(lines, args.rows - len(http))
    mixed = [x for pair in zip(http, spread, strict=False) for x in pair]
    mixed += http[len(spread) :] + spread[len(http) :]
    with args.out.open("w", encoding="utf-8") as out:
        for line in mixed:
            out.write(json.dumps(instance(line), separators=(",", ":")) + "\n")
    print(f"wrote {len(mixed)} instances to {args.out}")


if __name__ == "__main__":
    main()
