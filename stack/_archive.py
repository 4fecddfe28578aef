"""The deterministic archive every package is made of: a zip whose bytes depend only on its
files (fixed timestamps, sorted entries, fixed permissions), written once under a name that
carries its hash, and a code archive reused without compressing its files again."""

from __future__ import annotations

import hashlib
import io
import json
import os
import tempfile
import zipfile
from collections.abc import Mapping
from pathlib import Path

# The earliest time a zip entry can carry; any fixed value makes the bytes reproducible.
_ZIP_DATE_TIME = (1980, 1, 1, 0, 0, 0)
# A regular file, rw-r--r--: Lambda's runtime user only needs to read the code.
_FILE_MODE = 0o100644
_UNIX = 3


def zip_bytes(files: Mapping[str, bytes]) -> bytes:
    """A zip of ``files`` (archive name → content) whose bytes depend only on ``files``."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=_ZIP_DATE_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = _UNIX
            info.external_attr = _FILE_MODE << 16
            archive.writestr(info, files[name], compresslevel=9)
    return buffer.getvalue()


def code_archive(
    files: Mapping[str, bytes], out_dir: Path, prefix: str, *, remember: bool
) -> tuple[Path, bytes, int]:
    """The code zip ``<prefix>-<sha12>.zip`` of ``files``: its path, SHA-256 and size.

    With ``remember``, the archive made from the same files is reused without compressing
    again (a zip with wheels takes seconds at level 9): a small record named by the files'
    digest gives the archive's name and hash, trusted only while that archive exists.
    """
    record: Path | None = None
    if remember:
        digest = hashlib.sha256()
        for name in sorted(files):
            digest.update(name.encode() + b"\0")
            digest.update(hashlib.sha256(files[name]).digest())
        record = out_dir / f".{prefix}-{digest.hexdigest()[:24]}.json"
        try:
            known = json.loads(record.read_text(encoding="utf-8"))
            archive = out_dir / known["archive"]
            if archive.is_file() and archive.stat().st_size == known["size_bytes"]:
                return archive, bytes.fromhex(known["sha256"]), int(known["size_bytes"])
        except (OSError, ValueError, KeyError, TypeError):
            pass
    code = zip_bytes(files)
    code_hash = hashlib.sha256(code).digest()
    code_zip = write_once(out_dir / f"{prefix}-{code_hash.hex()[:12]}.zip", code)
    if record is not None:
        entry = {"archive": code_zip.name, "sha256": code_hash.hex(), "size_bytes": len(code)}
        write_once(record, json.dumps(entry, sort_keys=True).encode())
    return code_zip, code_hash, len(code)


def write_once(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically unless it holds those bytes already (its name
    carries their hash, so another process may have written it a moment ago)."""
    if path.is_file() and path.stat().st_size == len(data) and path.read_bytes() == data:
        return path
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path
