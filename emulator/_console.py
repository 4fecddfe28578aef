"""What ``up`` prints: the hosted stacks' table and the notes on limits, credentials and the
network path, one line each on a stdout that may close."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from ._emulator import Emulator
from ._endpoints_doc import init_cpu_model
from ._spec import EmulatorOptions
from .gateway._sigv4 import DEFAULT_CREDENTIALS

if TYPE_CHECKING:
    from stack import StackSettings

__all__ = ["announce", "say", "stacks_table"]


def stacks_table(emu: Emulator, settings: Mapping[str, StackSettings]) -> str:
    """One row per hosted stack: its language, memory, strategy, mitigation, auth and URL."""
    rows = [("stack", "language", "memory", "strategy", "mitigation", "auth", "url")]
    for name, url in emu.urls.items():
        s = settings[name]
        rows.append(
            (
                name,
                s.language,
                f"{s.memory_mb} MB",
                f"function {s.handler}" if s.is_function else s.model_strategy,
                s.cold_start_mitigation,
                s.authorization,
                url,
            )
        )
    for name, s in settings.items():
        if s.is_worker:
            rows.append(
                (
                    name,
                    s.language,
                    f"{s.memory_mb} MB",
                    "loadgen worker",
                    "-",
                    "iam",
                    f"Lambda API {emu.lambda_url}",
                )
            )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows
    )


def announce(
    emu: Emulator, settings: Mapping[str, StackSettings], options: EmulatorOptions, endpoints: Path
) -> None:
    """The table, then how the stacks are hosted: credentials, CPU and memory limits, the
    network path, the worker stacks' endpoints, where the files are."""
    say(stacks_table(emu, settings))
    if any(s.authorization == "iam" for s in settings.values()):
        creds = options.credentials or DEFAULT_CREDENTIALS
        say(
            f"iam stacks admit requests SigV4-signed by {creds.access_key_id} "
            f"({creds.source} credentials)"
        )
        for name, worker in settings.items():
            if worker.is_worker:
                say(
                    f"{name}'s instances sign with their own role's keys, admitted by "
                    f"{', '.join(worker.target_stacks) or 'no stack'} (its "
                    "invoke_targets)"
                )
    if emu.cpu_limited:
        say(
            f"CPU limited by memory (1,769 MB = 1 vCPU): {emu.cpu_limit_reason}; init CPU: "
            + init_cpu_model(options.init_cpu, limited=True).description
        )
    else:
        say(f"note: instances run WITHOUT CPU limits: {emu.cpu_limit_reason}")
    say(f"memory limit: {emu.memory_limit.description}")
    path = options.network_path()
    say(
        f"network path: client round trip {path['client_rtt_ms']:g} ms + API Gateway "
        f"{path['gateway_latency_ms']:g} ms added to every request"
    )
    if emu.buckets_url is not None:
        say(
            f"worker stacks: Lambda API {emu.lambda_url}, their buckets on moto's S3 "
            f"{emu.buckets_url}"
        )
    say(f"endpoints: {endpoints}; logs: {options.log_dir}; Ctrl-C stops")


def say(text: str) -> None:
    """One line on the console. A closed stdout (``| head``, a terminal gone) stops nothing:
    the emulator serves on and still stops cleanly (endpoints.json removed), silently."""
    try:
        print(text, flush=True)
    except (BrokenPipeError, ValueError):  # ValueError: stdout was closed by this process
        # Later writes (and the interpreter's flush at exit) go nowhere instead of failing.
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
