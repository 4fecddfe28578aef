"""The repository and the folders and files the tests read."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TESTS = REPO / "tests"
PYTHON_RUNTIME = REPO / "runtime" / "python"
JAVA_RUNTIME = REPO / "runtime" / "java"
#: Recorded API Gateway HTTP API events (payload 2.0).
EVENTS_DIR = TESTS / "events"
#: Test vectors computed by the trained TensorFlow model (``python -m model vectors``).
VECTORS_DIR = TESTS / "vectors"
#: The vectors of the http subset's model, the model most tests serve.
HTTP_VECTORS = VECTORS_DIR / "http.json"
#: The contract as data (tests/contract/test_contract.py reads it too).
CASES_FILE = TESTS / "contract" / "cases.json"
