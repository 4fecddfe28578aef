"""The report package's public surface: sorted, each name importable, nothing else public."""

from __future__ import annotations

import report


def test_the_report_package_surface_is_sorted_and_complete() -> None:
    assert report.__all__ == sorted(report.__all__)
    for name in report.__all__:
        assert hasattr(report, name), name
    public = {name for name in dir(report) if not name.startswith("_")}
    assert public - set(report.__all__) <= {"annotations"}
