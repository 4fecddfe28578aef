"""Request bodies: rows of the payload file projected onto the target's features.

The shipped payload (``loadgen/data/payload.jsonl``) carries every raw KDD Cup 99 feature by
name; the functions reject unknown features, so each instance is cut down to the features
the target lists in GET /health (or ``--features``). Bodies are encoded once, before the
run, so the request path only picks the next one.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .._errors import PayloadError

__all__ = ["DEFAULT_PAYLOAD", "build_bodies", "load_rows"]

DEFAULT_PAYLOAD = Path(__file__).resolve().parents[1] / "data" / "payload.jsonl"
#: Bodies prepared at most (the rows are cycled through them).
MAX_BODIES = 4096


def load_rows(path: Path) -> list[dict[str, Any]]:
    """The instances of a JSON-lines payload file (one JSON object per line)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PayloadError(
            f"cannot read payload file {path}: {exc.strerror or exc} (pass --payload FILE)"
        ) from exc
    rows: list[dict[str, Any]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise PayloadError(f"{path}:{number}: not JSON ({exc.msg})") from exc
        if not isinstance(row, dict):
            raise PayloadError(f"{path}:{number}: each line must be a JSON object of features")
        rows.append(row)
    if not rows:
        raise PayloadError(f"payload file {path} has no instances")
    return rows


def build_bodies(rows: list[dict[str, Any]], features: list[str], batch: int) -> list[bytes]:
    """Encoded ``{"instances": [...]}`` bodies of ``batch`` instances each, rows cycled."""
    if batch < 1:
        raise PayloadError(f"--batch must be >= 1, got {batch}")
    if not features:
        raise PayloadError("the target lists no features: pass --features name,name,...")
    missing = sorted({name for name in features for row in rows if name not in row})
    if missing:
        raise PayloadError(
            f"payload rows lack the feature(s) {', '.join(missing)} that the target needs; "
            "use a payload with every feature, or --features to choose them"
        )
    projected = [{name: row[name] for name in features} for row in rows]
    count = max(1, min(MAX_BODIES, len(projected) // batch))
    bodies = []
    for index in range(count):
        instances = [projected[(index * batch + k) % len(projected)] for k in range(batch)]
        bodies.append(json.dumps({"instances": instances}, separators=(",", ":")).encode())
    return bodies
