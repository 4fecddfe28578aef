"""The HTTP contract of docs/api.md: API Gateway HTTP API payload 2.0 in, proxy response out.

Every check happens in the order docs/api.md lists, so that the Java function, which follows
the same list, answers every request with the same status and code.
"""

from __future__ import annotations

import json
import os
import sys

from _errors import RequestError
from _model import Model

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any

MAX_DEPTH = 64
#: Lambda's limit for a synchronous invocation payload, applied to the decoded body.
MAX_BODY_BYTES = 6 * 1024 * 1024
_B64_ALPHABET = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
_TOP_LEVEL_KEYS = ("instances", "signature_name")
_ROUTES = {"/predict": "POST", "/health": "GET"}


#: AWS_LAMBDA_INITIALIZATION_TYPE values whose init ran ahead of the first request.
_AHEAD_OF_TIME = frozenset({"provisioned-concurrency", "snap-start"})


class State:
    """What an instance keeps between invocations.

    The instance id is made at the first invocation, not at init: with SnapStart every
    environment restored from one snapshot shares what init made, so an id drawn at init would
    be the same in all of them (AWS's SnapStart uniqueness guidance: create unique state after
    restore). Drawing it lazily needs no restore hook and costs init nothing.
    """

    __slots__ = (
        "first",
        "init_ms",
        "init_type",
        "instance_id",
        "max_instances",
        "model",
        "runtime",
    )

    def __init__(
        self, *, model: Model, runtime: str, init_type: str, init_ms: float, max_instances: int
    ) -> None:
        self.model = model
        self.runtime = runtime
        #: AWS_LAMBDA_INITIALIZATION_TYPE: on-demand, provisioned-concurrency or snap-start
        self.init_type = init_type
        self.init_ms = init_ms
        self.max_instances = max_instances
        #: empty until the first invocation draws it
        self.instance_id = ""
        #: True until the first invocation has been answered.
        self.first = True


class _DuplicateKey(ValueError):
    pass


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKey(f"duplicate key {key!r} in an object")
            seen.add(key)
    return obj


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number (numbers must be finite)")


# parse_int=float: every JSON number becomes a double, as in Java, and integers of any length
# parse (int() would refuse more than 4,300 digits; float() rounds them, possibly to inf).
_decode = json.JSONDecoder(
    object_pairs_hook=_pairs, parse_constant=_reject_constant, parse_int=float
).decode
_encode = json.JSONEncoder(separators=(",", ":"), allow_nan=False).encode


def parse_json(text: str) -> Any:
    """Strict JSON: RequestError(400, invalid_json) for syntax, NaN, duplicates, depth > 64."""
    try:
        doc = _decode(text)
    except json.JSONDecodeError as exc:
        raise _invalid_json(f"{exc.msg} at offset {exc.pos}") from None
    except _DuplicateKey as exc:
        raise _invalid_json(str(exc)) from None
    except ValueError as exc:
        raise _invalid_json(str(exc)) from None
    except RecursionError:
        raise _invalid_json(f"nesting deeper than {MAX_DEPTH}") from None
    return doc


def _invalid_json(detail: str) -> RequestError:
    return RequestError(400, "invalid_json", f"the body is not valid JSON: {detail}")


