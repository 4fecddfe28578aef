"""The request path against a real socket: every error kind is classified, keep-alive works."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import anyio
import pytest

from loadgen import ERROR_KINDS, RunSettings, Stage, target_from_url
from loadgen.engine._runner import run_async
from loadgen.plans._staged_plan import StagedPlan
from loadgen.transport._h11 import connect_h11
from loadgen.transport._http import RequestFailed, connect

from ...support.loadgen_server import TestServer

HEALTH = {"features": ["duration", "src_bytes", "dst_bytes"], "model_version": "m1"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


OPENERS = pytest.mark.parametrize("opener", [connect, connect_h11], ids=["httptools", "h11"])


@OPENERS
def test_keep_alive_connection_serves_many_requests(opener: Any) -> None:
    async def main() -> tuple[list[int], int]:
        async with TestServer("ok") as server:
            conn = await opener("127.0.0.1", server.port, "/predict", 5.0)
            statuses = []
            for _ in range(50):
                response = await conn.post(b'{"instances":[{"duration":0}]}', timeout_s=5)
                statuses.append(response.status)
                assert response.done_ns > response.sent_ns
                assert response.headers["x-model-version"] == "m1"
            assert conn.reusable
            conn.close()
            return statuses, server.connections

    statuses, connections = anyio.run(main)
    assert statuses == [200] * 50
    assert connections == 1


@pytest.mark.parametrize(
    ("behaviour", "kind"),
    [
        ("reset", "reset"),
        ("close_mid_body", "reset"),
        ("stall", "timeout"),
        ("garbage", "bad_response"),
    ],
)
@OPENERS
def test_transport_failures_are_classified(behaviour: str, kind: str, opener: Any) -> None:
    async def main() -> RequestFailed:
        async with TestServer(behaviour) as server:
            conn = await opener("127.0.0.1", server.port, "/predict", 5.0)
            with pytest.raises(RequestFailed) as info:
                await conn.post(b'{"instances":[{"duration":0}]}', timeout_s=0.3)
            assert not conn.reusable
            return info.value

    failure = anyio.run(main)
    assert failure.kind == kind


def test_refused() -> None:
    async def main() -> None:
        with pytest.raises(RequestFailed) as info:
            await connect("127.0.0.1", free_port(), "/predict", 2.0)
        assert info.value.kind == "refused"

    anyio.run(main)


def run_scenario(
    server: TestServer, tmp_path: Path, plan: StagedPlan, **settings: Any
) -> dict[str, Any]:
    async def main() -> dict[str, Any]:
        result = await run_async(
            plan,
            target=target_from_url(server.url, name="t"),
            settings=RunSettings(results_dir=tmp_path, run_id="r", **settings),
            health=HEALTH,
        )
        return result.summary

    return anyio.run(main)


def test_every_error_kind_is_recorded_once_per_attempt(tmp_path: Path) -> None:
    cycle = [
        "ok",
        "status:500",
        "status:503",
        "429",
        "bad_json",
        "wrong_count",
        "reset",
        "close_mid_body",
        "stall",
        "garbage",
    ]

    async def main() -> tuple[dict[str, Any], int]:
        async with TestServer(lambda n: cycle[n] if n < len(cycle) else "ok") as server:
            plan = StagedPlan(stages=(Stage(users=1, hold_s=100),), iterations=len(cycle))
            result = await run_async(
                plan,
                target=target_from_url(server.url, name="t"),
                settings=RunSettings(results_dir=tmp_path, run_id="r", timeout_s=0.3),
                health=HEALTH,
            )
            return result.summary, server.seen

    summary, seen = anyio.run(main)
    assert summary["requests"] == seen == len(cycle)
    assert summary["ok"] == 1
    assert summary["errors"] == {
        "refused": 0,
        "reset": 2,
        "timeout": 1,
        "http_status": 2,
        "throttled": 1,
        "bad_response": 3,
        "cancelled": 0,
    }
    assert set(summary["errors"]) == set(ERROR_KINDS)
    assert summary["statuses"] == {"200": 3, "429": 1, "500": 1, "503": 1}
    folder = tmp_path / "r" / "t" / "scenario2"
    lines = (folder / "requests.jsonl").read_text().splitlines()
    assert len(lines) == len(cycle)


def test_refused_attempts_are_recorded(tmp_path: Path) -> None:
    async def main() -> dict[str, Any]:
        target = target_from_url(f"http://127.0.0.1:{free_port()}", name="t")
        plan = StagedPlan(stages=(Stage(users=2, hold_s=100),), iterations=3)
        result = await run_async(
            plan,
            target=target,
            health=HEALTH,
            settings=RunSettings(results_dir=tmp_path, run_id="r"),
        )
        return result.summary

    summary = anyio.run(main)
    assert summary["requests"] == 6
    assert summary["errors"]["refused"] == 6
