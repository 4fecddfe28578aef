"""The results seam's public surface: every name sorted, importable, and listed."""

from __future__ import annotations

import resultfiles


def test_all_is_sorted_and_complete() -> None:
    # Sorted as ruff sorts it (isort's order): constants, then classes, then functions.
    assert resultfiles.__all__ == sorted(
        resultfiles.__all__, key=lambda name: (not name.isupper(), not name[0].isupper(), name)
    )
    for name in resultfiles.__all__:
        assert hasattr(resultfiles, name), name
    public = {name for name in dir(resultfiles) if not name.startswith("_")}
    assert public - set(resultfiles.__all__) <= {"annotations"}
