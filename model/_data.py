"""Reading the raw KDD Cup 99 format and finding where the data comes from.

The raw format is 42 comma-separated columns without a header: 41 features and a label such
as ``normal.`` or ``smurf.``. The reader names the columns, checks every line, and adds
``attack`` (1 for every label but ``normal.``). Nothing is dropped: a malformed line is an
error that names the file and the line.
"""

from __future__ import annotations

import csv
import gzip
import math
import os
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from model._errors import DataError, DownloadError

if TYPE_CHECKING:
    import pandas as pd

#: The 42 columns of the raw format, in file order.
COLUMNS: tuple[str, ...] = (
    "duration", "protocol_type", "service", "flag", "src_bytes", "dst_bytes", "land",
    "wrong_fragment", "urgent", "hot", "num_failed_logins", "logged_in", "num_compromised",
    "root_shell", "su_attempted", "num_root", "num_file_creations", "num_shells",
    "num_access_files", "num_outbound_cmds", "is_host_login", "is_guest_login", "count",
    "srv_count", "serror_rate", "srv_serror_rate", "rerror_rate", "srv_rerror_rate",
    "same_srv_rate", "diff_srv_rate", "srv_diff_host_rate", "dst_host_count",
    "dst_host_srv_count", "dst_host_same_srv_rate", "dst_host_diff_srv_rate",
    "dst_host_same_src_port_rate", "dst_host_srv_diff_host_rate", "dst_host_serror_rate",
    "dst_host_srv_serror_rate", "dst_host_rerror_rate", "dst_host_srv_rerror_rate", "label",
)  # fmt: skip
CATEGORICAL_COLUMNS: tuple[str, ...] = ("protocol_type", "service", "flag")
LABEL_COLUMN = "label"
#: The 38 numeric features, in file order.
NUMERIC_COLUMNS: tuple[str, ...] = tuple(
    c for c in COLUMNS if c not in CATEGORICAL_COLUMNS and c != LABEL_COLUMN
)
#: Added by the reader: 1 for an attack, 0 for ``normal.``.
ATTACK_COLUMN = "attack"

ENV_VAR = "KDD99_PATH"
SAMPLE_PATH = Path(__file__).resolve().parent / "data" / "kddcup_sample.csv.gz"
DOWNLOAD_SOURCE = "sklearn.datasets.fetch_kddcup99(percent10=True)"

_GZIP_MAGIC = b"\x1f\x8b"


@dataclass(frozen=True, kw_only=True)
class DataSource:
    """Where the rows come from: a file, or scikit-learn's fetcher."""

    #: The file to read; None when the data is downloaded.
    path: Path | None
    #: Why this source was chosen, for the log (``--data``, ``KDD99_PATH``, ``sample``, ...).
    origin: str

    @property
    def name(self) -> str:
        """The file name only (what the artifact records), or the fetcher's call."""
        return self.path.name if self.path is not None else DOWNLOAD_SOURCE


def resolve_source(
    data: str | Path | None = None,
    *,
    download: bool = False,
    environ: Mapping[str, str] | None = None,
) -> DataSource:
    """Choose the data: ``--data PATH``, else ``--download``, else ``KDD99_PATH``, else the
    sample."""
    env = os.environ if environ is None else environ
    if data is not None and download:
        raise DownloadError("--data and --download exclude each other: pass only one")
    if data is not None:
        return DataSource(path=Path(data), origin="--data")
    if download:
        return DataSource(path=None, origin="--download")
    if env.get(ENV_VAR):
        return DataSource(path=Path(env[ENV_VAR]), origin=ENV_VAR)
    return DataSource(path=SAMPLE_PATH, origin="shipped sample")


def load(source: DataSource) -> pd.DataFrame:
    """Read the rows of a source (see :func:`read_kdd` for the frame's shape)."""
    if source.path is None:
        return download_kdd()
    return read_kdd(source.path)


def read_kdd(path: str | Path) -> pd.DataFrame:
    """Read a raw KDD Cup 99 file (gzip or plain) into a frame with named columns.

    The frame has the 42 columns of :data:`COLUMNS` (numeric ones as float64, the others as
    str) plus :data:`ATTACK_COLUMN`; row ``i`` is line ``i + 1`` of the file. Raises
    :class:`DataError` naming the file and line for a missing file, a wrong column count, a
    value that is not a finite number where a number belongs, or an empty value.
    """
    import pandas as pd

    file = Path(path)
    compression = _compression(file)
    dtypes: dict[int, type] = {
        i: (str if name in CATEGORICAL_COLUMNS or name == LABEL_COLUMN else float)
        for i, name in enumerate(COLUMNS)
    }
    try:
        # Without names, a line with extra fields is a parser error and one with missing
        # fields pads with NaN; both are then located by the line scan. Only an empty field
        # becomes NaN, so a category named "NA" stays a category.
        frame = pd.read_csv(
            file,
            header=None,
            dtype=dtypes,
            compression=compression,
            skip_blank_lines=False,
            keep_default_na=False,
            na_values=[""],
            engine="c",
            encoding="utf-8",
        )
    except pd.errors.EmptyDataError:
        raise DataError("the file is empty; expected KDD Cup 99 rows", file=file) from None
    except (ValueError, pd.errors.ParserError, OSError, EOFError, UnicodeDecodeError) as exc:
        _scan_for_problem(file, compression)
        raise DataError(f"cannot be read as KDD Cup 99 ({exc})", file=file) from exc
    numeric = frame.iloc[:, [i for i, n in enumerate(COLUMNS) if n in NUMERIC_COLUMNS]]
    if frame.shape[1] != len(COLUMNS) or frame.isna().to_numpy().any() or not _all_finite(numeric):
        _scan_for_problem(file, compression)
        raise DataError("malformed KDD Cup 99 data (no line could be singled out)", file=file)
    frame.columns = list(COLUMNS)
    frame[ATTACK_COLUMN] = (frame[LABEL_COLUMN].str.rstrip(".") != "normal").astype("int8")
    return frame


