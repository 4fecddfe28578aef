"""The room a run sets aside so its last records and summary fit when the disk fills."""

from __future__ import annotations

from pathlib import Path

from loadgen.files._space import RESERVE_BYTES, reserve_space


def test_the_reserve_holds_its_bytes_and_replaces_a_stale_one(tmp_path: Path) -> None:
    path = tmp_path / ".space-reserve"
    path.write_bytes(b"x" * (RESERVE_BYTES + 10))
    reserve_space(path)
    # Not asserted: blocks on disk, which a compressing file system may not allocate.
    assert path.stat().st_size == RESERVE_BYTES
