"""Completing a stack's settings: what derives from other settings when the stack file leaves
it out (runtime and handler from the language, the kinds' and mitigations' defaults), and the
warnings about valid settings a user probably did not mean."""

from __future__ import annotations

from typing import Any

from contract import API_GATEWAY_TIMEOUT_S, DEFAULT_RUNTIMES, HANDLERS, WORKER_HANDLER
from stack._limits import DEFAULT_PING_INTERVAL_MINUTES, DEFAULT_VERSIONS_KEPT, DEFAULT_WORKERS_MAX
from stack._schema import setting_key


def complete(values: dict[str, Any]) -> None:
    """Fill in what derives from other settings (in place; unknown languages left alone)."""
    function = values.get("kind") == "function"
    language = values.get("language")
    runtime = values.get("runtime")
    if function and not language and isinstance(runtime, str):
        # A function stack names its runtime; its language follows from it.
        language = values["language"] = "java" if runtime.startswith("java") else "python"
    if isinstance(language, str) and language in HANDLERS:
        if not values.get("runtime"):
            values["runtime"] = DEFAULT_RUNTIMES[language]
        if not function and not values.get("handler"):
            values["handler"] = HANDLERS[language]
    if function and not values.get("routes"):
        values["routes"] = "$default"
    worker = values.get("kind") == "loadgen-worker"
    if worker and values.get("handler") in (None, "", HANDLERS.get(str(language))):
        values["handler"] = WORKER_HANDLER
        if values.get("workers_max") is None:
            values["workers_max"] = DEFAULT_WORKERS_MAX
    if (
        values.get("cold_start_mitigation") == "ping"
        and values.get("ping_interval_minutes") is None
    ):
        values["ping_interval_minutes"] = DEFAULT_PING_INTERVAL_MINUTES
    if (
        values.get("cold_start_mitigation") in ("provisioned", "snapstart")
        and values.get("versions_kept") is None
    ):
        values["versions_kept"] = DEFAULT_VERSIONS_KEPT
    warnings = []
    timeout_s = values.get("timeout_s")
    if isinstance(timeout_s, int) and timeout_s > API_GATEWAY_TIMEOUT_S and not worker:
        warnings.append(
            f"{setting_key('timeout_s')} is {timeout_s} s but API Gateway stops waiting after "
            f"{API_GATEWAY_TIMEOUT_S} s: HTTP callers get an error while the function runs on"
        )
    values["warnings"] = tuple(warnings)
