"""The local backend of a memory sweep: every size hosted by the emulator as ``<stack>@<MB>``.

Sizes run one after the other, so that none shares the host's CPUs with another. Per size:

- **cold**: N requests, each after the emulator reclaimed the size's idle instances (its
  ``reclaim_idle`` control call, what its keep-alive does after 10 idle minutes) and their
  processes exited: each meets a new instance, with nothing else running;
- **warm**: M requests, in series (``parallelism`` 1) or from P concurrent clients. With P > 1
  the first requests may meet new instances too: those are counted as unforced cold starts
  (``Invocation.cold``) and kept out of the warm figures by the analysis.

Each request's answer carries ``x-request-id``, the Lambda request id of the REPORT line the
emulator writes to ``<log_dir>/<variant>.log``; the lines are read with the report's parser and
joined to the client's records by it.

A size whose CPU share (memory / 1,769 MB per vCPU) exceeds the CPUs this process may use is
not run: the emulator cannot give it, and a silently capped size would be measured wrong.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from contract import COLD_START_HEADER, MB_PER_VCPU, PREDICT_PATH, REQUEST_ID_HEADER
from emulator import StaticCredentials
from report import ReportLine, read_init_reports, read_report_lines

from ._samples import Invocation


@dataclass(frozen=True, kw_only=True)
class SweepRequest:
    """One of the user's sample requests, sent with probability proportional to ``weight``."""

    body: bytes
    weight: float = 1.0
    method: str = "POST"
    path: str = PREDICT_PATH


def host_cpus() -> int:
    """The CPUs this process may run on (its affinity mask), not the machine's count."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def not_emulable_reason(memory_mb: int, cpus: int | None = None) -> str | None:
    """Why ``memory_mb`` cannot be emulated here (its CPU share is more than the host has)."""
    have = host_cpus() if cpus is None else cpus
    share = memory_mb / MB_PER_VCPU
    if share > have:
        return (
            f"not emulable here: {memory_mb:,} MB is {share:.2f} vCPU of CPU time and this "
            f"host gives {have}; measure it on AWS (--aws)"
        )
    return None


@dataclass
class _Sent:
    request_id: str | None
    forced_cold: bool
    client_ms: float | None
    status: int | None
    failure: str | None
    request_index: int
    cold_header: bool | None = None
    #: time.perf_counter() when it was sent
    started: float = 0.0


@dataclass(kw_only=True)
class LocalSweepResult:
    invocations: dict[int, list[Invocation]] = field(default_factory=dict)
    #: sizes not run, with why
    not_run: dict[int, str] = field(default_factory=dict)
    #: per size, when each invocation was sent, seconds since ``start_epoch_s``
    starts_s: dict[int, list[float]] = field(default_factory=dict)
    #: variant stack name per size
    variants: dict[int, str] = field(default_factory=dict)
    #: the emulator's log folder (REPORT lines, events)
    log_dir: Path | None = None
    elapsed_s: float = 0.0
    #: wall-clock time of the first size's first request
    start_epoch_s: float = 0.0


def _failure_of(status: int | None, body: bytes, report: ReportLine | None) -> str | None:
    text = body[:2000].decode("utf-8", "replace")
    if report is not None and report.error_type and "OutOfMemory" in report.error_type:
        return "out_of_memory"
    if status == 200:
        return None
    if "OutOfMemory" in text or "out of memory" in text.lower():
        return "out_of_memory"
    if report is not None and report.status == "timeout":
        return "timeout"
    if status is None:
        return "connection"
    if status == 429:
        return "throttled"
    if status == 504:
        return "timeout"
    return "http_5xx" if status >= 500 else "http_4xx"


def _pick(requests: Sequence[SweepRequest], rng: random.Random) -> int:
    if len(requests) == 1:
        return 0
    return rng.choices(range(len(requests)), weights=[r.weight for r in requests])[0]


#: signs a request for an IAM stack: (method, url, body) → headers
Signer = Callable[[str, str, bytes], dict[str, str]]


async def _send(
    session: object,
    url: str,
    requests: Sequence[SweepRequest],
    index: int,
    *,
    forced_cold: bool,
    timeout_s: float,
    signer: Signer | None = None,
) -> tuple[_Sent, bytes]:
    import aiohttp

    assert isinstance(session, aiohttp.ClientSession)
    req = requests[index]
    headers = {"content-type": "application/json"}
    if signer is not None:
        headers.update(signer(req.method, url + req.path, req.body))
    started = time.perf_counter()
    try:
        async with session.request(
            req.method,
            url + req.path,
            data=req.body,
            headers=headers,
            timeout=aiohttp.ClientTimeout(total=timeout_s),
        ) as response:
            body = await response.read()
            client_ms = (time.perf_counter() - started) * 1000.0
            cold = response.headers.get(COLD_START_HEADER)
            request_id = response.headers.get(REQUEST_ID_HEADER)
            return _Sent(
                request_id=request_id,
                forced_cold=forced_cold,
                client_ms=client_ms,
                status=response.status,
                failure=None,
                request_index=index,
                started=started,
                cold_header=None if cold is None else cold == "true",
            ), body
    except (TimeoutError, aiohttp.ClientError) as exc:
        kind = "timeout" if isinstance(exc, TimeoutError) else "connection"
        return _Sent(
            request_id=None,
            forced_cold=forced_cold,
            client_ms=None,
            status=None,
            failure=kind,
            request_index=index,
            started=started,
        ), b""


async def _warm_phase(
    session: object,
    url: str,
    requests: Sequence[SweepRequest],
    order: Sequence[int],
    *,
    parallelism: int,
    timeout_s: float,
    signer: Signer | None,
) -> list[tuple[_Sent, bytes]]:
    """``order``'s requests from ``parallelism`` clients, each sending its next when answered."""
    queue = list(reversed(order))
    sent: list[tuple[_Sent, bytes]] = []

    async def client() -> None:
        while queue:
            index = queue.pop()
            sent.append(
                await _send(
                    session,
                    url,
                    requests,
                    index,
                    forced_cold=False,
                    timeout_s=timeout_s,
                    signer=signer,
                )
            )

    await asyncio.gather(*(client() for _ in range(max(1, min(parallelism, len(order))))))
    return sent


