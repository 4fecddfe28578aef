"""Feature subsets: which rows, which raw inputs, and how inputs expand to model columns.

A subset names the rows it keeps and its raw inputs in order. Once the training split is
known, each input becomes an :class:`InputSpec` (a categorical one learns its vocabulary from
the training split only), and :func:`expand` turns raw rows into the columns the network
sees: ``ln(x + log_offset)`` for logged numerics, one-hot for categoricals, standardisation
left to Keras' ``Normalization`` layer.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from model._data import ATTACK_COLUMN, CATEGORICAL_COLUMNS, COLUMNS, NUMERIC_COLUMNS
from model._errors import DataError, SubsetError

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

#: The byte counts and duration span orders of magnitude; ln(x + 1) keeps 0 finite.
LOG_OFFSET = 1.0
LOGGED_COLUMNS: tuple[str, ...] = ("duration", "src_bytes", "dst_bytes")
#: A subset must keep at least this many rows of each class to split and train.
MIN_ROWS_PER_CLASS = 5


@dataclass(frozen=True, kw_only=True)
class Subset:
    """A feature subset: the rows it keeps and its raw inputs, in order."""

    name: str
    #: The row filter in words, for messages.
    rows: str
    select: Callable[[pd.DataFrame], pd.Series]
    inputs: tuple[str, ...]


def _http_rows(frame: pd.DataFrame) -> pd.Series:
    return (frame["service"] == "http") & (frame["logged_in"] == 1)


def _all_rows(frame: pd.DataFrame) -> pd.Series:
    import pandas as pd

    return pd.Series(True, index=frame.index)


SUBSETS: dict[str, Subset] = {
    # The 2018 study's choice: logged-in HTTP connections, three byte/time features.
    "http": Subset(
        name="http",
        rows="service == http and logged_in == 1",
        select=_http_rows,
        inputs=("duration", "src_bytes", "dst_bytes"),
    ),
    # Every feature in file order: the 38 numerics with the three categoricals among them.
    "all": Subset(
        name="all",
        rows="every row",
        select=_all_rows,
        inputs=tuple(c for c in COLUMNS if c in NUMERIC_COLUMNS or c in CATEGORICAL_COLUMNS),
    ),
}


@dataclass(frozen=True, kw_only=True)
class InputSpec:
    """One raw input and how it expands to columns (before standardisation)."""

    name: str
    #: ``numeric`` (one column) or ``categorical`` (one column per vocabulary entry).
    kind: str
    log_offset: float | None = None
    vocabulary: tuple[str, ...] = ()

    @property
    def width(self) -> int:
        return len(self.vocabulary) if self.kind == "categorical" else 1


def get_subset(name: str) -> Subset:
    try:
        return SUBSETS[name]
    except KeyError:
        raise SubsetError(
            f"unknown subset {name!r}; choose one of {', '.join(sorted(SUBSETS))}", file="-"
        ) from None


def select_rows(
    frame: pd.DataFrame,
    subset: Subset,
    *,
    source: str,
    min_per_class: int = MIN_ROWS_PER_CLASS,
) -> pd.DataFrame:
    """The rows of ``subset``; raises SubsetError when none, or too few of a class, remain."""
    rows = frame.loc[subset.select(frame)]
    attacks = int(rows[ATTACK_COLUMN].sum())
    normals = len(rows) - attacks
    if len(rows) == 0:
        raise SubsetError(
            f"the {subset.name} subset ({subset.rows}) is empty: none of the "
            f"{len(frame)} rows match. Use another file or --subset all",
            file=source,
        )
    if min(attacks, normals) < min_per_class:
        raise SubsetError(
            f"the {subset.name} subset ({subset.rows}) has {attacks} attack and {normals} "
            f"normal rows; at least {min_per_class} of each are needed to split and train",
            file=source,
        )
    return rows


def fit_inputs(subset: Subset, train: pd.DataFrame) -> tuple[InputSpec, ...]:
    """The input specs of ``subset``, with vocabularies learnt from the training rows."""
    specs = []
    for name in subset.inputs:
        if name in CATEGORICAL_COLUMNS:
            vocabulary = tuple(sorted(str(v) for v in train[name].unique()))
            specs.append(InputSpec(name=name, kind="categorical", vocabulary=vocabulary))
        else:
            offset = LOG_OFFSET if name in LOGGED_COLUMNS else None
            specs.append(InputSpec(name=name, kind="numeric", log_offset=offset))
    return tuple(specs)


def expand(frame: pd.DataFrame, inputs: Sequence[InputSpec], *, source: str) -> np.ndarray:
    """Raw rows → model columns (float64), in input order; unknown categories give zeros.

    Row labels of ``frame`` are taken as 0-based line indexes for error messages.
    """
    import numpy as np

    parts: list[np.ndarray] = []
    for spec in inputs:
        if spec.kind == "categorical":
            values = frame[spec.name].to_numpy(dtype=object)
            parts.append(
                np.stack([values == v for v in spec.vocabulary], axis=1).astype("float64")
                if spec.vocabulary
                else np.zeros((len(frame), 0))
            )
            continue
        x = frame[spec.name].to_numpy(dtype="float64")
        if spec.log_offset is not None:
            shifted = x + spec.log_offset
            bad = np.flatnonzero(~(shifted > 0))
            if bad.size:
                first = int(bad[0])
                raise DataError(
                    f"{spec.name} = {float(x[first])!r} is not above -{spec.log_offset} "
                    f"(needed for ln(x + {spec.log_offset})); rows with this problem: {bad.size}",
                    file=source,
                    line=int(frame.index[first]) + 1,
                )
            x = np.log(shifted)
        parts.append(x[:, None])
    return np.concatenate(parts, axis=1) if parts else np.zeros((len(frame), 0))


def fingerprint(rows: pd.DataFrame, subset: Subset) -> str:
    """SHA-256 of the subset's rows: its inputs in order, then the attack flag.

    Numeric columns are hashed as little-endian float64 bytes, categorical ones as their
    values each followed by a newline (UTF-8), the attack flag as one byte per row; columns
    one after another. Fast on half a million rows, and independent of any CSV formatter.
    """
    import numpy as np

    digest = hashlib.sha256()
    for name in subset.inputs:
        if name in CATEGORICAL_COLUMNS:
            digest.update("".join(f"{v}\n" for v in rows[name]).encode("utf-8"))
        else:
            digest.update(np.ascontiguousarray(rows[name].to_numpy(), dtype="<f8").tobytes())
    digest.update(np.ascontiguousarray(rows[ATTACK_COLUMN].to_numpy(), dtype="u1").tobytes())
    return digest.hexdigest()
