"""An instance's memory as a Lambda microVM counts it: its anonymous memory and every file page it
reads or maps (the runtime, the package, a framework's shared libraries), held to its memory size.

On AWS the memory setting is the whole execution environment's memory: a page of TensorFlow's
library that the function maps lives in that environment's page cache, and when the environment is
full the kernel reclaims clean file pages (which then fault in again from disk: the function slows)
and kills only when anonymous memory does not fit. The emulator gets the same from the instance's
memory cgroup, which charges a page-cache page to the cgroup that first reads it and reclaims
within the limit, on one condition: the pages must not be in the host's page cache already
(charged to whoever read them first: pip, an earlier instance, another stack). So before an
instance starts, :func:`evict_file_pages` drops the clean cached pages of what it will read
(``posix_fadvise(POSIX_FADV_DONTNEED)``); pages another live process maps stay, and those come to
the instance uncharged (docs/emulator.md, "Memory as a microVM counts it").

Where no memory cgroup can be created, the function host's memory watchdog is the fallback
(``emulator.lambda_service._memory_watchdog``, with :func:`resident_mb`): it samples each
instance's resident set (anonymous + file pages, ``/proc/<pid>/smaps_rollup``) and kills an
instance whose resident set exceeds its memory size. It is stricter than a microVM (which would
reclaim clean file pages before killing) and samples, so a short spike between two samples passes.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

_MIB = 1024 * 1024
#: a package's files below this size keep their cached pages: a few KB are below Max Memory
#: Used's resolution, and reading each back from disk would lengthen every cold start
PACKAGE_EVICT_MIN_BYTES = 1024 * 1024
#: how often the watchdog reads each instance's resident set
WATCHDOG_INTERVAL_S = 0.1


@dataclass(frozen=True, kw_only=True)
class Eviction:
    """What one :func:`evict_file_pages` did."""

    files: int
    elapsed_ms: float


def evict_file_pages(
    folders: Iterable[Path], *, flush: Iterable[Path] = (), flush_min_bytes: int = 0
) -> Eviction:
    """Drop the host's cached pages of every file under ``folders`` and ``flush``.

    ``flush``: folders written just now (an unpacked package), whose dirty pages are written out
    first, since the kernel drops only clean pages; only their files of ``flush_min_bytes`` or
    more. Unreadable files are skipped: they cannot be read by the instance either.
    """
    started_s = time.perf_counter()
    count = 0
    for folder, write_out in [
        *((Path(f), True) for f in flush),
        *((Path(f), False) for f in folders),
    ]:
        for directory, _, names in os.walk(folder):
            for name in names:
                path = os.path.join(directory, name)
                try:
                    if write_out and flush_min_bytes and os.lstat(path).st_size < flush_min_bytes:
                        continue
                    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
                except OSError:
                    continue
                try:
                    if write_out:
                        os.fdatasync(fd)
                    os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
                    count += 1
                except OSError:
                    pass
                finally:
                    os.close(fd)
    return Eviction(files=count, elapsed_ms=(time.perf_counter() - started_s) * 1000.0)


def resident_mb(pid: int) -> int | None:
    """The process's resident set now (anonymous + file-backed + shared memory), MiB; None once
    it is gone."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as f:
            for line in f:
                if line.startswith(b"Rss:"):
                    return round(int(line.split()[1]) / 1024)
    except (OSError, ValueError, IndexError):
        return None
    return None


@dataclass(frozen=True, kw_only=True)
class MemoryLimit:
    """How the instances' memory size is enforced here: stated in endpoints.json and the logs."""

    #: ``cgroup`` (the kernel, file pages charged) or ``watchdog`` (resident-set sampling)
    mode: str
    description: str


def memory_limit(*, cgroup_limited: bool, reason: str) -> MemoryLimit:
    if cgroup_limited:
        return MemoryLimit(
            mode="cgroup",
            description=(
                f"memory cgroup ({reason}): anonymous memory and the file pages an instance reads "
                "(its package, runtime and framework, evicted from the host's page cache before it "
                "starts) are held to its memory size; clean file pages are reclaimed within it, "
                "anonymous memory past it is killed (Runtime.OutOfMemory)"
            ),
        )
    return MemoryLimit(
        mode="watchdog",
        description=(
            f"no memory cgroup ({reason}): a watchdog reads each instance's resident set "
            f"(anonymous + file pages) every {WATCHDOG_INTERVAL_S * 1000:g} ms and kills it past "
            "its "
            "memory size (Runtime.OutOfMemory); stricter than a microVM, which would first reclaim "
            "clean file pages"
        ),
    )
