"""The KDD Cup 99 reader: real rows, and a clear error naming file and line for bad input."""

from __future__ import annotations

import gzip
import urllib.error
from pathlib import Path

import pandas as pd
import pytest

from model import COLUMNS, DataError, DownloadError, read_kdd, resolve_source
from model._data import ENV_VAR, SAMPLE_PATH, download_kdd

from ..support.kdd import ATTACK, GOOD, SAMPLE, replace_field, write_lines


def test_sample_rows_are_named_and_labelled(sample_frame: pd.DataFrame) -> None:
    raw = gzip.decompress(SAMPLE.read_bytes()).decode("utf-8").splitlines()
    assert len(sample_frame) == len(raw)
    assert list(sample_frame.columns) == [*COLUMNS, "attack"]
    first = raw[0].split(",")
    assert sample_frame.loc[0, "service"] == first[2]
    assert sample_frame.loc[0, "src_bytes"] == float(first[4])
    labels = [line.rsplit(",", 1)[1] for line in raw]
    assert sample_frame["label"].tolist() == labels
    assert sample_frame["attack"].tolist() == [int(label != "normal.") for label in labels]
    # The sample keeps every label of the 10 % file, rare attacks included.
    assert {"normal.", "smurf.", "spy.", "perl.", "phf."} <= set(labels)
    assert len(set(labels)) == 23


def test_plain_and_gzip_read_the_same(tmp_path: Path) -> None:
    plain = read_kdd(write_lines(tmp_path, [GOOD, ATTACK]))
    # Gzip is recognised by content, whatever the file is called.
    zipped = read_kdd(write_lines(tmp_path, [GOOD, ATTACK], name="data.bin", gz=True))
    pd.testing.assert_frame_equal(plain, zipped)
    assert plain["attack"].tolist() == [0, 1]
    assert plain["dst_host_same_src_port_rate"].tolist() == [0.11, 1.0]


@pytest.mark.parametrize(
    ("lines", "line", "message"),
    [
        ([GOOD, GOOD + ",extra", GOOD], 2, "expected 42 comma-separated columns, found 43"),
        ([GOOD, GOOD, GOOD.rsplit(",", 1)[0]], 3, "found 41"),
        ([GOOD, "", GOOD], 2, "found 0"),
        ([GOOD, replace_field(GOOD, "src_bytes", "12kB")], 2, "'src_bytes' must be a finite"),
        ([replace_field(GOOD, "serror_rate", "nan"), GOOD], 1, "'serror_rate' must be a finite"),
        ([GOOD, GOOD, GOOD, replace_field(GOOD, "count", "inf")], 4, "'count' must be a finite"),
        ([GOOD, replace_field(GOOD, "duration", "")], 2, "column 'duration' is empty"),
        ([GOOD, replace_field(GOOD, "service", "")], 2, "column 'service' is empty"),
        ([GOOD + ",x"], 1, "found 43"),
    ],
    ids=[
        "extra-column",
        "missing-column",
        "blank-line",
        "text-for-number",
        "nan",
        "infinity",
        "empty-number",
        "empty-category",
        "every-line-too-long",
    ],
)
@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gzip"])
def test_bad_lines_are_named(
    tmp_path: Path, lines: list[str], line: int, message: str, gz: bool
) -> None:
    path = write_lines(tmp_path, lines, gz=gz)
    with pytest.raises(DataError) as caught:
        read_kdd(path)
    assert caught.value.line == line
    assert caught.value.file == str(path)
    assert f"{path}, line {line}: " in str(caught.value)
    assert message in str(caught.value)


def test_missing_file_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"no-such\.gz: no such file\. Pass --data PATH"):
        read_kdd(tmp_path / "no-such.gz")


def test_directory_and_empty_file_are_refused(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="is a directory"):
        read_kdd(tmp_path)
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(DataError, match=r"empty\.csv: the file is empty"):
        read_kdd(empty)


def test_truncated_gzip_is_reported(tmp_path: Path) -> None:
    whole = gzip.compress("".join(f"{GOOD}\n" for _ in range(2000)).encode(), mtime=0)
    path = tmp_path / "cut.gz"
    path.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(DataError, match=r"cut\.gz, line \d+: cannot be read after line"):
        read_kdd(path)


def test_source_order(tmp_path: Path) -> None:
    given = tmp_path / "given.gz"
    env = {ENV_VAR: str(tmp_path / "env.gz")}
    assert resolve_source(given, environ=env).path == given
    assert resolve_source(None, environ=env).path == tmp_path / "env.gz"
    assert resolve_source(None, environ=env).origin == ENV_VAR
    assert resolve_source(None, environ={}).path == SAMPLE_PATH
    assert resolve_source(None, environ={ENV_VAR: ""}).path == SAMPLE_PATH
    downloaded = resolve_source(None, download=True, environ=env)
    assert downloaded.path is None
    assert downloaded.name.startswith("sklearn.datasets.fetch_kddcup99")
    with pytest.raises(DownloadError, match="exclude each other"):
        resolve_source(given, download=True, environ={})


def test_download_offline_says_what_to_do(monkeypatch: pytest.MonkeyPatch) -> None:
    import sklearn.datasets

    def offline(**_: object) -> None:
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(sklearn.datasets, "fetch_kddcup99", offline)
    with pytest.raises(
        DownloadError, match=r"Are you offline\? Pass --data PATH or set KDD99_PATH"
    ):
        download_kdd()
