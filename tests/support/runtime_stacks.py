"""Synthetic stacks for the report's model-runtime tests: each one's settings, result records and
the REPORT lines its log holds (scenario 1 alone)."""

from __future__ import annotations

from typing import Any

MB = 1024 * 1024

# (latency ms, error, request id)
Rec = tuple[float, str | None, str]


def model_settings(runtime: str, memory_mb: int) -> dict[str, Any]:
    return {
        "language": "python",
        "memory_mb": memory_mb,
        "architecture": "x86_64",
        "model_strategy": "bundled",
        "cold_start_mitigation": "none",
        "model_runtime": runtime,
    }


def report_line(
    request_id: str,
    memory_mb: int,
    *,
    used_mb: int = 40,
    init_ms: float | None = None,
    tail: str = "",
) -> str:
    init = f"Init Duration: {init_ms:.2f} ms\t" if init_ms is not None else ""
    return (
        f"REPORT RequestId: {request_id}\tDuration: 2.00 ms\tBilled Duration: 2 ms\t"
        f"Memory Size: {memory_mb} MB\tMax Memory Used: {used_mb} MB\t{init}{tail}\n"
    )


STACKS: dict[str, dict[str, Any]] = {
    "python-512": {
        "settings": model_settings("artifact", 512),
        "source": "pulumi",
        "package": None,
        "records": [(150.0, None, "a1"), (12.0, None, "a2"), (14.0, None, "a3")],
        "log": [
            report_line("a1", 512, init_ms=40.0),
            report_line("a2", 512),
            report_line("a3", 512),
        ],
    },
    "python-litert-512": {
        "settings": model_settings("litert", 512),
        "source": "emulator",
        "package": {
            "kind": "zip",
            "code_bytes": 23 * MB,
            "unzipped_bytes": 74 * MB,
            "layer_bytes": 0,
            "model_runtime": "litert",
        },
        "records": [(600.0, None, "l1"), (15.0, None, "l2"), (16.0, None, "l3")],
        "log": [
            report_line("l1", 512, used_mb=90, init_ms=420.0),
            report_line("l2", 512, used_mb=91),
            report_line("l3", 512, used_mb=91),
        ],
    },
    "python-onnx-512": {
        "settings": model_settings("onnx", 512),
        "source": "emulator",
        "package": {
            "kind": "zip",
            "code_bytes": 27 * MB,
            "unzipped_bytes": 81 * MB,
            "layer_bytes": 0,
            "model_runtime": "onnx",
        },
        "records": [(350.0, None, "o1"), (13.0, None, "o2"), (14.0, None, "o3")],
        "log": [
            report_line("o1", 512, used_mb=70, init_ms=180.0),
            report_line("o2", 512, used_mb=71),
            report_line("o3", 512, used_mb=71),
        ],
    },
    "python-tf-256": {
        "settings": model_settings("tensorflow", 256),
        "source": "emulator",
        "package": {
            "kind": "image",
            "code_bytes": 40_000,
            "unzipped_bytes": 2 * MB,
            "layer_bytes": 0,
            "model_runtime": "tensorflow",
            "requirements": ["tensorflow-cpu==2.21.0"],
        },
        # first: killed out of memory in init; second: init over 10 s, retried in the invocation,
        # which timed out too; third: out of memory in the invocation; fourth: served
        "records": [
            (9000.0, "http_status", "t1"),
            (30000.0, "http_status", "t2"),
            (700.0, "http_status", "t3"),
            (9500.0, None, "t4"),
        ],
        "log": [
            (
                "INIT_REPORT Init Duration: 8800.10 ms\tPhase: init\tStatus: error\tError Type: "
                "Runtime.OutOfMemory\n"
            ),
            "INIT_REPORT Init Duration: 10000.02 ms\tPhase: init\tStatus: timeout\n",
            "START RequestId: t2 Version: $LATEST\n",
            "2026-12-01T10:00:00.000Z t2 Task timed out after 30.00 seconds\n",
            "INIT_REPORT Init Duration: 30000.50 ms\tPhase: invoke\tStatus: timeout\n",
            "END RequestId: t2\n",
            report_line("t2", 256, used_mb=250, tail="Status: timeout\t"),
            "RequestId: t3 Error: Runtime exited with error: signal: killed\n",
            "Runtime.OutOfMemory\n",
            report_line(
                "t3", 256, used_mb=256, tail="Status: error\tError Type: Runtime.OutOfMemory\t"
            ),
            report_line("t4", 256, used_mb=240, init_ms=9100.0),
        ],
    },
}
