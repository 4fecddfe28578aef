"""A function's package and layer unpacked once per emulator run, read-only, shared by its
instances.

Lambda mounts a function's code read-only at ``/var/task`` and its layers at ``/opt``: an
execution environment does not pay for unzipping its package, and a function that writes there
gets ``EROFS``. Here each stack's code archive (or package folder) and layer are unpacked once,
at the first cold start that needs them, into
``<run folder>/.unpacked/<stack>/<archive>-<key>/`` (its ``task`` or ``opt`` folder), and every
instance of the stack runs from that tree (its working directory, ``LAMBDA_TASK_ROOT``,
``PYTHONPATH``, the Java class path). A tree is keyed by its source's path, size and
modification time (a folder: every file's), so a rebuilt package unpacks anew. It is unpacked
into a staging folder and renamed into place when complete, so an unpack that failed or was
killed never leaves a half tree that a later instance would use; concurrent cold starts of one
package wait for the one unpack.

Read-only: the trees' files and folders lose their write bits (what stops a process that is not
root: ``EACCES``), and where the emulator may create mount namespaces (root with
``CAP_SYS_ADMIN``), each instance sees its trees through read-only bind mounts in a namespace of
its own (``EROFS``, as on Lambda, root or not). :func:`read_only_mode` says which applies.

One tree per stack, not per archive: pages one stack's live instance maps would otherwise come
uncharged to another stack's new instance (``_memory``), as for the dependency folders.
"""

from __future__ import annotations

import asyncio
import ctypes
import hashlib
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import time
import uuid
import zipfile
from collections.abc import Sequence
from pathlib import Path

from .._errors import EmulatorStartError

#: the folder of a run's trees, inside the emulator's run folder (a stack name has no dot)
TREES_FOLDER = ".unpacked"
#: the tree a stack without a layer gets as its (empty) ``/opt``
_NO_LAYER = "no-layer"
_WRITE_BITS = stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH

_CLONE_NEWNS = 0x00020000
_MS_RDONLY = 0x1
_MS_NOSUID = 0x2
_MS_NODEV = 0x4
_MS_NOEXEC = 0x8
_MS_REMOUNT = 0x20
_MS_BIND = 0x1000
_MS_REC = 0x4000
_MS_PRIVATE = 0x40000
#: the flags a bind mount's read-only remount must keep from the mount it is on
_KEPT_FLAGS = _MS_NOSUID | _MS_NODEV | _MS_NOEXEC
_libc = ctypes.CDLL(None, use_errno=True)

#: a read-only bind mount to make in an instance's mount namespace: (path, flags to keep)
Mount = tuple[bytes, int]


class PackageTrees:
    """The unpacked trees of one emulator run, under ``<run folder>/.unpacked``."""

    def __init__(self, run_folder: Path, *, read_only: str) -> None:
        self.root = Path(run_folder) / TREES_FOLDER
        #: how instances see the trees read-only: :func:`read_only_mode`
        self.read_only = read_only
        #: the unpack under way of each tree: cold starts of the same package wait for it
        self._unpacking: dict[Path, asyncio.Future[float]] = {}

    def location(self, stack: str, source: Path | None, *, mount: str) -> Path:
        """Where ``source`` (a code archive, a package folder, a layer archive, or None: no
        layer) is unpacked for ``stack``'s instances, as ``mount`` (``task``: Lambda's
        /var/task; ``opt``: its /opt), named after it; :meth:`ensure` puts it there."""
        if source is None:
            return self.root / stack / _NO_LAYER / mount
        return self.root / stack / f"{Path(source).name}-{_source_key(Path(source))}" / mount

    async def ensure(self, source: Path | None, tree: Path) -> float | None:
        """Unpack ``source`` into ``tree`` unless it is there already; the milliseconds it took
        when this call unpacked it, None when it was there (or another call unpacked it).

        Raises OSError, or EmulatorStartError for an archive that is no zip.
        """
        if tree.is_dir():
            return None
        pending = self._unpacking.get(tree)
        if pending is not None:
            await asyncio.shield(pending)
            return None
        pending = asyncio.ensure_future(asyncio.to_thread(_unpack, source, tree))
        self._unpacking[tree] = pending
        pending.add_done_callback(lambda _: self._unpacking.pop(tree, None))
        return await asyncio.shield(pending)


def _source_key(source: Path) -> str:
    """A digest of what a source is now: its path, size and modification time (a folder: its
    files' relative paths, sizes and times too)."""
    digest = hashlib.sha256(str(source.resolve()).encode())
    try:
        facts = source.stat()
        digest.update(f"{facts.st_size}:{facts.st_mtime_ns}".encode())
        if stat.S_ISDIR(facts.st_mode):
            for directory, folders, names in os.walk(source):
                folders.sort()
                for name in sorted(names):
                    path = os.path.join(directory, name)
                    entry = os.lstat(path)
                    digest.update(
                        f"\0{os.path.relpath(path, source)}:{entry.st_size}:"
                        f"{entry.st_mtime_ns}".encode()
                    )
    except OSError:
        # A source that is gone: ``ensure`` says so when it tries to unpack it.
        digest.update(b"\0missing")
    return digest.hexdigest()[:16]