def _join(memory_mb: int, sent: Sequence[tuple[_Sent, bytes]], log_path: Path) -> list[Invocation]:
    lines = log_path.read_text(encoding="utf-8").splitlines() if log_path.exists() else []
    reports = {r.request_id: r for r in read_report_lines(lines)}
    init_failures = [i for i in read_init_reports(lines) if i.status]
    out: list[Invocation] = []
    for s, body in sent:
        rep = reports.get(s.request_id) if s.request_id else None
        failure = s.failure or _failure_of(s.status, body, rep)
        if failure is None and rep is None and s.status != 200:
            failure = "http_5xx"
        if failure in ("http_5xx", "connection") and s.forced_cold and init_failures:
            # an init that failed writes INIT_REPORT (no request id) and answers 502
            err = init_failures[-1].error_type or ""
            failure = "out_of_memory" if "OutOfMemory" in err else "init_failure"
        out.append(
            Invocation(
                memory_mb=memory_mb,
                forced_cold=s.forced_cold,
                cold=rep.cold_start if rep is not None else bool(s.cold_header),
                client_ms=s.client_ms,
                duration_ms=rep.duration_ms if rep is not None else None,
                billed_ms=int(rep.billed_duration_ms) if rep is not None else None,
                init_ms=rep.init_duration_ms if rep is not None else None,
                max_memory_mb=rep.max_memory_used_mb if rep is not None else None,
                failure=failure,
                request_id=s.request_id,
                request_index=s.request_index,
            )
        )
    return out


