"""A memory sweep against a deployed function, done as AWS Lambda Power Tuning does it, and
what it will cost before it runs.

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
import json
import math
import signal
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from types import FrameType
from typing import Any, Self

from botocore.exceptions import BotoCoreError, ClientError, WaiterError

from contract import MEMORY_MB_MAX, MEMORY_MB_MIN, billed_duration_ms
from report import Prices, ReportLine, ReportLineError, read_report_lines

from ._sweep_samples import Invocation

__all__ = [
    "SWEEP_ENV",
    "AwsSweepError",
    "AwsSweepEstimate",
    "AwsSweepInterrupted",
    "confirm_aws_sweep",
    "estimate_aws_sweep",
    "sweep_on_aws",
]

#: the environment variable a sweep sets to force new environments (removed when it ends)
SWEEP_ENV = "STUDY_SWEEP_RUN"
#: a configuration update or a new version must be done within this (Power Tuning: minutes)
_WAIT_MAX_S = 300
_CONNECTION_ERRORS = ("EndpointConnectionError", "ConnectionClosedError", "ReadTimeoutError",
                      "ConnectTimeoutError")


class AwsSweepError(Exception):
    """What stopped a sweep on AWS, in one line: what was wrong and what to do."""


class AwsSweepInterrupted(AwsSweepError):
    """SIGINT or SIGTERM stopped the sweep; the function was restored and cleaned up first.

    ``measured`` holds the sizes measured before the signal (complete sizes only).
    """

    def __init__(self, signum: int, measured: dict[int, list[Invocation]] | None = None) -> None:
        name = signal.Signals(signum).name
        super().__init__(f"the sweep was stopped by {name}; the function's configuration was "
                         "restored and the versions and aliases it made were deleted")
        self.signum = signum
        self.measured: dict[int, list[Invocation]] = measured or {}


@dataclass(frozen=True, kw_only=True)
class AwsSweepEstimate:
    """What a sweep on AWS will invoke and cost, before it runs (an upper bound, see
    :func:`estimate_aws_sweep`)."""

    function_name: str
    memory_sizes: tuple[int, ...]
    #: forced cold starts and warm invocations per size
    cold: int
    warm: int
    #: the duration and init duration the estimate starts from, at ``reference_memory_mb``
    expected_duration_ms: float
    expected_init_ms: float
    reference_memory_mb: int
    architecture: str
    #: billed GB-seconds of every invocation of every size (cold ones with their init)
    gb_seconds: float
    lambda_requests_usd: float
    lambda_compute_usd: float
    #: configuration updates, versions and aliases the sweep creates (and deletes)
    configuration_changes: int
    prices_as_of: str

    @property
    def invocations(self) -> int:
        return (self.cold + self.warm) * len(self.memory_sizes)

    @property
    def total_usd(self) -> float:
        return self.lambda_requests_usd + self.lambda_compute_usd

    def lines(self) -> list[str]:
        """What the caller prints before asking."""
        sizes = ", ".join(f"{m:,}" for m in self.memory_sizes)
        return [
            (f"Memory sweep on AWS of {self.function_name}: {len(self.memory_sizes)} sizes "
            f"({sizes} MB) x ({self.cold} cold + {self.warm} warm) = {self.invocations:,} "
            "invocations"),
            (f"  it changes the function's configuration {self.configuration_changes} times "
            "(memory, an environment variable, versions, aliases) and restores it at the end"),
            (f"  expected: {self.expected_duration_ms:,.0f} ms per invocation and "
            f"{self.expected_init_ms:,.0f} ms per init at {self.reference_memory_mb:,} MB, "
            "not falling with more memory and growing in proportion below it"),
            (f"  at most {self.gb_seconds:,.2f} GB-s: ${self.lambda_compute_usd:.4f} compute + "
            f"${self.lambda_requests_usd:.4f} requests = ${self.total_usd:.4f} "
            f"({self.architecture}, list prices of {self.prices_as_of}, free tier ignored)"),
        ]


def estimate_aws_sweep(*, function_name: str, memory_sizes: Sequence[int], cold: int,
                       warm: int, expected_duration_ms: float, expected_init_ms: float = 0.0,
                       reference_memory_mb: int | None = None, architecture: str = "x86_64",
                       parallelism: int = 1, prices: Prices | None = None) -> AwsSweepEstimate:
    """Invocations x sizes x the expected duration, priced per GB-second and per request.

    ``expected_duration_ms`` (and ``expected_init_ms``, billed on each cold start since
    August 2025) are what the function takes at ``reference_memory_mb`` (default: the
    smallest size). The estimate is an upper bound: at a smaller size the duration is taken
    to grow in inverse proportion to memory (a CPU-bound function), at a larger one not to
    fall at all (a function that does not use the CPU it is given).
    """
    sizes = _checked_sizes(memory_sizes)
    _check_counts(cold, warm)
    for label, value in (("expected duration", expected_duration_ms),
                         ("expected init duration", expected_init_ms)):
        if not (math.isfinite(value) and value >= 0):
            raise AwsSweepError(f"{label} {value!r} ms must be a finite number >= 0")
    reference = reference_memory_mb if reference_memory_mb is not None else min(sizes)
    p = prices or Prices()
    try:
        per_gb_s = p.per_gb_second(architecture)
    except ValueError as exc:
        raise AwsSweepError(str(exc)) from None
    gb_s = 0.0
    for size in sizes:
        stretch = max(1.0, reference / size)
        duration_ms, init_ms = expected_duration_ms * stretch, expected_init_ms * stretch
        billed_ms = (cold * billed_duration_ms(duration_ms, init_ms)
                     + warm * billed_duration_ms(duration_ms))
        gb_s += size / 1024.0 * billed_ms / 1000.0
    invocations = (cold + warm) * len(sizes)
    return AwsSweepEstimate(
        function_name=function_name, memory_sizes=sizes, cold=cold, warm=warm,
        expected_duration_ms=expected_duration_ms, expected_init_ms=expected_init_ms,
        reference_memory_mb=reference, architecture=architecture, gb_seconds=gb_s,
        lambda_requests_usd=invocations * p.lambda_request_usd,
        lambda_compute_usd=gb_s * per_gb_s,
        # per size: an update and a version per batch of cold starts (at least one), the
        # alias; then the restore
        configuration_changes=len(sizes) * (2 * max(-(-cold // max(parallelism, 1)), 1) + 1)
        + 1,
        prices_as_of=p.as_of,
    )


def confirm_aws_sweep(estimate: AwsSweepEstimate, *, assume_yes: bool,
                      input_fn: Callable[[str], str] = input,
                      print_fn: Callable[[str], None] = print) -> bool:
    """Print the estimate; True to go on: ``assume_yes`` (``--yes``) or an answer of y/yes.
    No answer (end of input, a closed terminal) is a no."""
    for line in estimate.lines():
        print_fn(line)
    if assume_yes:
        print_fn("  going ahead (--yes)")
        return True
    try:
        answer = input_fn(f"Run it, for about ${estimate.total_usd:.4f}? [y/N] ")
    except EOFError:
        return False
    return answer.strip().lower() in ("y", "yes")


def _checked_sizes(memory_sizes: Sequence[int]) -> tuple[int, ...]:
    sizes = tuple(memory_sizes)
    if not sizes:
        raise AwsSweepError("no memory size to sweep: name at least one (128 to 10,240 MB)")
    bad = [m for m in sizes if isinstance(m, bool) or not isinstance(m, int)
           or not MEMORY_MB_MIN <= m <= MEMORY_MB_MAX]
    if bad:
        raise AwsSweepError(f"memory sizes {bad} are outside Lambda's range: use whole MB from "
                            f"{MEMORY_MB_MIN} to {MEMORY_MB_MAX:,}")
    if len(set(sizes)) != len(sizes):
        raise AwsSweepError(f"memory sizes {list(sizes)} name a size twice: name each once")
    return sizes


def _check_counts(cold: int, warm: int) -> None:
    if cold < 0 or warm < 0 or cold + warm < 1:
        raise AwsSweepError(f"cold {cold} and warm {warm} must be >= 0 with at least one "
                            "invocation per size")


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


def _json_records(tail: str, record_type: str) -> list[dict[str, Any]]:
    """The ``record`` of each JSON platform event of ``record_type`` in a tail (functions whose
    log format is JSON write ``{"type": "platform.report", "record": {...}}`` lines)."""
    records: list[dict[str, Any]] = []
    for line in tail.splitlines():
        if record_type not in line or not line.lstrip().startswith("{"):
            continue
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if (isinstance(event, dict) and event.get("type") == record_type
                and isinstance(event.get("record"), dict)):
            records.append(event["record"])
    return records


def _report_from_json(record: dict[str, Any]) -> ReportLine | None:
    metrics = record.get("metrics")
    if not isinstance(metrics, dict):
        return None
    try:
        status = record.get("status")
        return ReportLine(
            request_id=str(record.get("requestId", "")),
            duration_ms=float(metrics["durationMs"]),
            billed_duration_ms=float(metrics["billedDurationMs"]),
            memory_size_mb=int(metrics["memorySizeMB"]),
            max_memory_used_mb=int(metrics["maxMemoryUsedMB"]),
            init_duration_ms=(float(metrics["initDurationMs"]) if "initDurationMs" in metrics
                              else None),
            restore_duration_ms=(float(metrics["restoreDurationMs"])
                                 if "restoreDurationMs" in metrics else None),
            status=None if status in (None, "success") else str(status),
            error_type=str(record["errorType"]) if record.get("errorType") else None,
        )
    except (KeyError, TypeError, ValueError):
        return None


def _first_report(tail: str) -> ReportLine | None:
    """The REPORT of the tail: a text line, or a JSON ``platform.report`` event."""
    try:
        report = next(iter(read_report_lines(tail.splitlines())), None)
    except ReportLineError:
        report = None
    if report is None:
        for record in _json_records(tail, "platform.report"):
            report = _report_from_json(record)
            if report is not None:
                break
    return report


def _failure_kind(function_error: str | None, payload: bytes, report: ReportLine | None,
                  tail: str) -> str | None:
    """The kind of failure of one invocation that Lambda answered (None: it succeeded)."""
    try:
        answer = json.loads(payload) if payload else None
    except (ValueError, UnicodeDecodeError):
        answer = None
    if function_error is None:
        status = answer.get("statusCode") if isinstance(answer, dict) else None
        if isinstance(status, int) and status >= 500:
            return "http_5xx"
        if isinstance(status, int) and status >= 400:
            return "http_4xx"
        return None
    error_type = str(answer.get("errorType", "")) if isinstance(answer, dict) else ""
    message = str(answer.get("errorMessage", "")) if isinstance(answer, dict) else ""
    report_error = report.error_type if report is not None else None
    if "Runtime.OutOfMemory" in (error_type, report_error):
        return "out_of_memory"
    if (error_type == "Sandbox.Timedout" or "Task timed out" in message
            or (report is not None and report.status == "timeout")):
        return "timeout"
    init_failed = any(line.startswith("INIT_REPORT") and "Status: success" not in line
                      for line in tail.splitlines()) or any(
        record.get("status") not in (None, "success")
        for record in _json_records(tail, "platform.initReport"))
    if init_failed or error_type.startswith(("Runtime.Init", "Runtime.ImportModuleError",
                                             "Runtime.HandlerNotFound")):
        return "init_failure"
    if error_type.startswith("Runtime.") or "Runtime exited" in message:
        return "crash"
    return "function_error"


@dataclass
class _Made:
    """What the sweep created on the function, and so must delete (the cleaner's list)."""

    aliases: list[str] = field(default_factory=list)
    versions: list[str] = field(default_factory=list)
    configuration_changed: bool = False


class _Sweep:
    def __init__(self, *, function_name: str, client: Any, payloads: Sequence[tuple[bytes, float]],
                 parallelism: int, progress: Callable[[str], None]) -> None:
        self.fn = function_name
        self.client = client
        self.bodies = [body for body, _ in payloads]
        self.weights = [float(weight) for _, weight in payloads]
        self.parallelism = parallelism
        self.progress = progress
        self.run = uuid.uuid4().hex[:8]
        self.made = _Made()
        self.original: dict[str, Any] = {}

    def read_original(self) -> None:
        try:
            self.original = self.client.get_function_configuration(FunctionName=self.fn)
        except ClientError as exc:
            raise AwsSweepError(f"cannot read the configuration of {self.fn}: {_said(exc)}; "
                                "check the function name, the region and that your credentials "
                                "allow lambda:GetFunctionConfiguration") from None
        except BotoCoreError as exc:
            raise AwsSweepError(f"cannot reach Lambda to read {self.fn}: {exc}") from None
        if self.original.get("LastUpdateStatus") == "InProgress":
            # The sweep's first update would be refused (ResourceConflictException): wait.
            self._wait("function_updated", "the update already in progress")
            self.original = self.client.get_function_configuration(FunctionName=self.fn)

    @property
    def original_variables(self) -> dict[str, str]:
        variables = (self.original.get("Environment") or {}).get("Variables") or {}
        return {k: v for k, v in variables.items() if k != SWEEP_ENV}

    def _wait(self, waiter_name: str, what: str, **params: Any) -> None:
        try:
            self.client.get_waiter(waiter_name).wait(
                FunctionName=self.fn, WaiterConfig={"Delay": 1, "MaxAttempts": _WAIT_MAX_S},
                **params)
        except WaiterError as exc:
            raise AwsSweepError(f"{what} of {self.fn} did not succeed: {exc}") from None

    def _new_version(self, size: int, alias: str, marker: str) -> str:
        """Configure ``size`` with a new marker, publish, point ``alias`` at the version."""
        variables = {**self.original_variables, SWEEP_ENV: marker}
        self.made.configuration_changed = True
        self.client.update_function_configuration(
            FunctionName=self.fn, MemorySize=size, Environment={"Variables": variables})
        self._wait("function_updated", f"the update to {size} MB")
        version = str(self.client.publish_version(
            FunctionName=self.fn, Description=f"memory sweep {self.run}: {size} MB")["Version"])
        self.made.versions.append(version)
        if alias in self.made.aliases:
            self.client.update_alias(FunctionName=self.fn, Name=alias, FunctionVersion=version)
        else:
            self.client.create_alias(FunctionName=self.fn, Name=alias, FunctionVersion=version,
                                     Description=f"memory sweep {self.run}")
            self.made.aliases.append(alias)
        self._wait("published_version_active", f"version {version}", Qualifier=version)
        return version

    def _delete_version(self, version: str) -> None:
        _ignore_missing(lambda: self.client.delete_function(FunctionName=self.fn,
                                                            Qualifier=version))
        self.made.versions.remove(version)

    def _delete_alias(self, alias: str) -> None:
        _ignore_missing(lambda: self.client.delete_alias(FunctionName=self.fn, Name=alias))
        self.made.aliases.remove(alias)

    def invoke(self, size: int, alias: str, index: int, *, forced_cold: bool) -> Invocation:
        started = time.perf_counter()
        request_id: str | None = None
        try:
            response = self.client.invoke(FunctionName=self.fn, Qualifier=alias,
                                          Payload=self.bodies[index], LogType="Tail")
            payload = response["Payload"].read()
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            request_id = exc.response.get("ResponseMetadata", {}).get("RequestId")
            failure = "throttled" if code == "TooManyRequestsException" else "invoke_error"
            return Invocation(memory_mb=size, forced_cold=forced_cold, cold=False,
                              client_ms=None, duration_ms=None, billed_ms=None, init_ms=None,
                              max_memory_mb=None, failure=failure, request_id=request_id,
                              request_index=index)
        except BotoCoreError as exc:
            failure = ("connection" if type(exc).__name__ in _CONNECTION_ERRORS
                       else "invoke_error")
            return Invocation(memory_mb=size, forced_cold=forced_cold, cold=False,
                              client_ms=None, duration_ms=None, billed_ms=None, init_ms=None,
                              max_memory_mb=None, failure=failure, request_index=index)
        client_ms = (time.perf_counter() - started) * 1000.0
        tail = base64.b64decode(response.get("LogResult") or "").decode("utf-8", "replace")
        report = _first_report(tail)
        return Invocation(
            memory_mb=size,
            forced_cold=forced_cold,
            cold=report is not None and report.cold_start,
            client_ms=client_ms,
            duration_ms=report.duration_ms if report is not None else None,
            billed_ms=int(report.billed_duration_ms) if report is not None else None,
            init_ms=report.init_duration_ms if report is not None else None,
            max_memory_mb=report.max_memory_used_mb if report is not None else None,
            failure=_failure_kind(response.get("FunctionError"), payload, report, tail),
            request_id=response.get("ResponseMetadata", {}).get("RequestId"),
            request_index=index,
        )

    def _invoke_all(self, size: int, alias: str, requests: Sequence[int], *,
                    forced_cold: bool) -> list[Invocation]:
        """Send ``requests`` (indexes into the payloads), ``parallelism`` at a time."""
        if len(requests) == 1 or self.parallelism == 1:
            return [self.invoke(size, alias, r, forced_cold=forced_cold) for r in requests]
        with ThreadPoolExecutor(max_workers=self.parallelism) as pool:
            futures = [pool.submit(self.invoke, size, alias, r, forced_cold=forced_cold)
                       for r in requests]
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
            version = self._new_version(size, alias, f"{self.run}-{size}-{batch}")
            batch += 1
            if previous is not None:
                self._delete_version(previous)  # the alias has moved off it
            first, last = len(measured), min(cold, len(measured) + self.parallelism)
            if last > first:
                self.progress(f"{size} MB: cold start {first + 1}/{cold}" if last == first + 1
                              else f"{size} MB: cold starts {first + 1}-{last}/{cold}")
                measured += self._invoke_all(size, alias, order[first:last], forced_cold=True)
        if warm:
            self.progress(f"{size} MB: {warm} warm invocations, {self.parallelism} at a time")
            measured += self._invoke_all(size, alias, order[cold:], forced_cold=False)
        self._delete_alias(alias)
        self._delete_version(version)
        return measured

    def clean_up(self) -> list[str]:
        """Restore the configuration, delete what the sweep made; what could not be undone."""
        left: list[str] = []
        if self.made.configuration_changed:
            self.progress(f"restoring {self.fn}: {self.original.get('MemorySize')} MB and its "
                          "environment")
            try:
                self._wait("function_updated", "the update in progress")
                self.client.update_function_configuration(
                    FunctionName=self.fn, MemorySize=self.original["MemorySize"],
                    Environment={"Variables": self.original_variables})
                self._wait("function_updated", "the restore")
                self.made.configuration_changed = False
            except (ClientError, BotoCoreError, AwsSweepError) as exc:
                left.append(f"the configuration (restore MemorySize "
                            f"{self.original.get('MemorySize')} and remove {SWEEP_ENV}: {exc})")
        for alias in list(self.made.aliases):
            try:
                self._delete_alias(alias)
            except (ClientError, BotoCoreError) as exc:
                left.append(f"alias {alias} ({_said(exc)})")
        for version in list(self.made.versions):
            try:
                self._delete_version(version)
            except (ClientError, BotoCoreError) as exc:
                left.append(f"version {version} ({_said(exc)})")
        if not left:
            left += self._clean_strays()
        return left

    def _clean_strays(self) -> list[str]:
        """Aliases and versions of this run that a signal kept off the lists (created, but
        interrupted before being noted): found by their name and description."""
        left: list[str] = []
        try:
            aliases = [a["Name"] for page in self.client.get_paginator("list_aliases").paginate(
                FunctionName=self.fn) for a in page.get("Aliases", [])
                if a["Name"].startswith(f"sweep-{self.run}-")]
            for alias in aliases:
                _ignore_missing(lambda a=alias: self.client.delete_alias(  # type: ignore[misc]
                    FunctionName=self.fn, Name=a))
            mine = f"memory sweep {self.run}:"
            versions = [v["Version"] for page in self.client.get_paginator(
                "list_versions_by_function").paginate(FunctionName=self.fn)
                for v in page.get("Versions", [])
                if v["Version"] != "$LATEST" and str(v.get("Description", "")).startswith(mine)]
            for version in versions:
                _ignore_missing(lambda v=version: self.client.delete_function(  # type: ignore[misc]
                    FunctionName=self.fn, Qualifier=v))
        except (ClientError, BotoCoreError) as exc:
            left.append(f"the check for leftovers of run {self.run} ({_said(exc)})")
        return left


def _said(exc: BaseException) -> str:
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        return f"{error.get('Code', 'error')}: {error.get('Message', '')}".rstrip(": ")
    return str(exc)


def _ignore_missing(call: Callable[[], object]) -> None:
    try:
        call()
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
            raise


class _Signalled(BaseException):
    """Raised from a signal handler in the main thread (a BaseException, like
    KeyboardInterrupt, so that no ``except Exception`` on the way swallows it)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class _SignalGuard:
    """SIGINT and SIGTERM while the sweep runs: the first one interrupts it (``_Signalled``,
    raised in the main thread); from then on, and once the clean-up has begun (``hold``), they
    are noted in ``held`` and the clean-up goes on. One handler for both phases, so that no
    signal falls between them to Python's default (a KeyboardInterrupt mid-clean-up). Outside
    the main thread signals cannot be handled: nothing is installed."""

    def __init__(self, progress: Callable[[str], None]) -> None:
        self.progress = progress
        self.holding = False
        self.held: list[int] = []
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> Self:
        if threading.current_thread() is threading.main_thread():
            self._previous = {s: signal.signal(s, self._handle) for s in _SIGNALS}
        return self

    def __exit__(self, *exc: object) -> None:
        for signum, old in self._previous.items():
            signal.signal(signum, old)

    def hold(self) -> None:
        self.holding = True

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.holding:
            self.held.append(signum)
            self.progress(f"{signal.Signals(signum).name}: restoring the function first, "
                          "a few seconds")
            return
        self.holding = True
        raise _Signalled(signum)


def sweep_on_aws(*, function_name: str, memory_sizes: Sequence[int], cold: int, warm: int,
                 payloads: Sequence[tuple[bytes, float]], lambda_client: Any,
                 parallelism: int = 1,
                 progress: Callable[[str], None] | None = None) -> dict[int, list[Invocation]]:
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
    sizes = _checked_sizes(memory_sizes)
    _check_counts(cold, warm)
    if not payloads:
        raise AwsSweepError("no request to send: give at least one payload with its weight")
    if any(not (isinstance(w, int | float) and math.isfinite(w) and w > 0) for _, w in payloads):
        raise AwsSweepError("request weights must be finite numbers > 0")
    if parallelism < 1:
        raise AwsSweepError(f"parallelism {parallelism} must be >= 1")
    say = progress or (lambda _message: None)
    sweep = _Sweep(function_name=function_name, client=lambda_client, payloads=payloads,
                   parallelism=parallelism, progress=say)
    sweep.read_original()
    measured: dict[int, list[Invocation]] = {}
    stopped_by: int | None = None
    failure: AwsSweepError | None = None
    left: list[str] = []
    with _SignalGuard(say) as guard:
        try:
            for size in sizes:
                measured[size] = sweep.measure(size, cold, warm)
        except _Signalled as signalled:
            stopped_by = signalled.signum
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            todo = ("check that your credentials allow lambda:UpdateFunctionConfiguration, "
                    "PublishVersion, CreateAlias, UpdateAlias, DeleteAlias, DeleteFunction, "
                    "ListAliases, ListVersionsByFunction and InvokeFunction on it"
                    if "Denied" in code or "Unauthorized" in code
                    else "nothing of the sweep is left on it; fix that and run it again")
            failure = AwsSweepError(f"Lambda refused {exc.operation_name} in the sweep on "
                                    f"{function_name}: {_said(exc)}; {todo}")
        except BotoCoreError as exc:
            failure = AwsSweepError(f"the sweep on {function_name} lost Lambda: {exc}")
        except AwsSweepError as exc:
            failure = exc
        finally:
            guard.hold()
            left = sweep.clean_up()
    stopped_by = stopped_by or (guard.held[0] if guard.held else None)
    if left:
        raise AwsSweepError(f"the sweep could not undo, on {function_name}: {'; '.join(left)}; "
                            "undo it by hand (aws lambda update-function-configuration / "
                            "delete-alias / delete-function --qualifier)")
    if stopped_by is not None:
        raise AwsSweepInterrupted(stopped_by, measured)
    if failure is not None:
        raise failure
    return measured