def _unpack(source: Path | None, tree: Path) -> float:
    """Unpack ``source`` into a staging folder, make it read-only and rename it to ``tree``."""
    started_s = time.perf_counter()
    staging = tree.with_name(f"{tree.name}.partial-{uuid.uuid4().hex[:8]}")
    staging.parent.mkdir(parents=True, exist_ok=True)
    try:
        if source is None:
            staging.mkdir()
        elif Path(source).is_dir():
            shutil.copytree(source, staging, symlinks=True)
        else:
            try:
                with zipfile.ZipFile(source) as archive:
                    archive.extractall(staging)
            except zipfile.BadZipFile as exc:
                raise EmulatorStartError(
                    f"cannot unpack {source}: {exc}; rebuild the package (it is no zip archive)"
                ) from None
        make_read_only(staging)
        try:
            staging.rename(tree)
        except OSError:
            if not tree.is_dir():
                raise
            remove_tree(staging)  # the same source, unpacked meanwhile: that tree serves
    except BaseException:
        remove_tree(staging)
        raise
    return (time.perf_counter() - started_s) * 1000.0


def make_read_only(folder: Path) -> None:
    """Take the write bits off every file and folder under ``folder`` (symbolic links are left
    as they are: ``chmod`` would follow them out of the tree)."""
    for directory, _, names in os.walk(folder, topdown=False):
        for name in names:
            path = os.path.join(directory, name)
            mode = os.lstat(path).st_mode
            if not stat.S_ISLNK(mode):
                os.chmod(path, stat.S_IMODE(mode) & ~_WRITE_BITS)
        os.chmod(directory, stat.S_IMODE(os.lstat(directory).st_mode) & ~_WRITE_BITS)


def remove_tree(folder: Path) -> None:
    """Remove ``folder`` even where it holds read-only trees (their folders made writable
    first, top down, so that their entries can be removed); errors are ignored."""
    for directory, _, _ in os.walk(folder):
        try:
            os.chmod(directory, stat.S_IRWXU | stat.S_IRGRP | stat.S_IXGRP)
        except OSError:
            pass
    shutil.rmtree(folder, ignore_errors=True)


def read_only_mounts(paths: Sequence[Path]) -> tuple[Mount, ...]:
    """The bind mounts that make ``paths`` read-only in an instance's namespace (computed before
    the fork: the child only makes system calls)."""
    return tuple((os.fsencode(p), os.statvfs(p).f_flag & _KEPT_FLAGS) for p in paths)


def mount_read_only(mounts: Sequence[Mount]) -> None:
    """In a new mount namespace of the calling process (the child, between fork and exec), bind
    each path onto itself read-only. Raises OSError."""
    if _libc.unshare(_CLONE_NEWNS) != 0:
        _raise_errno("unshare(CLONE_NEWNS)")
    # Private first: otherwise the binds would propagate back to the host's namespace.
    if _libc.mount(None, b"/", None, _MS_REC | _MS_PRIVATE, None) != 0:
        _raise_errno("making / private")
    for path, kept in mounts:
        if _libc.mount(path, path, None, _MS_BIND | _MS_REC, None) != 0:
            _raise_errno(f"binding {path!r}")
        flags = _MS_BIND | _MS_REMOUNT | _MS_RDONLY | kept
        if _libc.mount(None, path, None, flags, None) != 0:
            _raise_errno(f"remounting {path!r} read-only")


def _raise_errno(what: str) -> None:
    errno = ctypes.get_errno()
    raise OSError(errno, f"{what}: {os.strerror(errno)}")


def read_only_mode(folder: Path) -> str:
    """How trees in ``folder`` (an existing folder, the run's) are read-only to instances:
    ``mount`` (read-only bind mounts in a mount namespace per instance: EROFS), ``permissions``
    (write bits off: EACCES for a process that is not root), or ``none`` (root without the
    right to mount: writes succeed). Probed with one short process (~20 ms)."""
    with tempfile.TemporaryDirectory(prefix=".read-only-probe-", dir=folder) as probe:
        mounts = read_only_mounts([Path(probe)])
        target = os.path.join(probe, "written")

        def child() -> None:
            mount_read_only(mounts)
            try:
                os.close(os.open(target, os.O_WRONLY | os.O_CREAT, 0o600))
            except OSError:
                return
            raise OSError("the read-only bind mount took a write")

        try:
            subprocess.run(
                [sys.executable, "-S", "-c", ""],
                preexec_fn=child,
                check=True,
                close_fds=True,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        except (OSError, subprocess.SubprocessError):
            return "permissions" if os.geteuid() != 0 else "none"
        return "mount"
