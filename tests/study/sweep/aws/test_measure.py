"""``sweep_on_aws``: its input refused before any call, and, end to end against the emulator's
Lambda API on 127.0.0.1 (boto3 as on AWS), the sweep itself, its clean-up, and its clean-up
when SIGINT or SIGTERM stops it."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from emulator import Emulator, EmulatorOptions, FunctionSpec, read_events
from emulator.gateway._sigv4 import DEFAULT_CREDENTIALS
from report import read_report_lines
from study.sweep.aws._changes import SWEEP_ENV
from study.sweep.aws._errors import AwsSweepError
from study.sweep.aws._measure import sweep_on_aws

from ....support.paths import EVENTS_DIR, HTTP_VECTORS, REPO


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"memory_sizes": [64]}, "outside Lambda's range"),
        ({"memory_sizes": [256, 256]}, "twice"),
        ({"memory_sizes": []}, "no memory size"),
        ({"cold": 0, "warm": 0}, "at least one invocation"),
        ({"payloads": []}, "no request"),
        ({"payloads": [(b"{}", 0.0)]}, "weights"),
        ({"parallelism": 0}, "parallelism"),
    ],
)
def test_bad_input_is_one_line_before_any_call(kwargs: dict[str, Any], words: str) -> None:
    class NoCalls:
        def __getattr__(self, name: str) -> Any:
            raise AssertionError(f"the sweep called {name} before checking its input")

    arguments: dict[str, Any] = {
        "function_name": "fn",
        "memory_sizes": [128, 256],
        "cold": 1,
        "warm": 1,
        "payloads": [(b"{}", 1.0)],
        "lambda_client": NoCalls(),
        **kwargs,
    }
    with pytest.raises(AwsSweepError) as caught:
        sweep_on_aws(**arguments)
    assert words in str(caught.value) and "\n" not in str(caught.value)


# --- end to end against the emulator's Lambda API --------------------------------------------


@pytest.fixture(scope="module")
def python_512(tmp_path_factory: pytest.TempPathFactory) -> FunctionSpec:
    """The stack python-512 as the emulator hosts it (a model written from the test vectors)."""
    from emulator._stacks import spec_from_stack
    from model import write_artifact
    from stack import build_package, load_stack

    if not HTTP_VECTORS.is_file():
        pytest.skip("tests/vectors/http.json is absent: no model to package")
    model = json.loads(HTTP_VECTORS.read_text(encoding="utf-8"))["model"]
    folder = tmp_path_factory.mktemp("sweep-aws")
    artifact = write_artifact(folder / "model.zip", model)
    settings = load_stack("python-512", REPO)
    package = build_package(settings, artifact=artifact, out_dir=folder / "packages", root=REPO)
    return replace(spec_from_stack(settings, package), authorization="none")


def _payloads() -> list[tuple[bytes, float]]:
    """POST /predict (weight 3) and GET /health (weight 1), as API Gateway sends them."""
    predict = (EVENTS_DIR / "post-predict.json").read_bytes()
    health = (EVENTS_DIR / "get-health.json").read_bytes()
    return [(predict, 3.0), (health, 1.0)]


def _client(url: str) -> Any:
    return boto3.client(
        "lambda",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id=DEFAULT_CREDENTIALS.access_key_id,
        aws_secret_access_key=DEFAULT_CREDENTIALS.secret_access_key,
        config=Config(retries={"max_attempts": 1, "mode": "standard"}, read_timeout=60),
    )


@pytest.fixture
async def hosted(python_512: FunctionSpec, tmp_path: Path) -> AsyncIterator[Emulator]:
    options = EmulatorOptions(
        work_dir=tmp_path / "work",
        log_dir=tmp_path / "logs",
        python_env_dir=tmp_path.parent / "python-runtime",
    )
    async with Emulator(
        [replace(python_512, environment={**python_512.environment, "TEAM_SETTING": "kept"})],
        options,
    ) as emu:
        yield emu


def _left_behind(client: Any, name: str) -> dict[str, Any]:
    config = client.get_function_configuration(FunctionName=name)
    return {
        "memory_mb": config["MemorySize"],
        "variables": config["Environment"]["Variables"],
        "aliases": client.list_aliases(FunctionName=name)["Aliases"],
        "versions": [
            v["Version"] for v in client.list_versions_by_function(FunctionName=name)["Versions"]
        ],
    }


@pytest.mark.slow
@pytest.mark.anyio
async def test_a_sweep_measures_each_size_through_versions_and_leaves_the_function_as_it_was(
    hosted: Emulator,
) -> None:
    name = "python-512"
    client = _client(hosted.lambda_url)
    messages: list[str] = []
    try:
        before = await asyncio.to_thread(_left_behind, client, name)
        results = await asyncio.to_thread(
            sweep_on_aws,
            function_name=name,
            memory_sizes=[256, 1024],
            cold=2,
            warm=4,
            payloads=_payloads(),
            lambda_client=client,
            parallelism=2,
            progress=messages.append,
        )
        after = await asyncio.to_thread(_left_behind, client, name)
    finally:
        client.close()
    assert list(results) == [256, 1024]
    log = (hosted.options.log_dir / f"{name}.log").read_text()
    memory_by_request: dict[str | None, int] = {
        r.request_id: r.memory_size_mb for r in read_report_lines(log.splitlines())
    }
    for size, invocations in results.items():
        assert len(invocations) == 6
        assert [i.forced_cold for i in invocations] == [True, True] + [False] * 4
        forced = invocations[:2]
        # Each forced cold start met a new instance, the two sent at once on one new version
        # too: its REPORT had an Init Duration.
        assert all(i.cold and i.init_ms is not None and i.init_ms > 0 for i in forced)
        assert all(i.failure is None for i in invocations), invocations
        assert all(i.memory_mb == size for i in invocations)
        assert all(
            i.duration_ms is not None
            and i.billed_ms is not None
            and i.max_memory_mb is not None
            and i.client_ms is not None
            for i in invocations
        )
        # Billed duration includes the init on a cold start (AWS since August 2025).
        assert all(
            i.billed_ms is not None
            and i.init_ms is not None
            and i.duration_ms is not None
            and i.billed_ms >= i.init_ms + i.duration_ms
            for i in forced
        )
        # The function ran at the size swept, as its own REPORT lines say.
        assert {memory_by_request[i.request_id] for i in invocations} == {size}
        # Requests in their weights' proportions (3:1), the same order at every size.
        assert [i.request_index for i in invocations] == [0, 0, 1, 0, 0, 0]
    assert after["memory_mb"] == before["memory_mb"] == 512
    assert after["variables"] == before["variables"]
    assert after["variables"]["TEAM_SETTING"] == "kept" and SWEEP_ENV not in after["variables"]
    assert after["aliases"] == [] and after["versions"] == ["$LATEST"]
    assert any("restoring python-512: 512 MB" in m for m in messages)
    # Two cold starts at a time need one version per size, not one per cold start.
    events = read_events(hosted.options.log_dir / f"{name}.events.jsonl")
    published = [e["memory_mb"] for e in events if e["event"] == "version_published"]
    assert published == [256, 1024]
    assert "256 MB: cold starts 1-2/2" in messages


class _RefusesSecondPublish:
    """The emulator's client, but Lambda refuses the sweep's second PublishVersion."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.publishes = 0

    def publish_version(self, **kwargs: Any) -> Any:
        self.publishes += 1
        if self.publishes == 2:
            raise ClientError(
                {
                    "Error": {
                        "Code": "CodeStorageExceededException",
                        "Message": "Code storage limit exceeded.",
                    }
                },
                "PublishVersion",
            )
        return self._client.publish_version(**kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


@pytest.mark.slow
@pytest.mark.anyio
async def test_a_call_lambda_refuses_mid_sweep_is_one_line_after_the_function_is_restored(
    hosted: Emulator,
) -> None:
    name = "python-512"
    client = _client(hosted.lambda_url)
    try:
        before = await asyncio.to_thread(_left_behind, client, name)
        with pytest.raises(AwsSweepError) as caught:
            await asyncio.to_thread(
                sweep_on_aws,
                function_name=name,
                memory_sizes=[256, 1024],
                cold=2,
                warm=1,
                payloads=_payloads(),
                lambda_client=_RefusesSecondPublish(client),
            )
        after = await asyncio.to_thread(_left_behind, client, name)
    finally:
        client.close()
    message = str(caught.value)
    assert message.startswith("Lambda refused PublishVersion")
    assert "CodeStorageExceededException" in message and "nothing of the sweep is left" in message
    assert "\n" not in message
    assert after == before and after["versions"] == ["$LATEST"]


_SWEEP_SCRIPT = """
import json, sys
import boto3
from botocore.config import Config
from study.sweep.aws._measure import sweep_on_aws
from study.sweep.aws._errors import AwsSweepInterrupted
url, key, secret, events, parallelism = sys.argv[1:6]
client = boto3.client("lambda", endpoint_url=url, region_name="us-east-1",
                      aws_access_key_id=key, aws_secret_access_key=secret,
                      config=Config(retries={"max_attempts": 1}, read_timeout=60))
payload = open(events + "/post-predict.json", "rb").read()
try:
    sweep_on_aws(function_name="python-512", memory_sizes=[256, 1024, 128], cold=3, warm=100,
                 payloads=[(payload, 1.0)], lambda_client=client,
                 parallelism=int(parallelism), progress=lambda m: print(m, flush=True))
except AwsSweepInterrupted as stopped:
    print("STOPPED", stopped.signum, json.dumps(sorted(stopped.measured)), flush=True)
    print(stopped, file=sys.stderr)
    sys.exit(128 + stopped.signum)
print("FINISHED", flush=True)
"""


@pytest.mark.slow
@pytest.mark.anyio
@pytest.mark.parametrize(("signum", "parallelism"), [(signal.SIGINT, 1), (signal.SIGTERM, 2)])
async def test_a_signal_mid_sweep_still_restores_the_function_and_deletes_what_it_made(
    hosted: Emulator, signum: int, parallelism: int
) -> None:
    name = "python-512"
    client = _client(hosted.lambda_url)
    before = await asyncio.to_thread(_left_behind, client, name)
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        _SWEEP_SCRIPT,
        hosted.lambda_url,
        DEFAULT_CREDENTIALS.access_key_id,
        DEFAULT_CREDENTIALS.secret_access_key,
        str(EVENTS_DIR),
        str(parallelism),
        cwd=REPO,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert proc.stdout is not None and proc.stderr is not None
    seen: list[str] = []
    try:
        # Stopped mid-size: once the second size's first version exists and its alias points
        # at it (its cold starts are being sent).
        async with asyncio.timeout(120):
            while not any(line.startswith("1024 MB: cold start") for line in seen):
                line = (await proc.stdout.readline()).decode()
                assert line, f"the sweep ended early: {seen} {await proc.stderr.read()!r}"
                seen.append(line.strip())
        mid = await asyncio.to_thread(_left_behind, client, name)
        proc.send_signal(signum)
        async with asyncio.timeout(90):
            out_bytes, err_bytes = await proc.communicate()
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    out, err = out_bytes.decode(), err_bytes.decode()
    after = await asyncio.to_thread(_left_behind, client, name)
    client.close()
    # Mid-run the sweep had changed the function; after the signal, nothing of it is left.
    # (on a slow machine the sweep may have reached 128 MB by the time it was read)
    assert mid["memory_mb"] in (1024, 128) and SWEEP_ENV in mid["variables"]
    assert proc.returncode == 128 + signum, (out, err)
    stopped = next(line.split(" ", 2) for line in out.splitlines() if line.startswith("STOPPED"))
    assert int(stopped[1]) == signum and json.loads(stopped[2]) in ([256], [256, 1024])
    assert "FINISHED" not in out
    assert "restored" in err and "Traceback" not in err
    assert after == before
    assert after["aliases"] == [] and after["versions"] == ["$LATEST"]
