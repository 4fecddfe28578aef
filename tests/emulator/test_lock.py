"""One emulator per build directory: the lock refuses a second one with
one line naming the first's pid and how to run two; a dead holder never blocks the next."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from emulator._errors import EmulatorStartError
from emulator._lock import LOCK_FILE, BuildDirLock


def test_a_second_holder_is_refused_naming_the_first_and_another_build_dir(tmp_path: Path) -> None:
    build = tmp_path / "build"
    with BuildDirLock(build):
        assert (build / LOCK_FILE).read_text().strip() == str(os.getpid())
        with pytest.raises(EmulatorStartError) as refused:
            BuildDirLock(build).acquire()
        message = str(refused.value)
        assert f"pid {os.getpid()}" in message and "--build-dir" in message
        assert "\n" not in message
        # another build dir is another emulator's
        with BuildDirLock(tmp_path / "other"):
            pass
    # released: the file is gone and the next one takes it
    assert not (build / LOCK_FILE).exists()
    with BuildDirLock(build):
        pass


HOLD = (
    "import sys, time; from pathlib import Path; from emulator._lock import BuildDirLock; "
    "BuildDirLock(Path(sys.argv[1])).acquire(); print('held', flush=True); time.sleep(60)"
)


def test_a_killed_holder_leaves_a_file_that_blocks_nothing(tmp_path: Path) -> None:
    build = tmp_path / "build"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(build)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(EmulatorStartError, match=f"pid {holder.pid}"):
            BuildDirLock(build).acquire()
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=30)
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()
        if holder.stdout is not None:
            holder.stdout.close()
    assert (build / LOCK_FILE).read_text().strip() == str(holder.pid)  # left behind
    with BuildDirLock(build):
        assert (build / LOCK_FILE).read_text().strip() == str(os.getpid())
