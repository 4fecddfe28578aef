"""The two feature subsets: rows kept, inputs in order, how inputs expand to columns."""

from __future__ import annotations

import gzip
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from model import COLUMNS, SUBSETS, DataError, SubsetError, read_kdd
from model._data import CATEGORICAL_COLUMNS, NUMERIC_COLUMNS
from model._features import expand, fingerprint, fit_inputs, select_rows

from ..support.kdd import ATTACK, GOOD, SAMPLE, replace_field, write_lines


def test_http_subset_keeps_logged_in_http_rows(sample_frame: pd.DataFrame) -> None:
    raw = gzip.decompress(SAMPLE.read_bytes()).decode("utf-8").splitlines()
    expected = [
        i
        for i, line in enumerate(raw)
        if line.split(",")[2] == "http" and line.split(",")[11] == "1"
    ]
    rows = select_rows(sample_frame, SUBSETS["http"], source="sample")
    assert rows.index.tolist() == expected
    assert SUBSETS["http"].inputs == ("duration", "src_bytes", "dst_bytes")
    # The sample is built so the http subset has attacks to learn from.
    assert rows["attack"].sum() >= 100


def test_all_subset_has_every_feature_in_file_order(sample_frame: pd.DataFrame) -> None:
    subset = SUBSETS["all"]
    assert subset.inputs == COLUMNS[:-1]
    assert len(NUMERIC_COLUMNS) == 38
    rows = select_rows(sample_frame, subset, source="sample")
    assert len(rows) == len(sample_frame)
    specs = fit_inputs(subset, rows)
    kinds = {s.name: s.kind for s in specs}
    assert [n for n, k in kinds.items() if k == "categorical"] == list(CATEGORICAL_COLUMNS)
    logged = [s.name for s in specs if s.log_offset is not None]
    assert logged == ["duration", "src_bytes", "dst_bytes"]
    protocol = next(s for s in specs if s.name == "protocol_type")
    assert protocol.vocabulary == ("icmp", "tcp", "udp")
    width = sum(s.width for s in specs)
    assert expand(rows, specs, source="sample").shape == (len(rows), width)


def test_expand_logs_one_hots_and_zeros_unknowns(tmp_path: Path) -> None:
    frame = read_kdd(write_lines(tmp_path, [GOOD, ATTACK]))
    specs = fit_inputs(SUBSETS["all"], frame)
    columns = expand(frame, specs, source="t")
    service = next(s for s in specs if s.name == "service")
    assert service.vocabulary == ("ecr_i", "http")
    # duration, protocol_type (icmp, tcp), service (ecr_i, http), flag (SF), src_bytes ...
    assert columns[0, :7].tolist() == [0.0, 0.0, 1.0, 0.0, 1.0, 1.0, math.log(182.0)]
    assert columns[1, :7].tolist() == [0.0, 1.0, 0.0, 1.0, 0.0, 1.0, math.log(1033.0)]
    unseen = frame.assign(service=["smtp", "http"], protocol_type=["udp", "udp"])
    one_hot = expand(unseen, specs, source="t")[:, 1:5]
    assert one_hot.tolist() == [[0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 1.0]]


def test_negative_logged_value_is_refused_with_its_line(tmp_path: Path) -> None:
    frame = read_kdd(write_lines(tmp_path, [GOOD, GOOD, replace_field(GOOD, "src_bytes", "-3")]))
    specs = fit_inputs(SUBSETS["http"], frame)
    with pytest.raises(DataError, match=r"t, line 3: src_bytes = -3\.0 is not above"):
        expand(frame, specs, source="t")


def test_empty_subset_names_the_file_and_filter(tmp_path: Path) -> None:
    path = write_lines(tmp_path, [ATTACK, replace_field(GOOD, "logged_in", "0")])
    frame = read_kdd(path)
    with pytest.raises(SubsetError, match=r"data\.csv: the http subset .* is empty: none of the 2"):
        select_rows(frame, SUBSETS["http"], source=str(path))


def test_subset_with_too_few_attacks_is_refused(tmp_path: Path) -> None:
    frame = read_kdd(write_lines(tmp_path, [GOOD] * 20 + [ATTACK] * 2))
    with pytest.raises(SubsetError, match="has 2 attack and 20 normal rows; at least 5"):
        select_rows(frame, SUBSETS["all"], source="d")


def test_fingerprint_changes_with_any_value(sample_frame: pd.DataFrame) -> None:
    rows = select_rows(sample_frame, SUBSETS["http"], source="sample")
    digest = fingerprint(rows, SUBSETS["http"])
    assert digest == fingerprint(rows.copy(), SUBSETS["http"])
    changed = rows.copy()
    changed.iloc[5, changed.columns.get_loc("dst_bytes")] += 1.0
    assert fingerprint(changed, SUBSETS["http"]) != digest
    flipped = rows.copy()
    flipped.iloc[5, flipped.columns.get_loc("attack")] = np.int8(1 - flipped.iloc[5]["attack"])
    assert fingerprint(flipped, SUBSETS["http"]) != digest
