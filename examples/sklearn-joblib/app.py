"""A scikit-learn model behind a Lambda handler, written the way most public examples are:
the model is loaded with joblib once, at import (the cold start pays for it), and the handler
scores the features each request sends."""

import json
import os

import joblib

MODEL = joblib.load(os.path.join(os.path.dirname(__file__), "model.joblib"))
N_FEATURES = int(MODEL.n_features_in_)


def _answer(status, document):
    return {
        "statusCode": status,
        "headers": {"content-type": "application/json"},
        "body": json.dumps(document),
    }


def lambda_handler(event, context):
    try:
        body = json.loads(event.get("body") or "{}")
    except ValueError:
        return _answer(400, {"error": "the body is not JSON"})
    features = body.get("features") if isinstance(body, dict) else None
    if (
        not isinstance(features, list)
        or len(features) != N_FEATURES
        or not all(isinstance(x, (int, float)) for x in features)
    ):
        return _answer(400, {"error": f'send {{"features": [{N_FEATURES} numbers]}}'})
    probability = MODEL.predict_proba([features])[0]
    label = int(probability.argmax())
    return _answer(200, {"prediction": label, "probability": round(float(probability[label]), 6)})
