"""The runtime tests' helpers: artifacts, events, the Python function in-process, the Java
function behind one long-lived harness JVM per configuration, and a common ``invoke`` for both.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import importlib
import io
import json
import os
import queue
import shutil
import subprocess
import sys
import threading
import time
import types
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

import pytest

from .paths import PYTHON_RUNTIME, TESTS, VECTORS_DIR

#: The hand-written fixture models (model_http.json, model_mixed.json).
FIXTURE_MODELS = TESTS / "runtime"
HARNESS_TIMEOUT_S = 60.0


def load_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def fixture_model(name: str = "model_mixed.json") -> dict[str, Any]:
    """A hand-written model (tests/runtime/model_http.json or model_mixed.json)."""
    return dict(load_json(FIXTURE_MODELS / name))


def model_version_of(model: Mapping[str, Any]) -> str:
    """docs/model-artifact.md: SHA-256 of the canonical JSON without model_version, 12 hex."""
    body = {k: v for k, v in model.items() if k != "model_version"}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:12]


def artifact_bytes(model: Mapping[str, Any]) -> bytes:
    """The artifact zip of docs/model-artifact.md: one DEFLATEd model.json, fixed timestamp."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        info = zipfile.ZipInfo("model.json", date_time=(1980, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o100644 << 16
        archive.writestr(info, json.dumps(model, sort_keys=True, separators=(",", ":")))
    return buffer.getvalue()


def write_artifact(path: Path, model: Mapping[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(artifact_bytes(model))
    return path


def vector_files() -> list[Path]:
    return sorted(VECTORS_DIR.glob("*.json"))


def event(
    method: str = "POST",
    path: str = "/predict",
    body: str | None = None,
    *,
    base64: bool = False,
    request_id: str = "apigw-req-1",
) -> dict[str, Any]:
    """A minimal API Gateway HTTP API payload 2.0 event."""
    evt: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {"content-type": "application/json"},
        "requestContext": {
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "192.0.2.10",
                "userAgent": "pytest",
            },
            "requestId": request_id,
            "routeKey": "$default",
            "stage": "$default",
        },
        "isBase64Encoded": base64,
    }
    if body is not None:
        evt["body"] = body
    return evt


class Function(Protocol):
    runtime: str

    def invoke(self, event: Any, request_id: str | None = None) -> dict[str, Any]: ...

    def restore(self, event: Any, invocations: int) -> list[dict[str, Any]]: ...


def import_python_runtime(model_path: Path) -> types.ModuleType:
    """Import runtime/python's app once (its init reads MODEL_PATH at import)."""
    if "app" in sys.modules and getattr(sys.modules["app"], "__file__", "").startswith(
        str(PYTHON_RUNTIME)
    ):
        return sys.modules["app"]
    if str(PYTHON_RUNTIME) not in sys.path:
        sys.path.insert(0, str(PYTHON_RUNTIME))
    previous = os.environ.get("MODEL_PATH")
    os.environ["MODEL_PATH"] = str(model_path)
    try:
        return importlib.import_module("app")
    finally:
        if previous is None:
            del os.environ["MODEL_PATH"]
        else:
            os.environ["MODEL_PATH"] = previous


class PythonFunction:
    """The Python function in this process, initialised by app's own ``_init``."""

    runtime = "python"

    def __init__(self, app: types.ModuleType, env: Mapping[str, str]) -> None:
        self._http_api = sys.modules["_http_api"]
        self.state = app._init(dict(env), time.perf_counter())
        # The state right after init, before any invocation: what a SnapStart snapshot holds.
        self._snapshot = copy.copy(self.state)

    def restore(self, event: Any, invocations: int) -> list[dict[str, Any]]:
        """A new environment restored from the snapshot, serving ``event`` that many times.

        A shallow copy is what restoring a memory snapshot gives: every field as it was.
        """
        restored = copy.copy(self._snapshot)
        return [
            dict(json.loads(json.dumps(self._http_api.handle(event, None, restored))))
            for _ in range(invocations)
        ]

    def invoke(self, event: Any, request_id: str | None = None) -> dict[str, Any]:
        context = types.SimpleNamespace(aws_request_id=request_id) if request_id else None
        response: dict[str, Any] = self._http_api.handle(event, context, self.state)
        # What the runtime client does with the return value: it must be JSON-serialisable.
        return dict(json.loads(json.dumps(response)))


class HarnessError(Exception):
    pass


