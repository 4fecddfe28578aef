"""A run's hold on its result folder, taken before anything is sent."""

from __future__ import annotations

import errno
import os
from pathlib import Path

from resultfiles import REQUESTS

from .._errors import ResultsError

__all__ = ["FolderClaim"]


class FolderClaim:
    """A run's hold on its result folder, taken before anything is sent.

    ``requests.jsonl`` is created exclusively: of two runs given the same folder (the same
    ``--run-id``, or the default id within one UTC second) only one goes on, and the other
    fails here with ResultsError; a check followed by an open would let both write one file.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        path = folder / REQUESTS
        #: The folders this claim made (removed again, when empty, on release).
        self._made = [p for p in (folder, *folder.parents) if not p.exists()]
        try:
            folder.mkdir(parents=True, exist_ok=True)
            self._fd: int | None = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            raise ResultsError(
                f"{folder} already holds a run (or another run is writing it "
                "now): choose another --run-id or --results folder"
            ) from None
        except OSError as exc:
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                raise ResultsError(
                    f"not enough free space in {folder} to start: free some "
                    "space or choose another --results folder"
                ) from exc
            raise ResultsError(f"cannot write results in {folder}: {exc.strerror or exc}") from exc

    def take(self) -> int:
        """The claimed file's descriptor, now the writer's to close."""
        if self._fd is None:
            raise ResultsError(f"the claim on {self.folder} was already used or released")
        fd, self._fd = self._fd, None
        return fd

    def release(self) -> None:
        """Give the folder back unused (the run stopped before writing anything)."""
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)
        path = self.folder / REQUESTS
        try:
            if path.stat().st_size == 0:
                path.unlink()
            for made in self._made:
                made.rmdir()
        except OSError:
            pass
