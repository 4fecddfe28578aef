"""A memory sweep against a deployed function, done as AWS Lambda Power Tuning does it (what
it will cost is :mod:`study.sweep.aws._estimate`'s, worked out before it runs).

For each memory size (after Power Tuning's initializer, executor and cleaner, in our words):

1. set the size with ``UpdateFunctionConfiguration`` and wait until ``LastUpdateStatus`` is
   ``Successful``, publish a version and point the sweep's alias for that size at it;
2. a forced cold start needs a new environment: each batch of ``parallelism`` cold starts
   changes the configuration again (an environment variable, ``STUDY_SWEEP_RUN``, whose value
   names the run, the size and the batch), publishes a new version and moves the alias to it;
   a version nothing has invoked has no environment, so each of the batch's concurrent
   invocations meets a new one (Power Tuning changes the description for the same purpose,
   one version per cold start);
3. the warm invocations follow on the last version (``parallelism`` at a time), each through
   Lambda's Invoke API with ``LogType: Tail``: the REPORT line in the base64 log tail (a text
   line, or a ``platform.report`` event for a function whose log format is JSON) gives
   Duration, Billed Duration, Init Duration and Max Memory Used; ``client_ms`` is the Invoke
   call's round trip as this machine saw it (no API Gateway in the path);
4. the versions and the alias of a size are deleted once it is measured.

Its parts: :mod:`study.sweep.aws._changes` notes and undoes what the sweep changes on the
function, :mod:`study.sweep.aws._tail` reads each Invoke's log tail, and
:mod:`study.sweep.aws._signals` holds SIGINT and SIGTERM off the clean-up.

Whatever happens (an error, SIGINT, SIGTERM), the function's original MemorySize and
environment are restored and every version and alias the sweep created is deleted before
:func:`sweep_on_aws` returns or raises; a signal during the clean-up is held until it is done.

Failures are measurements, not errors of the sweep: an out-of-memory at 128 MB is the answer
for 128 MB. Their kinds: ``out_of_memory``, ``timeout``, ``init_failure``, ``crash`` (the runtime
exited), ``function_error`` (the handler raised), ``http_5xx`` / ``http_4xx`` (an HTTP API
function answered that status), ``throttled``, ``invoke_error`` (Lambda refused the Invoke
call otherwise), ``connection``.
"""

from __future__ import annotations

import base64
import math
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from .._samples import Invocation
from ._changes import FunctionChanges, said
from ._errors import AwsSweepError, AwsSweepInterrupted, check_counts, checked_sizes
from ._signals import SignalGuard, Signalled
from ._tail import failure_kind, first_report

__all__ = ["sweep_on_aws"]

_CONNECTION_ERRORS = (
    "EndpointConnectionError",
    "ConnectionClosedError",
    "ReadTimeoutError",
    "ConnectTimeoutError",
)


def _request_order(weights: Sequence[float], count: int) -> list[int]:
    """Which request each of ``count`` invocations sends: smooth weighted round robin, so any
    stretch of the sequence holds the requests in their weights' proportions, the same at
    every size."""
    total = sum(weights)
    current = [0.0] * len(weights)
    order: list[int] = []
    for _ in range(count):
        for i, weight in enumerate(weights):
            current[i] += weight
        chosen = max(range(len(weights)), key=lambda i: current[i])
        current[chosen] -= total
        order.append(chosen)
    return order


class _Sweep:
    """The measuring: each size's invocations, sent through the function's ``changes`` (which
    make and note the versions and the alias they go to)."""

    def __init__(
        self,
        *,
        changes: FunctionChanges,
        payloads: Sequence[tuple[bytes, float]],
        parallelism: int,
        progress: Callable[[str], None],
    ) -> None:
        self.changes = changes
        self.fn = changes.fn
        self.client = changes.client
        self.run = changes.run
        self.bodies = [body for body, _ in payloads]
        self.weights = [float(weight) for _, weight in payloads]
        self.parallelism = parallelism
        self.progress = progress

    def invoke(self, size: int, alias: str, index: int, *, forced_cold: bool) -> Invocation:
        started = time.perf_counter()
        request_id: str | None = None
        try:
            response = self.client.invoke(
                FunctionName=self.fn, Qualifier=alias, Payload=self.bodies[index], LogType="Tail"
            )
            payload = response["Payload"].read()
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            request_id = exc.response.get("ResponseMetadata", {}).get("RequestId")
            failure = "throttled" if code == "TooManyRequestsException" else "invoke_error"
            return Invocation(
                memory_mb=size,
                forced_cold=forced_cold,
                cold=False,
                client_ms=None,
                duration_ms=None,
                billed_ms=None,
                init_ms=None,
                max_memory_mb=None,
                failure=failure,
                request_id=request_id,
                request_index=index,
            )
        except BotoCoreError as exc:
            failure = "connection" if type(exc).__name__ in _CONNECTION_ERRORS else "invoke_error"
            return Invocation(
                memory_mb=size,
                forced_cold=forced_cold,
                cold=False,
                client_ms=None,
                duration_ms=None,
                billed_ms=None,
                init_ms=None,
                max_memory_mb=None,
                failure=failure,
                request_index=index,
            )
        client_ms = (time.perf_counter() - started) * 1000.0
        tail = base64.b64decode(response.get("LogResult") or "").decode("utf-8", "replace")
        report = first_report(tail)
        return Invocation(
            memory_mb=size,
            forced_cold=forced_cold,
            cold=report is not None and report.cold_start,
            client_ms=client_ms,
            duration_ms=report.duration_ms if report is not None else None,
            billed_ms=int(report.billed_duration_ms) if report is not None else None,
            init_ms=report.init_duration_ms if report is not None else None,
            max_memory_mb=report.max_memory_used_mb if report is not None else None,
            failure=failure_kind(response.get("FunctionError"), payload, report, tail),
            request_id=response.get("ResponseMetadata", {}).get("RequestId"),
            request_index=index,
        )

    def _invoke_all(
        self, size: int, alias: str, requests: Sequence[int], *, forced_cold: bool
    ) -> list[Invocation]:
        """Send ``requests`` (indexes into the payloads), ``parallelism`` at a time."""
        if len(requests) == 1 or self.parallelism == 1:
            return [self.invoke(size, alias, r, forced_cold=forced_cold) for r in requests]
        with ThreadPoolExecutor(max_workers=self.parallelism) as pool:
            futures = [
                pool.submit(self.invoke, size, alias, r, forced_cold=forced_cold) for r in requests
            ]
            try:
                return [f.result() for f in futures]
            except BaseException:
                for future in futures:
                    future.cancel()
                raise

    def measure(self, size: int, cold: int, warm: int) -> list[Invocation]:
        alias = f"sweep-{self.run}-{size}"
        order = _request_order(self.weights, cold + warm)
        measured: list[Invocation] = []
        version: str | None = None
        batch = 0
        # Forced cold starts come in batches of `parallelism`, each on a version of its own:
        # a version no invocation has met has no environment yet, so each of a batch's
        # concurrent invocations starts one.
        while len(measured) < cold or version is None:
            previous = version
            version = self.changes.new_version(size, alias, f"{self.run}-{size}-{batch}")
            batch += 1
            if previous is not None:
                self.changes.delete_version(previous)  # the alias has moved off it
            first, last = len(measured), min(cold, len(measured) + self.parallelism)
            if last > first:
                self.progress(
                    f"{size} MB: cold start {first + 1}/{cold}"
                    if last == first + 1
                    else f"{size} MB: cold starts {first + 1}-{last}/{cold}"
                )
                measured += self._invoke_all(size, alias, order[first:last], forced_cold=True)
        if warm:
            self.progress(f"{size} MB: {warm} warm invocations, {self.parallelism} at a time")
            measured += self._invoke_all(size, alias, order[cold:], forced_cold=False)
        self.changes.delete_alias(alias)
        self.changes.delete_version(version)
        return measured


