"""A packaged Python function run as Lambda runs it: a clean interpreter with the unpacked
archive as its task root, Lambda's environment, and an API Gateway event on stdin."""

from __future__ import annotations

import glob
import json
import os
import shutil
import subprocess
import textwrap
from pathlib import Path
from typing import Any

from stack import StackSettings, model_env

#: The script the clean interpreter runs (``python -I -c PYTHON_CHECK``): it imports the
#: handler from the task root, as Lambda does, and prints its answer to the event on stdin.
PYTHON_CHECK = textwrap.dedent(
    """
    import json, os, sys
    sys.path.insert(0, os.environ["LAMBDA_TASK_ROOT"])
    import app

    class Context:
        aws_request_id = "req-1"
        function_name = "f"
        memory_limit_in_mb = "512"
        def get_remaining_time_in_millis(self):
            return 30000

    event = json.load(sys.stdin)
    print(json.dumps(app.handler(event, Context())))
    """
)


def predict_event(instances: list[dict[str, Any]]) -> dict[str, Any]:
    body = json.dumps({"instances": instances})
    return {
        "version": "2.0",
        "routeKey": "POST /predict",
        "rawPath": "/predict",
        "rawQueryString": "",
        "headers": {"content-type": "application/json"},
        "requestContext": {
            "http": {"method": "POST", "path": "/predict", "protocol": "HTTP/1.1",
                     "sourceIp": "127.0.0.1", "userAgent": "test"},
            "requestId": "api-1",
            "routeKey": "POST /predict",
            "stage": "$default",
            "timeEpoch": 0,
        },
        "body": body,
        "isBase64Encoded": False,
    }  # fmt: skip


def lambda_env(settings: StackSettings, version: str, task_root: Path, opt: Path) -> dict[str, str]:
    environment = model_env(settings, version, task_root=str(task_root), layer_root=str(opt))
    return {"PATH": os.environ.get("PATH", ""), "LAMBDA_TASK_ROOT": str(task_root), **environment}


def python312() -> str | None:
    """A CPython 3.12 to stand in for Lambda's python3.12 (the venv may be another version)."""
    candidates = [shutil.which("python3.12") or ""]
    candidates += sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.12*/bin/python3.12")))
    for candidate in filter(None, candidates):
        probe = subprocess.run([candidate, "-c", "import sys; print(sys.version_info[:2])"],
                               capture_output=True, text=True, check=False)  # fmt: skip
        if probe.returncode == 0 and probe.stdout.strip() == "(3, 12)":
            return candidate
    return None
