"""Where the files of a run live and what they are called (docs/results.md).

Every part that writes or reads a results folder, an emulator's logs or ``endpoints.json``
takes the names from here, so that a renamed file is renamed once::

    results/<run-id>/<target>/<scenario>/   run_folder(results, run_id, target, scenario)
        run.json  requests.jsonl  latency.hlog  timeline.csv  summary.json
    results/<run-id>/logs/<stack>.log       log_path(logs, stack)
        <stack>.access.jsonl  <stack>.cpu.jsonl  <stack>.events.jsonl
    results/<run-id>/endpoints.json         ENDPOINTS
"""

from __future__ import annotations

import time
from pathlib import Path

__all__ = [
    "ACCESS_LOG_SUFFIX",
    "CPU_SAMPLES_SUFFIX",
    "ENDPOINTS",
    "EVENTS_SUFFIX",
    "LATENCY_HLOG",
    "LOGS",
    "LOG_SUFFIX",
    "REQUESTS",
    "RESULT_FILES",
    "RUN_INFO",
    "SUMMARY",
    "TIMELINE",
    "access_log_path",
    "cpu_samples_path",
    "events_path",
    "log_path",
    "new_run_id",
    "run_folder",
]

#: One line per attempted request.
REQUESTS = "requests.jsonl"
#: The HdrHistogram interval log, one interval per second.
LATENCY_HLOG = "latency.hlog"
#: One row per second.
TIMELINE = "timeline.csv"
#: What was run, where, how, on what machine.
RUN_INFO = "run.json"
#: Totals, percentiles and the generator's self-check.
SUMMARY = "summary.json"
#: The files of a result folder, in the order the engine creates them.
RESULT_FILES = (REQUESTS, LATENCY_HLOG, TIMELINE, RUN_INFO, SUMMARY)
#: The folder of a run (``results/<run-id>/logs``) that keeps the stacks' server logs.
LOGS = "logs"
#: The emulator's stacks and where each one listens (docs/results.md, "endpoints.json").
ENDPOINTS = "endpoints.json"
#: A stack's CloudWatch-format log: ``<stack>.log``.
LOG_SUFFIX = ".log"
#: A stack's API Gateway access log beside it: ``<stack>.access.jsonl``.
ACCESS_LOG_SUFFIX = ".access.jsonl"
#: A stack's instances' CPU samples beside it: ``<stack>.cpu.jsonl``.
CPU_SAMPLES_SUFFIX = ".cpu.jsonl"
#: A stack's instances' lifecycle events beside it: ``<stack>.events.jsonl``.
EVENTS_SUFFIX = ".events.jsonl"


def new_run_id(*, prefix: str = "", epoch_s: float | None = None) -> str:
    """The default run id: ``prefix`` and the UTC time ``YYYYMMDDTHHMMSSZ`` (now, or at
    ``epoch_s``); a memory sweep's is ``sweep-YYYYMMDDTHHMMSSZ``."""
    return prefix + time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(epoch_s))


def run_folder(results_dir: Path, run_id: str, target: str, scenario: str) -> Path:
    """The result folder of one scenario run against one target."""
    return results_dir / run_id / target / scenario


def log_path(log_dir: Path, stack: str) -> Path:
    """The CloudWatch-format log of ``stack`` in ``log_dir``."""
    return log_dir / f"{stack}{LOG_SUFFIX}"


def access_log_path(log_dir: Path, stack: str) -> Path:
    """The API Gateway access log of ``stack`` (API Gateway's request id → Lambda's)."""
    return log_dir / f"{stack}{ACCESS_LOG_SUFFIX}"


def cpu_samples_path(log_dir: Path, stack: str) -> Path:
    """The CPU samples of ``stack``'s instances (one JSON line per sample)."""
    return log_dir / f"{stack}{CPU_SAMPLES_SUFFIX}"


def events_path(log_dir: Path, stack: str) -> Path:
    """The lifecycle events of ``stack``'s instances (cold starts, ends; one JSON line each)."""
    return log_dir / f"{stack}{EVENTS_SUFFIX}"
