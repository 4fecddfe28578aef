"""Hello world: the smallest Python function answering API Gateway with JSON (``app.handler``).

The baseline the benchmarks compare the real function's init with; the emulator can host it.
"""

from __future__ import annotations

import json


def handler(event: object, context: object) -> dict[str, object]:
    return {
        "statusCode": 200,
        "headers": {"content-type": "application/json"},
        "body": json.dumps({"message": "hello"}),
        "isBase64Encoded": False,
    }
