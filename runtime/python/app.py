"""The Python function: ``app.handler`` behind an API Gateway HTTP API (docs/api.md).

Everything that can be done once happens here, at import: find, read and check the artifact,
build the model. The handler itself only routes, validates and scores. Standard library only.
The public surface is ``handler``; the helpers live in the private ``_x`` modules beside it
(the archive is these files at its root, so there is no package ``__init__``).
"""

from __future__ import annotations

import time

# The clock starts before the imports below: they are part of what init costs.
_START_S = time.perf_counter()

import os

from _errors import InitError
from _http_api import State, handle
from _model_runtime import load, model_runtime, runtime_header

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

__all__ = ["handler"]

DEFAULT_MAX_INSTANCES = 1000


def _max_instances(raw: str | None) -> int:
    if raw is None or raw == "":
        return DEFAULT_MAX_INSTANCES
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= 1_000_000_000:
        raise InitError(
            f"MAX_INSTANCES is {raw!r}; set it to a whole number from 1 to "
            "1000000000 (default 1000)"
        )
    return int(raw)


def _artifact_path(environ: Mapping[str, str]) -> str:
    bucket = environ.get("MODEL_BUCKET") or ""
    key = environ.get("MODEL_KEY") or ""
    if bucket or key:
        if not (bucket and key):
            raise InitError(
                "MODEL_BUCKET and MODEL_KEY must be set together (the s3 strategy) "
                "or both left unset (the artifact ships in the package)"
            )
        from _s3 import download

        return download(bucket, key, environ)
    default = os.path.join(os.path.dirname(os.path.abspath(__file__)), "model.zip")
    return environ.get("MODEL_PATH") or default


def _init(environ: Mapping[str, str], start_s: float) -> State:
    max_instances = _max_instances(environ.get("MAX_INSTANCES"))
    runtime = model_runtime(environ)
    model = load(runtime, _artifact_path(environ), environ.get("MODEL_VERSION") or None)
    init_type = environ.get("AWS_LAMBDA_INITIALIZATION_TYPE") or "on-demand"
    return State(
        model=model,
        runtime=runtime_header(runtime),
        init_type=init_type,
        init_ms=(time.perf_counter() - start_s) * 1000.0,
        max_instances=max_instances,
    )


_STATE = _init(os.environ, _START_S)


def handler(event: Any, context: Any) -> dict[str, Any]:
    """Lambda's entry point: one API Gateway HTTP API v2 event in, one proxy response out."""
    return handle(event, context, _STATE)
