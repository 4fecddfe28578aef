"""Two short recorded runs against the test server (merge and interval-log tests read them)."""

from __future__ import annotations

from pathlib import Path

import anyio

from loadgen import RunSettings, Stage, StagedPlan, run_async, target_from_url

from .loadgen_server import TestServer

HEALTH = {"features": ["duration", "src_bytes"]}


def two_runs(tmp_path: Path) -> list[Path]:
    """The folders of runs ``a`` and ``b`` of 2 users for 1.2 s; one answer in 40 is a 503."""

    async def main() -> list[Path]:
        async with TestServer(lambda n: "status:503" if n % 40 == 3 else "ok") as server:
            plan = StagedPlan(stages=(Stage(users=2, hold_s=1.2),))
            target = target_from_url(server.url, name="t")
            results = []
            for run_id in ("a", "b"):
                result = await run_async(
                    plan,
                    target=target,
                    health=HEALTH,
                    settings=RunSettings(results_dir=tmp_path, run_id=run_id),
                )
                results.append(result.folder)
            return results

    return anyio.run(main)
