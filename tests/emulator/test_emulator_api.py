"""The emulator's public surface: sorted, each name importable."""

from __future__ import annotations

import emulator


def test_public_surface_is_sorted_and_importable() -> None:
    assert emulator.__all__ == sorted(emulator.__all__)
    for name in emulator.__all__:
        assert getattr(emulator, name) is not None
