"""The requests a sweep sends: a ``--requests`` file (JSON lines, each a body and its weight),
or the study's own predict request."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

from contract import PREDICT_PATH

from .._errors import StudyError
from .._features import artifact_features
from ._local import SweepRequest
from ._stats import SweepInputError

__all__ = ["default_requests", "read_requests"]


def read_requests(path: Path) -> list[SweepRequest]:
    """A JSON-lines file: one request per line, ``{"body": <JSON>, "weight": 1, "path":
    "/predict", "method": "POST"}`` (only ``body`` required)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SweepInputError(f"cannot read --requests {path}: {exc.strerror or exc}") from None
    out: list[SweepRequest] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise SweepInputError(
                f"{path}:{number}: not JSON ({exc.msg}); each line is "
                '{"body": {...}, "weight": 1}'
            ) from None
        if not isinstance(item, dict) or "body" not in item:
            raise SweepInputError(
                f'{path}:{number}: each line is {{"body": {{...}}, "weight": 1}}, with a body'
            )
        weight = item.get("weight", 1)
        if isinstance(weight, bool) or not isinstance(weight, int | float) or weight <= 0:
            raise SweepInputError(f"{path}:{number}: weight must be a number > 0")
        body = item["body"]
        raw = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        out.append(
            SweepRequest(
                body=raw,
                weight=float(weight),
                method=str(item.get("method", "POST")).upper(),
                path=str(item.get("path", PREDICT_PATH)),
            )
        )
    if not out:
        raise SweepInputError(f"{path} holds no request: one JSON object per line")
    return out


def default_requests(artifact: Path, batch: int) -> list[SweepRequest]:
    """The study's request: ``batch`` rows of the load generator's shipped payload
    (``loadgen/data/payload.jsonl``, every raw KDD feature by name), cut to the model's
    features, as ``python -m loadgen`` sends it."""
    try:
        features = artifact_features(artifact)
    except StudyError as exc:
        raise SweepInputError(str(exc)) from None
    text = resources.files("loadgen").joinpath("data", "payload.jsonl").read_text("utf-8")
    rows = [json.loads(line) for line in text.splitlines() if line.strip()]
    missing = sorted({name for name in features for row in rows if name not in row})
    if not rows or missing:
        raise SweepInputError(
            f"the shipped payload lacks the model's feature(s) "
            f"{', '.join(missing)}: pass --requests FILE"
        )
    instances = [{name: rows[k % len(rows)][name] for name in features} for k in range(batch)]
    body = json.dumps({"instances": instances}, separators=(",", ":")).encode()
    return [SweepRequest(body=body)]