def _signer(credentials: StaticCredentials, region: str) -> Signer:
    """SigV4 (service ``execute-api``) with the credentials the sweep's emulator admits, as
    a client of an IAM-authorised HTTP API signs."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    frozen = Credentials(
        credentials.access_key_id, credentials.secret_access_key
    ).get_frozen_credentials()

    def sign(method: str, url: str, body: bytes) -> dict[str, str]:
        request = AWSRequest(method=method, url=url, data=body)
        SigV4Auth(frozen, "execute-api", region).add_auth(request)
        return {
            k: v
            for k, v in request.headers.items()
            if k in ("Authorization", "X-Amz-Date", "X-Amz-Security-Token")
        }

    return sign


async def sweep_on_emulator(
    *,
    stack: str,
    memory_sizes: Sequence[int],
    cold: int,
    warm: int,
    requests: Sequence[SweepRequest],
    root: Path,
    build_dir: Path,
    parallelism: int = 1,
    artifact: Path | None = None,
    client_rtt_ms: float = 0.0,
    gateway_latency_ms: float = 0.0,
    seed: int = 0,
    progress: Callable[[str], None] | None = None,
    into: LocalSweepResult | None = None,
) -> LocalSweepResult:
    """Host ``<stack>@<MB>`` for every emulable size and measure it (module docstring).

    ``into`` is filled as sizes complete, so that a caller interrupted part way keeps the sizes
    measured so far."""
    import aiohttp

    from emulator import Emulator, EmulatorOptions, stack_specs
    from stack import load_stack

    say = progress or (lambda _line: None)
    started = time.monotonic()
    result = into if into is not None else LocalSweepResult()
    result.log_dir = build_dir / "logs"
    emulable: list[int] = []
    for mb in memory_sizes:
        reason = not_emulable_reason(mb)
        result.variants[mb] = load_stack(f"{stack}@{mb}", root).name
        if reason is not None:
            result.not_run[mb] = reason
            say(f"{mb:>6} MB  {reason}")
        else:
            emulable.append(mb)
    # what `python -m emulator up NAME@MB ...` would host, packages built the same way
    all_settings, all_specs = (
        stack_specs(
            [f"{stack}@{mb}" for mb in emulable],
            root=root,
            artifact=artifact,
        )
        if emulable
        else ({}, [])
    )
    by_name = {spec.name: spec for spec in all_specs}
    specs = [
        (mb, by_name[result.variants[mb]], all_settings[result.variants[mb]]) for mb in emulable
    ]
    if not specs:
        result.elapsed_s = time.monotonic() - started
        return result
    # the sweep's own key pair: the emulator admits requests signed with it (IAM stacks)
    credentials = StaticCredentials(
        access_key_id="AKIASWEEP" + secrets.token_hex(6).upper(),
        secret_access_key=secrets.token_urlsafe(30),
        source="option",
    )
    options = EmulatorOptions(
        credentials=credentials,
        work_dir=build_dir / "emulator",
        log_dir=build_dir / "logs",
        python_env_dir=root / "build" / "emulator" / "python-runtime",
        client_rtt_ms=client_rtt_ms,
        gateway_latency_ms=gateway_latency_ms,
        # instances are retired by the sweep itself, never by the clock
        keep_alive_s=24 * 3600.0,
    )
    rng = random.Random(seed)
    t0: float | None = None
    async with (
        Emulator([spec for _, spec, _ in specs], options) as emu,
        aiohttp.ClientSession() as session,
    ):
        for mb, spec, settings in specs:
            url = emu.urls[spec.name]
            host = emu.hosts[spec.name]
            timeout_s = float(settings.timeout_s) + 30.0
            signer = (
                _signer(credentials, settings.region) if settings.authorization == "iam" else None
            )
            sent: list[tuple[_Sent, bytes]] = []
            for _ in range(cold):
                emu.reclaim_idle(spec.name)
                await host.wait_gone()
                sent.append(
                    await _send(
                        session,
                        url,
                        requests,
                        _pick(requests, rng),
                        forced_cold=True,
                        timeout_s=timeout_s,
                        signer=signer,
                    )
                )
            order = [_pick(requests, rng) for _ in range(warm)]
            sent.extend(
                await _warm_phase(
                    session,
                    url,
                    requests,
                    order,
                    parallelism=parallelism,
                    timeout_s=timeout_s,
                    signer=signer,
                )
            )
            emu.reclaim_idle(spec.name)
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(host.wait_gone(), timeout=10.0)
            invocations = _join(mb, sent, emu.logs[spec.name].path)
            result.invocations[mb] = invocations
            if t0 is None:
                t0 = min((s.started for s, _ in sent), default=time.perf_counter())
                result.start_epoch_s = time.time() - (time.perf_counter() - t0)
            result.starts_s[mb] = [s.started - t0 for s, _ in sent]
            failed = sum(1 for i in invocations if i.failure)
            say(
                f"{mb:>6} MB  {cold} cold + {warm} warm sent"
                + (f", {failed} failed" if failed else "")
            )
    result.elapsed_s = time.monotonic() - started
    return result