def sweep_on_aws(
    *,
    function_name: str,
    memory_sizes: Sequence[int],
    cold: int,
    warm: int,
    payloads: Sequence[tuple[bytes, float]],
    lambda_client: Any,
    parallelism: int = 1,
    progress: Callable[[str], None] | None = None,
) -> dict[int, list[Invocation]]:
    """Measure ``function_name`` at each memory size: ``cold`` forced cold starts, then ``warm``
    invocations, each sending one of ``payloads`` (the Invoke payload, its weight) in the
    weights' proportions; ``parallelism`` invocations at a time (cold ones in batches of it,
    one version per batch). Returns every invocation per size, in the order sent (cold ones
    first).

    ``lambda_client`` is boto3's ``lambda`` client for the function's region (or the emulator's
    Lambda API: ``endpoint_url``); give it retries off (``max_attempts`` 1: a retried Invoke is
    a second invocation, and a retried throttle hides one) and a read timeout above the
    function's timeout (else a long invocation is recorded as ``connection``).

    The function is restored and everything the sweep made is deleted before this returns or
    raises (the module doc). Raises :class:`AwsSweepError` (one line: what was wrong, what to
    do), :class:`AwsSweepInterrupted` on SIGINT or SIGTERM.
    """
    sizes = checked_sizes(memory_sizes)
    check_counts(cold, warm)
    if not payloads:
        raise AwsSweepError("no request to send: give at least one payload with its weight")
    if any(not (isinstance(w, int | float) and math.isfinite(w) and w > 0) for _, w in payloads):
        raise AwsSweepError("request weights must be finite numbers > 0")
    if parallelism < 1:
        raise AwsSweepError(f"parallelism {parallelism} must be >= 1")
    say = progress or (lambda _message: None)
    changes = FunctionChanges(function_name=function_name, client=lambda_client, progress=say)
    sweep = _Sweep(changes=changes, payloads=payloads, parallelism=parallelism, progress=say)
    changes.read_original()
    measured: dict[int, list[Invocation]] = {}
    stopped_by: int | None = None
    failure: AwsSweepError | None = None
    left: list[str] = []
    with SignalGuard(say) as guard:
        try:
            for size in sizes:
                measured[size] = sweep.measure(size, cold, warm)
        except Signalled as signalled:
            stopped_by = signalled.signum
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            todo = (
                "check that your credentials allow lambda:UpdateFunctionConfiguration, "
                "PublishVersion, CreateAlias, UpdateAlias, DeleteAlias, DeleteFunction, "
                "ListAliases, ListVersionsByFunction and InvokeFunction on it"
                if "Denied" in code or "Unauthorized" in code
                else "nothing of the sweep is left on it; fix that and run it again"
            )
            failure = AwsSweepError(
                f"Lambda refused {exc.operation_name} in the sweep on "
                f"{function_name}: {said(exc)}; {todo}"
            )
        except BotoCoreError as exc:
            failure = AwsSweepError(f"the sweep on {function_name} lost Lambda: {exc}")
        except AwsSweepError as exc:
            failure = exc
        finally:
            guard.hold()
            left = changes.clean_up()
    stopped_by = stopped_by or (guard.held[0] if guard.held else None)
    if left:
        raise AwsSweepError(
            f"the sweep could not undo, on {function_name}: {'; '.join(left)}; "
            "undo it by hand (aws lambda update-function-configuration / "
            "delete-alias / delete-function --qualifier)"
        )
    if stopped_by is not None:
        raise AwsSweepInterrupted(stopped_by, measured)
    if failure is not None:
        raise failure
    return measured