class JavaHarness:
    """One JVM running predictor.Harness: a JSON command per line in, an answer per line out."""

    runtime = "java"

    def __init__(self, classpath: str, env: Mapping[str, str]) -> None:
        java = shutil.which("java")
        assert java, "java missing although javac was found"
        self._process = subprocess.Popen(
            [java, "-XX:+UseSerialGC", "-Xss4m", "-cp", classpath, "predictor.Harness"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={**os.environ, **env},
            text=True,
            encoding="utf-8",
            bufsize=1,
        )
        self._lines: queue.Queue[str | None] = queue.Queue()
        self.stderr: list[str] = []
        self._threads = [
            threading.Thread(target=self._pump, daemon=True),
            threading.Thread(target=self._pump_stderr, daemon=True),
        ]
        for thread in self._threads:
            thread.start()
        self.ready = json.loads(self._read_line())

    def _pump(self) -> None:
        assert self._process.stdout is not None
        for line in self._process.stdout:
            self._lines.put(line)
        self._lines.put(None)

    def _pump_stderr(self) -> None:
        assert self._process.stderr is not None
        for line in self._process.stderr:
            self.stderr.append(line)

    def _read_line(self) -> str:
        try:
            line = self._lines.get(timeout=HARNESS_TIMEOUT_S)
        except queue.Empty:
            self.close()
            raise HarnessError(
                f"the Java harness did not answer in {HARNESS_TIMEOUT_S} s"
            ) from None
        if line is None:
            raise HarnessError("the Java harness exited: " + "".join(self.stderr[-20:]))
        return line

    def request_raw(self, command: Mapping[str, Any]) -> str:
        """The answer line as the harness wrote it (without the newline)."""
        assert self._process.stdin is not None
        self._process.stdin.write(json.dumps(command) + "\n")
        self._process.stdin.flush()
        return self._read_line().rstrip("\n")

    def request(self, command: Mapping[str, Any]) -> dict[str, Any]:
        answer = json.loads(self.request_raw(command))
        if "harness_error" in answer:
            raise HarnessError(answer["harness_error"])
        return dict(answer)

    def restore(self, event: Any, invocations: int) -> list[dict[str, Any]]:
        """A new environment restored from the state the handler had right after init."""
        answer = self.request({"op": "restore", "event": event, "invocations": invocations})
        return [dict(r) for r in answer["responses"]]

    def invoke(self, event: Any, request_id: str | None = None) -> dict[str, Any]:
        command: dict[str, Any] = {"op": "invoke", "event": event}
        if request_id:
            command["request_id"] = request_id
        return self.request(command)

    def close(self) -> None:
        if self._process.poll() is None:
            try:
                assert self._process.stdin is not None
                self._process.stdin.write('{"op":"quit"}\n')
                self._process.stdin.flush()
                self._process.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                self._process.kill()
                self._process.wait(timeout=10)
        for thread in self._threads:
            thread.join(timeout=10)
        for stream in (self._process.stdin, self._process.stdout, self._process.stderr):
            if stream is not None:
                try:
                    stream.close()
                except BrokenPipeError:
                    # A JVM that exited (a failed init) while "quit" was being written leaves
                    # it in stdin's buffer; close() flushes it again into the dead pipe.
                    pass


class Functions:
    """Both runtimes, one instance per (runtime, artifact, environment), reused per session."""

    def __init__(self, app: types.ModuleType, classpath_of: Any) -> None:
        self._app = app
        self._classpath_of = classpath_of
        self._cache: dict[tuple[str, tuple[tuple[str, str], ...]], Function] = {}
        self._harnesses: list[JavaHarness] = []

    def get(self, runtime: str, artifact: Path, **env: str) -> Function:
        full = {"MODEL_PATH": str(artifact), **env}
        key = (runtime, tuple(sorted(full.items())))
        if key not in self._cache:
            if runtime == "python":
                self._cache[key] = PythonFunction(self._app, full)
            else:
                harness = JavaHarness(self._classpath_of(), full)
                self._harnesses.append(harness)
                if not harness.ready.get("ready"):
                    raise HarnessError(f"Java init failed: {harness.ready}")
                self._cache[key] = harness
        return self._cache[key]

    def fresh(self, runtime: str, artifact: Path, **env: str) -> Function:
        """A new instance (cold), not cached."""
        full = {"MODEL_PATH": str(artifact), **env}
        if runtime == "python":
            return PythonFunction(self._app, full)
        harness = JavaHarness(self._classpath_of(), full)
        self._harnesses.append(harness)
        return harness

    def close(self) -> None:
        for harness in self._harnesses:
            harness.close()


RUNTIMES = [
    pytest.param("python", id="python"),
    pytest.param("java", id="java", marks=pytest.mark.java),
]


def body_of(response: Mapping[str, Any]) -> Any:
    return json.loads(response["body"])


def error_code(response: Mapping[str, Any]) -> str | None:
    body = body_of(response)
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        return str(body["error"]["code"])
    return None


def body_text(case: dict[str, Any]) -> str | None:
    """The body a case of tests/contract/cases.json sends, before any base64."""
    if "deep_array" in case:
        depth: int = case["deep_array"]
        return "[" * depth + "]" * depth
    if "json" in case:
        value = case["json"]
        if "repeat_instances" in case:
            value = {**value, "instances": value["instances"][:1] * case["repeat_instances"]}
        return json.dumps(value, separators=(",", ":"))
    body: str | None = case.get("body")
    return body


def build_event(case: dict[str, Any]) -> dict[str, Any]:
    """The API Gateway event of a case of tests/contract/cases.json."""
    text = body_text(case)
    if "pad_to_bytes" in case:
        assert text is not None
        pad = case.get("pad_with", " ")
        size = len(text.encode("utf-8"))
        unit = len(pad.encode("utf-8"))
        text += pad * ((case["pad_to_bytes"] - size) // unit)
        text += " " * (case["pad_to_bytes"] - len(text.encode("utf-8")))
        assert len(text.encode("utf-8")) == case["pad_to_bytes"]
    encoded = False
    if "base64_raw" in case:
        text, encoded = case["base64_raw"], True
    elif "base64_bytes_hex" in case:
        text = base64.b64encode(bytes.fromhex(case["base64_bytes_hex"])).decode("ascii")
        encoded = True
    elif case.get("base64"):
        assert text is not None
        text = base64.b64encode(text.encode("utf-8")).decode("ascii")
        encoded = True
    return event(case.get("method", "POST"), case.get("path", "/predict"), text, base64=encoded)
