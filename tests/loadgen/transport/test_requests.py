"""A request set: what the load generator sends a team's function (method, path, headers,
body, weighted), what counts as a correct answer, and a first answer that stops the run."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio
import pytest
from aiohttp import web

from loadgen import RunSettings, Stage, StagedPlan, run_async, target_from_url
from loadgen.transport._h11 import connect_h11
from loadgen.transport._http import connect
from loadgen.transport._requests import Expect, function_request_set, weighted_order

REQUESTS = [
    {"method": "POST", "path": "/items", "headers": {"x-team": "a"}, "body": {"n": 1}, "weight": 3},
    {"method": "GET", "path": "/items?id=7"},
]


def test_weights_give_smooth_turns() -> None:
    assert weighted_order([3, 1]) == (0, 0, 1, 0)
    assert weighted_order([1, 1, 1]) == (0, 1, 2)
    assert Counter(weighted_order([0.5, 0.25, 0.25])) == Counter({0: 2, 1: 1, 2: 1})


def test_a_correct_answer_is_2xx_with_the_expected_field() -> None:
    expect = Expect(field="label")
    assert expect.judge(201, b'{"label": 1}') == (None, None, None)
    assert expect.judge(200, b'{"other": 1}')[0] == "bad_response"
    assert expect.judge(200, b"not json")[0] == "bad_response"
    assert expect.judge(404, b'{"message":"Not Found"}')[0] == "http_status"
    assert expect.judge(429, b"")[0] == "throttled"
    assert Expect().judge(204, b"") == (None, None, None)


async def _serve(
    handler: Callable[[web.Request], Awaitable[web.Response]],
) -> tuple[web.AppRunner, int]:
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, port


@pytest.mark.parametrize("opener", [connect, connect_h11])
def test_both_connections_send_method_path_headers_and_body(tmp_path: Path, opener: Any) -> None:
    (tmp_path / "r.json").write_text(json.dumps(REQUESTS))
    request_set = function_request_set(tmp_path / "r.json")
    seen: list[tuple[str, str, str | None, bytes]] = []

    async def handler(request: web.Request) -> web.Response:
        seen.append(
            (request.method, request.path_qs, request.headers.get("x-team"), await request.read())
        )
        return web.json_response({"ok": True})

    async def main() -> None:
        runner, port = await _serve(handler)
        try:
            conn = await opener("127.0.0.1", port, "/unused", 5.0)
            for index in request_set.order:
                response = await conn.send(
                    request_set.requests[index], base_path="/prod", timeout_s=5.0
                )
                assert response.status == 200
            conn.close()
        finally:
            await runner.cleanup()

    anyio.run(main)
    assert seen == [("POST", "/prod/items", "a", b'{"n":1}')] * 2 + [
        ("GET", "/prod/items?id=7", None, b"")
    ] + [("POST", "/prod/items", "a", b'{"n":1}')]


def test_a_run_sends_the_request_file_and_counts_wrong_answers(tmp_path: Path) -> None:
    (tmp_path / "r.json").write_text(json.dumps(REQUESTS))
    counts: Counter[str] = Counter()

    async def handler(request: web.Request) -> web.Response:
        counts[request.method] += 1
        # The GET answers without the expected field: a wrong answer, counted as a failure.
        return web.json_response({"label": 1} if request.method == "POST" else {"x": 0})

    async def main() -> Any:
        runner, port = await _serve(handler)
        try:
            plan = StagedPlan(stages=(Stage(users=1, hold_s=30),), iterations=8)
            return await run_async(
                plan,
                target=target_from_url(f"http://127.0.0.1:{port}", name="fn"),
                settings=RunSettings(
                    results_dir=tmp_path,
                    run_id="r",
                    requests=tmp_path / "r.json",
                    expect_field="label",
                ),
            )
        finally:
            await runner.cleanup()

    result = anyio.run(main)
    assert counts == {"POST": 6, "GET": 2}  # no GET /health first: the file is all it sends
    assert result.summary["requests"] == 8
    errors = {kind: n for kind, n in result.summary["errors"].items() if n}
    assert errors == {"bad_response": 2}
    run = json.loads((result.folder / "run.json").read_text())
    assert run["request_set"]["routes"] == ["GET /items", "POST /items"]


def test_a_first_answer_that_is_wrong_stops_the_run_saying_why(tmp_path: Path) -> None:
    (tmp_path / "r.json").write_text(json.dumps(REQUESTS))
    sent = 0

    async def handler(request: web.Request) -> web.Response:
        nonlocal sent
        sent += 1
        return web.json_response({"message": "Not Found"}, status=404)

    async def main() -> Any:
        runner, port = await _serve(handler)
        try:
            plan = StagedPlan(stages=(Stage(users=1, hold_s=30),), iterations=50)
            return await run_async(
                plan,
                target=target_from_url(f"http://127.0.0.1:{port}", name="fn"),
                settings=RunSettings(
                    results_dir=tmp_path,
                    run_id="r",
                    requests=tmp_path / "r.json",
                    stop_at_first_failure=True,
                ),
            )
        finally:
            await runner.cleanup()

    result = anyio.run(main)
    assert sent == 1
    assert result.first_failure is not None
    assert result.first_failure.startswith("the first request (POST /items) answered 404")
    assert "expected a 2xx answer" in result.first_failure
    assert result.summary["complete"] is False
