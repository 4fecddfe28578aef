"""The start of an invocation: the invocation made (its trace id, cold or restore), its clock
started with its START line, and the headers of the ``next`` response that hands it over."""

from __future__ import annotations

import asyncio
import time

from .._spec import FunctionSpec
from ..gateway._apigw import trace_id
from ..instance._instance import Invocation
from ..logs._logs import StackLog
from ..logs._report_writer import start_line

__all__ = ["new_invocation", "next_headers", "start_clock"]


def new_invocation(
    request_id: str,
    payload: bytes,
    *,
    cold_start: bool,
    restore: bool = False,
    init_in_invoke: bool = False,
    invoked_arn: str | None,
) -> Invocation:
    """An invocation not handed over yet, its outcome a future of the running loop."""
    return Invocation(
        request_id=request_id,
        payload=payload,
        done=asyncio.get_running_loop().create_future(),
        trace_id=f"{trace_id(time.time())};Sampled=0",
        cold_start=cold_start,
        restore=restore,
        init_in_invoke=init_in_invoke,
        invoked_arn=invoked_arn,
    )


def start_clock(inv: Invocation, spec: FunctionSpec, log: StackLog, *, version: str) -> None:
    """The invocation's clock starts: its Duration's start, its deadline, its START line."""
    inv.started_s = time.perf_counter()
    inv.deadline_ms = int(time.time() * 1000 + spec.timeout_s * 1000)
    log.lines([start_line(inv.request_id, version, log_format=spec.log_format)])


def next_headers(inv: Invocation, function_arn: str) -> dict[str, str]:
    """The headers of the ``next`` response handing ``inv`` over (``function_arn``: the ARN
    it was invoked by when the caller named none)."""
    return {
        "Lambda-Runtime-Aws-Request-Id": inv.request_id,
        "Lambda-Runtime-Deadline-Ms": str(inv.deadline_ms),
        "Lambda-Runtime-Invoked-Function-Arn": inv.invoked_arn or function_arn,
        "Lambda-Runtime-Trace-Id": inv.trace_id,
        "Content-Type": "application/json",
    }
