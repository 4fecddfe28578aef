"""An ONNX model behind a Lambda handler: the session is created once, at import (the cold
start pays for it), and each request's feature rows are scored in one run."""

import json
import os

import numpy as np
import onnxruntime

SESSION = onnxruntime.InferenceSession(
    os.path.join(os.path.dirname(__file__), "model.onnx"), providers=["CPUExecutionProvider"]
)
INPUT = SESSION.get_inputs()[0]
N_FEATURES = int(INPUT.shape[1])


def _answer(status, document):
    return {
        "statusCode": status,
        "headers": {"content-type": "application/json"},
        "body": json.dumps(document),
    }


def handler(event, context):
    try:
        body = json.loads(event.get("body") or "{}")
    except ValueError:
        return _answer(400, {"error": "the body is not JSON"})
    rows = body.get("rows") if isinstance(body, dict) else None
    if (
        not isinstance(rows, list)
        or not rows
        or not all(isinstance(r, list) and len(r) == N_FEATURES for r in rows)
    ):
        return _answer(400, {"error": f'send {{"rows": [[{N_FEATURES} numbers], ...]}}'})
    try:
        features = np.asarray(rows, dtype=np.float32)
    except (TypeError, ValueError):
        return _answer(400, {"error": "rows must hold numbers"})
    (probabilities,) = SESSION.run(None, {INPUT.name: features})
    return _answer(200, {"probabilities": [round(float(p), 6) for p in probabilities[:, 0]]})