def download_kdd() -> pd.DataFrame:
    """Fetch the 10 % file with scikit-learn's fetcher (cached in ~/scikit_learn_data)."""
    import numpy as np
    import pandas as pd
    from sklearn.datasets import fetch_kddcup99

    try:
        with warnings.catch_warnings():
            # Its "Retry downloading" warnings would precede our one clear message.
            warnings.simplefilter("ignore", UserWarning)
            bunch = fetch_kddcup99(percent10=True, download_if_missing=True, shuffle=False)
    except OSError as exc:  # URLError, socket errors and HTTP errors are all OSErrors
        raise DownloadError(
            f"could not download the KDD Cup 99 data with {DOWNLOAD_SOURCE}: {exc}. "
            f"Are you offline? Pass --data PATH or set {ENV_VAR} to a local copy "
            "(kddcup.data_10_percent.gz), or omit both to use the shipped sample."
        ) from exc
    values = np.column_stack([bunch.data, bunch.target])
    frame = pd.DataFrame(values, columns=list(COLUMNS))
    for name in COLUMNS:
        if name in NUMERIC_COLUMNS:
            frame[name] = frame[name].astype("float64")
        else:
            frame[name] = frame[name].map(_text)
    frame[ATTACK_COLUMN] = (frame[LABEL_COLUMN].str.rstrip(".") != "normal").astype("int8")
    return frame


def _text(value: object) -> str:
    return value.decode("ascii") if isinstance(value, bytes) else str(value)


def _all_finite(numeric: pd.DataFrame) -> bool:
    import numpy as np

    return bool(np.isfinite(numeric.to_numpy(dtype="float64")).all())


def _compression(file: Path) -> str | None:
    """gzip or plain, from the content (a gzip file need not end in .gz)."""
    try:
        with file.open("rb") as handle:
            head = handle.read(2)
    except FileNotFoundError:
        raise DataError(
            f"no such file. Pass --data PATH or set {ENV_VAR} to a KDD Cup 99 file, "
            "or omit both to use the shipped sample",
            file=file,
        ) from None
    except IsADirectoryError:
        raise DataError("is a directory; expected a KDD Cup 99 file", file=file) from None
    except OSError as exc:
        raise DataError(f"cannot be opened: {exc.strerror or exc}", file=file) from None
    return "gzip" if head == _GZIP_MAGIC else None


def _lines(file: Path, compression: str | None) -> Iterator[str]:
    if compression == "gzip":
        with gzip.open(file, "rt", encoding="utf-8", newline="") as text:
            yield from text
    else:
        with file.open("r", encoding="utf-8", newline="") as text:
            yield from text


def _scan_for_problem(file: Path, compression: str | None) -> None:
    """Find the first malformed line with the csv module and raise a DataError naming it.

    Slow but exact; it only runs once the fast reader has found that something is wrong.
    Returns when it finds no problem (the caller then reports the reader's own message).
    """
    line_no = 0
    try:
        reader = csv.reader(_lines(file, compression))
        for fields in reader:
            line_no = reader.line_num
            _check_fields(fields, file=file, line=line_no)
    except (OSError, EOFError, UnicodeDecodeError, csv.Error) as exc:
        raise DataError(
            f"cannot be read after line {line_no} ({exc}); is the file truncated or not text?",
            file=file,
            line=line_no + 1,
        ) from None


def _check_fields(fields: list[str], *, file: Path, line: int) -> None:
    if len(fields) != len(COLUMNS):
        raise DataError(
            f"expected {len(COLUMNS)} comma-separated columns, found {len(fields)}",
            file=file,
            line=line,
        )
    for name, value in zip(COLUMNS, fields, strict=True):
        if value.strip() == "":
            raise DataError(f"column {name!r} is empty", file=file, line=line)
        if name in NUMERIC_COLUMNS:
            try:
                number = float(value)
            except ValueError:
                number = math.nan
            if not math.isfinite(number) or "_" in value:
                raise DataError(
                    f"column {name!r} must be a finite number, found {value!r}",
                    file=file,
                    line=line,
                )
