"""The room a run sets aside on its disk, so its last records and summary fit when it fills."""

from __future__ import annotations

import errno
import os
from pathlib import Path

__all__ = ["RESERVE_BYTES", "RESERVE_NAME", "reserve_space"]


#: Space set aside when a run starts and given back when the disk fills, so the pending
#: records and the final summary can still be written.
RESERVE_BYTES = 1 << 20
RESERVE_NAME = ".space-reserve"


def reserve_space(path: Path) -> None:
    """Set RESERVE_BYTES aside in a file (given back at the end, or when the disk fills)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
    try:
        try:
            os.posix_fallocate(fd, 0, RESERVE_BYTES)
        except OSError as exc:
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                raise
            # A file system without fallocate: zeros take the room too (unless compressed).
            os.write(fd, bytes(RESERVE_BYTES))
    finally:
        os.close(fd)