def depth_exceeds(value: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether ``value`` nests arrays/objects deeper than ``limit`` (top-level container = 1)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children: Iterable[Any]
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        for child in children:
            if isinstance(child, (dict, list)):
                stack.append((child, depth + 1))
    return False


def body_text(event: dict[str, Any]) -> str:
    """The request body as text, decoded and bounded, or RequestError."""
    body = event.get("body")
    if body is None:
        body = ""
    if not isinstance(body, str):
        raise RequestError(400, "invalid_request", "the event's body is not a string")
    if event.get("isBase64Encoded") is True:
        raw = body.encode("ascii", "replace")
        # Strict base64: padded to a multiple of 4, the standard alphabet, '=' only at the end.
        stripped = raw.rstrip(b"=")
        if len(raw) % 4 or len(raw) - len(stripped) > 2 or not _B64_ALPHABET.issuperset(stripped):
            raise _invalid_json("the body is marked base64 but is not valid base64")
        size = len(raw) // 4 * 3 - (len(raw) - len(stripped))
        if size > MAX_BODY_BYTES:
            raise _too_large(size)
        import binascii  # only base64 bodies need it: not imported at init

        data = binascii.a2b_base64(raw)
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise _invalid_json(f"the body is not UTF-8 (byte {exc.start})") from None
    try:
        size = len(body.encode("utf-8"))
    except UnicodeEncodeError as exc:
        raise _invalid_json(f"the body is not UTF-8 (lone surrogate at {exc.start})") from None
    if size > MAX_BODY_BYTES:
        raise _too_large(size)
    return body


def _too_large(size: int) -> RequestError:
    return RequestError(
        413,
        "payload_too_large",
        f"the body is {size} bytes; the limit is {MAX_BODY_BYTES} bytes (6 MB)",
    )


def instances_of(doc: Any, max_instances: int) -> list[Any]:
    """The ``instances`` list of a parsed body, checked in the documented order."""
    if not isinstance(doc, dict):
        raise RequestError(
            400, "invalid_request", 'the body must be a JSON object like {"instances": [...]}'
        )
    for key in doc:
        if key not in _TOP_LEVEL_KEYS:
            raise RequestError(
                400,
                "invalid_request",
                f"unknown top-level key {key!r}; a request has 'instances' "
                "and optionally 'signature_name'",
            )
    if "instances" not in doc:
        raise RequestError(400, "invalid_request", 'the body lacks "instances"')
    if "signature_name" in doc and not isinstance(doc["signature_name"], str):
        raise RequestError(400, "invalid_request", '"signature_name" must be a string')
    instances = doc["instances"]
    if not isinstance(instances, list):
        raise RequestError(400, "invalid_request", '"instances" must be a list of objects')
    if not instances:
        raise RequestError(400, "invalid_request", '"instances" is empty')
    if len(instances) > max_instances:
        raise RequestError(
            413,
            "too_many_instances",
            f"{len(instances)} instances; the limit is {max_instances} per request",
        )
    return instances


def route(event: Any) -> tuple[str, str]:
    """(method, path) from ``requestContext.http`` and ``rawPath``, else from ``routeKey``."""
    method = path = ""
    if isinstance(event, dict):
        context = event.get("requestContext")
        http = context.get("http") if isinstance(context, dict) else None
        if isinstance(http, dict) and isinstance(http.get("method"), str):
            method = http["method"]
        if isinstance(event.get("rawPath"), str):
            path = event["rawPath"]
        route_key = event.get("routeKey")
        if (not method or not path) and isinstance(route_key, str) and " " in route_key:
            key_method, _, key_path = route_key.partition(" ")
            method = method or key_method
            path = path or key_path
        # A named stage shows up as the first path segment of rawPath: /prod/predict.
        stage = context.get("stage") if isinstance(context, dict) else None
        if isinstance(stage, str) and stage and stage != "$default":
            prefix = "/" + stage
            if path.startswith(prefix + "/"):
                path = path[len(prefix) :]
    return method, path


def request_id(event: Any, context: Any) -> str:
    """The Lambda request id from the context, else API Gateway's, else ``unknown``."""
    rid = getattr(context, "aws_request_id", None)
    if isinstance(rid, str) and rid:
        return rid
    if isinstance(event, dict):
        ctx = event.get("requestContext")
        if isinstance(ctx, dict) and isinstance(ctx.get("requestId"), str) and ctx["requestId"]:
            return str(ctx["requestId"])
    return "unknown"


def handle(event: Any, context: Any, state: State) -> dict[str, Any]:
    """Answer one invocation; never raises."""
    rid = request_id(event, context)
    extra: dict[str, str] = {}
    try:
        method, path = route(event)
        allowed = _ROUTES.get(path)
        if allowed is None:
            raise RequestError(
                404,
                "not_found",
                f"no route {path or '(empty)'}; the routes are POST /predict and GET /health",
            )
        if method != allowed:
            extra["allow"] = allowed
            raise RequestError(
                405,
                "method_not_allowed",
                f"{path} answers {allowed} only, not {method or '(no method)'}",
            )
        if path == "/health":
            status, payload = 200, _health(state)
        else:
            status, payload = 200, _predict(event, state)
        return _response(status, payload, rid, state, extra)
    except RequestError as exc:
        payload = {"error": {"code": exc.code, "message": exc.message}}
        return _response(exc.status, payload, rid, state, extra)
    except Exception:  # noqa: BLE001 (any failure answers 500 and the instance serves on)
        # Logged for CloudWatch with the request id; the client gets the id, not the trace.
        import traceback

        print(f"internal error, request id {rid}:\n{traceback.format_exc()}", file=sys.stderr)
        payload = {
            "error": {"code": "internal_error", "message": f"internal error; request id {rid}"}
        }
        return _response(500, payload, rid, state, {})


def _predict(event: dict[str, Any], state: State) -> dict[str, Any]:
    doc = parse_json(body_text(event))
    try:
        instances = instances_of(doc, state.max_instances)
        predictions = state.model.score(instances)
    except RequestError:
        # A valid request nests 3 deep, so only a refused one can hide deeper nesting; the
        # depth check wins over every other 400 (invalid_json comes first in the order).
        if depth_exceeds(doc):
            raise _invalid_json(f"nesting deeper than {MAX_DEPTH}") from None
        raise
    return {"predictions": predictions, "model_version": state.model.model_version}


def _health(state: State) -> dict[str, Any]:
    model = state.model
    inputs: list[dict[str, Any]] = []
    for is_numeric, spec in model.inputs:
        if is_numeric:
            inputs.append({"name": spec.name, "kind": "numeric"})
        else:
            inputs.append({"name": spec.name, "kind": "categorical", "vocabulary": spec.vocabulary})
    return {
        "status": "ok",
        "runtime": state.runtime,
        "model_version": model.model_version,
        "subset": model.subset,
        "features": model.names,
        "inputs": inputs,
        "threshold": model.threshold,
        "max_instances": state.max_instances,
    }


def _response(
    status: int, payload: dict[str, Any], rid: str, state: State, extra: dict[str, str]
) -> dict[str, Any]:
    body = _encode(payload)
    first = state.first
    if first:
        # After a SnapStart restore this is the first code that runs in this environment alone.
        state.instance_id = os.urandom(8).hex()
        state.first = False
    headers = {
        "content-type": "application/json",
        "x-cold-start": "true" if first and state.init_type not in _AHEAD_OF_TIME else "false",
        "x-init-type": state.init_type,
        "x-instance-id": state.instance_id,
        "x-runtime": state.runtime,
        "x-model-version": state.model.model_version,
        "x-request-id": rid,
    }
    if first:
        if state.init_type == "snap-start":
            # Init ran once, before the snapshot, for every restored environment: its time is
            # not this instance's, and the restore is timed by the platform (Restore Duration).
            headers["x-restore"] = "true"
        else:
            headers["x-init-ms"] = f"{state.init_ms:.3f}"
    headers.update(extra)
    return {"statusCode": status, "headers": headers, "body": body, "isBase64Encoded": False}
