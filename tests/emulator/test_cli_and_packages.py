"""The real packages of both runtimes under the emulator, through ``python -m emulator up`` and
in-process; plus the Java bootstrap with a tiny handler."""

from __future__ import annotations

import asyncio
import json
import os
import platform
import re
import signal
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from emulator import FunctionSpec, read_events
from loadgen import resolve_stack, sign_target
from model import write_artifact

from ..support.paths import HTTP_VECTORS, REPO

pytestmark = [pytest.mark.slow]


def _pid(event: dict[str, object]) -> int:
    """The process id an instance event records."""
    pid = event["pid"]
    assert isinstance(pid, int), event
    return pid


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture(scope="module")
def artifact(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model artifact written from the committed test vectors' model (no training needed)."""
    if not HTTP_VECTORS.is_file():
        pytest.skip("tests/vectors/http.json is absent: no model to package")
    model = json.loads(HTTP_VECTORS.read_text(encoding="utf-8"))["model"]
    return write_artifact(tmp_path_factory.mktemp("artifact") / "model.zip", model)


def _instance(model: dict[str, Any]) -> dict[str, float]:
    return {i["name"]: 1.0 for i in model["inputs"]}


@pytest.mark.java
def test_up_serves_both_runtimes_and_sigterm_leaves_nothing_behind(
    artifact: Path, tmp_path: Path
) -> None:
    build = tmp_path / "build"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "emulator",
            "up",
            "python-256",
            "java-256",
            "--artifact",
            str(artifact),
            "--build-dir",
            str(build),
            "--time-scale",
            "10",
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    endpoints = build / "endpoints.json"
    try:
        deadline = time.monotonic() + 240
        while not endpoints.exists():
            assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
            assert time.monotonic() < deadline, "emulator did not come up"
            time.sleep(0.2)
        doc = json.loads(endpoints.read_text())
        assert set(doc) == {
            "stacks",
            "cpu_limited",
            "cpu_limit_reason",
            "time_scale",
            "started_at",
            "pid",
            "hosted_by",
            "credentials",
            "network_path",
            "init_cpu",
            "python_instances",
            "lambda_endpoint",
            "s3_endpoint",
            "memory_limit",
        }
        assert doc["memory_limit"]["mode"] in ("cgroup", "watchdog")
        assert doc["pid"] == proc.pid and doc["time_scale"] == 10
        # Lambda's Invoke API serves every function; moto's S3 only with a worker stack.
        assert doc["lambda_endpoint"].startswith("http://127.0.0.1:")
        assert doc["s3_endpoint"] is None
        # the study's setting unless told otherwise: a client outside AWS, over the internet
        assert doc["network_path"] == {
            "client_rtt_ms": 80.0,
            "gateway_latency_ms": 10.0,
            "added_ms": 90.0,
        }
        for stack in doc["stacks"].values():
            assert stack["cpu_samples"].endswith(".cpu.jsonl")
            assert stack["access_log"].endswith(".access.jsonl")
        # the init phase's CPU model is stated, and what Python instances see and how that differs
        assert doc["init_cpu"]["mode"] == "burst" and doc["init_cpu"]["description"]
        runtime_held = doc["python_instances"]["runtime"]["distributions"]
        assert {"awslambdaric", "boto3", "botocore"} <= set(runtime_held)
        assert "numpy" not in runtime_held and "aiohttp" not in runtime_held
        assert doc["python_instances"]["differs_from_aws"]
        # what really runs the functions here (the stacks' runtime names AWS's)
        assert doc["hosted_by"]["python"] == platform.python_version()
        assert re.fullmatch(r"\d+(\.\d+)*", doc["hosted_by"]["java"] or ""), doc["hosted_by"]
        assert set(doc["stacks"]) == {"python-256", "java-256"}
        model = json.loads(HTTP_VECTORS.read_text())["model"]
        pids = set()
        for name, runtime in (("python-256", "python"), ("java-256", "java")):
            entry = doc["stacks"][name]
            assert entry["settings"]["memory_mb"] == 256 and entry["settings"]["name"] == name
            assert entry["log"].endswith(f"{name}.log")
            assert entry["authorization"] == "iam"
            # What the stack admits, for the load generator's check of a plan.
            assert (
                entry["api_throttle_rate"],
                entry["api_throttle_burst"],
                entry["reserved_concurrency"],
            ) == (4000.0, 100, None)
            # No reservation: the account concurrency (100 by default) is the stacks' pool.
            assert entry["unreserved_concurrency"] == 100
            limits = resolve_stack(name, endpoints_file=endpoints).limits
            assert limits is not None and limits.api_throttle_rate == 4000.0
            assert limits.unreserved_concurrency == 100
            signer = sign_target(resolve_stack(name, endpoints_file=endpoints)).signer
            assert signer is not None
            with httpx.Client(base_url=entry["url"], timeout=30) as client:
                assert client.get("/health").json() == {"message": "Forbidden"}
                health = client.get(
                    "/health", headers=signer.headers("GET", entry["url"] + "/health")
                )
                assert health.status_code == 200 and health.headers["x-runtime"] == runtime
                assert health.headers["x-cold-start"] == "true"
                body = json.dumps({"instances": [_instance(model)]}).encode()
                predicted = client.post(
                    "/predict",
                    content=body,
                    headers={
                        "content-type": "application/json",
                        **signer.headers("POST", entry["url"] + "/predict", body),
                    },
                )
                assert predicted.status_code == 200, predicted.text
                assert predicted.headers["x-cold-start"] == "false"
                assert len(predicted.json()["predictions"]) == 1
                assert client.get("/nope").status_code == 404
            events = read_events(build / "emulator" / "logs" / f"{name}.events.jsonl")
            started = [e for e in events if e["event"] == "started"]
            assert len(started) == 1
            assert started[0]["request_id"] == health.headers["x-request-id"]
            pids.add(_pid(started[0]))
        assert all(_alive(p) for p in pids)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 143, "SIGTERM stops as Ctrl-C does, with 128 + 15"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if proc.stdout:
            proc.stdout.close()
    assert not any(_alive(p) for p in pids)
    assert not endpoints.exists()
    assert not any((build / "emulator" / "instances").rglob("task"))


class _Up:
    """``python -m emulator up`` in a subprocess, up once its endpoints.json names it."""

    def __init__(self, artifact: Path, build: Path, *stacks: str) -> None:
        self.build = build
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "emulator",
                "up",
                *stacks,
                "--artifact",
                str(artifact),
                "--build-dir",
                str(build),
            ],
            cwd=REPO,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            # the emulator's own (public) local credentials, which endpoints.json then states
            env={k: v for k, v in os.environ.items() if not k.startswith("AWS_")},
        )
        endpoints = build / "endpoints.json"
        deadline = time.monotonic() + 120
        while True:
            assert self.proc.poll() is None, self.proc.stderr.read() if self.proc.stderr else ""
            assert time.monotonic() < deadline, "emulator did not come up"
            try:
                doc = json.loads(endpoints.read_text())
                if doc["pid"] == self.proc.pid:
                    break
            except (OSError, ValueError):
                pass
            time.sleep(0.2)
        self.urls = {name: entry["url"] for name, entry in doc["stacks"].items()}
        self.doc = doc

    def health(self, stack: str) -> httpx.Response:
        """GET /health as a user's client sends it: signed for an IAM stack (the default)."""
        url = self.urls[stack] + "/health"
        headers: dict[str, str] = {}
        if self.doc["stacks"][stack]["authorization"] == "iam":
            creds = self.doc["credentials"]
            region = self.doc["stacks"][stack]["settings"]["region"]
            request = AWSRequest(method="GET", url=url)
            SigV4Auth(
                Credentials(creds["access_key_id"], creds["secret_access_key"]),
                "execute-api",
                region,
            ).add_auth(request)
            headers = dict(request.headers.items())
        return httpx.get(url, headers=headers, timeout=30)

    def instance_pids(self, stack: str) -> set[int]:
        events = read_events(self.build / "emulator" / "logs" / f"{stack}.events.jsonl")
        return {_pid(e) for e in events if e["event"] == "started"}

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        if self.proc.stderr:
            self.proc.stderr.close()


def _task_dirs(build: Path) -> set[Path]:
    return set((build / "emulator" / "instances").rglob("task"))


def test_sigint_stops_cleanly_with_130(artifact: Path, tmp_path: Path) -> None:
    build = tmp_path / "build"
    up = _Up(artifact, build, "python-256")
    try:
        assert up.health("python-256").status_code == 200
        pids = up.instance_pids("python-256")
        assert len(pids) == 1 and all(_alive(p) for p in pids) and _task_dirs(build)
        up.proc.send_signal(signal.SIGINT)
        assert up.proc.wait(timeout=30) == 130
        assert up.proc.stderr is not None and "Traceback" not in up.proc.stderr.read()
    finally:
        up.close()
    assert not any(_alive(p) for p in pids)
    assert not any((build / "emulator" / "instances").iterdir())
    assert not (build / "endpoints.json").exists()
    events = read_events(build / "emulator" / "logs" / "python-256.events.jsonl")
    assert [e["event"] for e in events][-2:] == ["stopped", "emulator_stopped"]


def test_a_second_emulator_on_a_build_dir_is_refused_and_a_killed_ones_folders_go(
    artifact: Path, tmp_path: Path
) -> None:
    """A second ``emulator up`` on the same build dir is refused in one
    line naming the first's pid and ``--build-dir``, and leaves the first's endpoints.json and
    service alone; once the first is killed outright, the next start removes its folders."""
    build = tmp_path / "build"
    first = _Up(artifact, build, "python-256")
    try:
        assert first.health("python-256").status_code == 200
        first_dirs = _task_dirs(build)
        assert len(first_dirs) == 1
        second = subprocess.run(
            [
                sys.executable,
                "-m",
                "emulator",
                "up",
                "python-256",
                "--artifact",
                str(artifact),
                "--build-dir",
                str(build),
            ],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            env={k: v for k, v in os.environ.items() if not k.startswith("AWS_")},
        )
        assert second.returncode == 2, second.stderr
        assert len(second.stderr.strip().splitlines()) == 1, second.stderr
        assert f"pid {first.proc.pid}" in second.stderr and "--build-dir" in second.stderr
        assert json.loads((build / "endpoints.json").read_text())["pid"] == first.proc.pid
        warm = first.health("python-256")
        assert warm.status_code == 200 and warm.headers["x-cold-start"] == "false"
        first.proc.send_signal(signal.SIGKILL)
        first.proc.wait(timeout=30)
    finally:
        first.close()
    assert all(d.exists() for d in first_dirs), "a SIGKILL leaves the folders behind"
    following = _Up(artifact, build, "python-256")
    following.proc.send_signal(signal.SIGTERM)
    assert following.proc.wait(timeout=30) == 143
    following.close()
    assert not any(d.exists() for d in first_dirs)
    assert not (build / "emulator.lock").exists()


def test_up_hosts_a_stack_at_another_memory_size_seeing_lambdas_cpu_count(
    artifact: Path, tmp_path: Path
) -> None:
    from emulator.instance._cgroups import lambda_vcpus

    build = tmp_path / "build"
    up = _Up(artifact, build, "python-512@1024")
    try:
        assert set(up.urls) == {"python-512-at-1024"}
        assert up.doc["stacks"]["python-512-at-1024"]["settings"]["memory_mb"] == 1024
        assert up.health("python-512-at-1024").status_code == 200
        (pid,) = up.instance_pids("python-512-at-1024")
        host = os.sched_getaffinity(0)
        assert len(os.sched_getaffinity(pid)) == min(lambda_vcpus(1024), len(host))
        assert os.sched_getaffinity(pid) <= host
    finally:
        up.close()


def test_up_with_an_unknown_stack_says_so(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "emulator", "up", "no-such-stack", "--build-dir", str(tmp_path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "no-such-stack" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.anyio
@pytest.mark.java
async def test_java_bootstrap_cold_warm_crash(
    emulator_at: Callable[..., Any], make_spec: Callable[..., FunctionSpec], java_zip: Path
) -> None:
    spec = make_spec(language="java", handler="testfn.Handler::handleRequest", code_zip=java_zip)
    async with emulator_at([spec]) as run, httpx.AsyncClient(timeout=60) as client:
        first = await client.get(run.url() + "/pid")
        second = await client.get(run.url() + "/pid")
        assert first.status_code == second.status_code == 200, first.text
        a, b = first.json(), second.json()
        assert a["pid"] == b["pid"] and a["memory_mb"] == 512
        cmdline = Path(f"/proc/{a['pid']}/cmdline").read_bytes().split(b"\0")
        assert b"-XX:MaxRAM=512m" in cmdline and b"-XX:+UseSerialGC" in cmdline
        reports = {r.request_id: r for r in run.reports()}
        assert reports[a["request_id"]].init_duration_ms is not None
        assert reports[b["request_id"]].init_duration_ms is None
        assert f"java handler served {a['request_id']}" in run.log_text()
        raised = await client.get(run.url() + "/raise")
        assert raised.status_code == 500
        assert "IllegalStateException" in run.log_text()
        assert (await client.get(run.url() + "/pid")).json()["pid"] == a["pid"]
        crashed = await client.get(run.url() + "/crash")
        assert crashed.status_code == 500
        assert len(run.events(kind="crashed")) == 1
        after = (await client.get(run.url() + "/pid")).json()
        assert after["pid"] != a["pid"]


@pytest.mark.anyio
@pytest.mark.java
async def test_java_bootstrap_prefers_the_context_typed_overload(
    emulator_at: Callable[..., Any], make_spec: Callable[..., FunctionSpec], java_zip: Path
) -> None:
    with zipfile.ZipFile(java_zip) as archive:
        assert not any(name.startswith("com/") for name in archive.namelist())
    spec = make_spec(language="java", handler="testfn.Ranked::handleRequest", code_zip=java_zip)
    async with emulator_at([spec]) as run, httpx.AsyncClient(timeout=60) as client:
        response = await client.get(run.url() + "/any")
        assert response.status_code == 200, response.text
        assert response.headers["x-via"] == "context"
        assert response.headers["x-memory"] == "512"
        assert [r.request_id for r in run.reports()] == [response.headers["x-id"]]


@pytest.mark.anyio
@pytest.mark.java
async def test_real_java_package_answers_the_lambda_request_id(
    emulator_at: Callable[..., Any], artifact: Path, tmp_path: Path
) -> None:
    """The real archive (no com/amazonaws classes) under the bootstrap: the handler's
    Context-typed overload is called, so x-request-id is the REPORT line's RequestId, not API
    Gateway's id."""
    from emulator._stacks import spec_from_stack
    from stack import build_package, load_stack

    settings = load_stack("java-512", REPO)
    package = build_package(settings, artifact=artifact, out_dir=tmp_path / "packages", root=REPO)
    with zipfile.ZipFile(package.code_zip) as archive:
        assert not any(name.startswith("com/") for name in archive.namelist())
    # The package under test, behind an open gateway (authorisation:
    # tests/emulator/gateway/test_sigv4.py).
    spec = replace(spec_from_stack(settings, package), authorization="none")
    model = json.loads(HTTP_VECTORS.read_text())["model"]
    async with emulator_at([spec]) as run, httpx.AsyncClient(timeout=60) as client:
        answers = [
            await client.post(
                run.url(spec.name) + "/predict", json={"instances": [_instance(model)]}
            )
            for _ in range(2)
        ]
        assert [a.status_code for a in answers] == [200, 200], answers[0].text
        assert all(a.headers["x-runtime"] == "java" for a in answers)
        reports = run.reports(spec.name)
        assert [r.request_id for r in reports] == [a.headers["x-request-id"] for a in answers]
        assert [r.cold_start for r in reports] == [True, False]
        # API Gateway's id is a different one, kept apart by the emulator's gateway.
        assert all(a.headers["apigw-requestid"] != a.headers["x-request-id"] for a in answers)


@pytest.mark.anyio
async def test_real_python_package_in_process(
    emulator_at: Callable[..., Any], artifact: Path, tmp_path: Path
) -> None:
    from emulator._stacks import spec_from_stack
    from stack import build_package, load_stack

    settings = load_stack("python-512-layer", REPO)
    package = build_package(settings, artifact=artifact, out_dir=tmp_path / "packages", root=REPO)
    spec = replace(spec_from_stack(settings, package), authorization="none")
    assert spec.layer_zip is not None
    model = json.loads(HTTP_VECTORS.read_text())["model"]
    async with emulator_at([spec]) as run, httpx.AsyncClient(timeout=30) as client:
        response = await client.post(
            run.url(spec.name) + "/predict", json={"instances": [_instance(model)]}
        )
        assert response.status_code == 200, response.text
        assert response.headers["x-model-version"] == model["model_version"]
        bad = await client.post(
            run.url(spec.name) + "/predict",
            content=b"not json",
            headers={"content-type": "application/json"},
        )
        assert bad.status_code == 400
        report = run.reports(spec.name)
        assert [r.cold_start for r in report] == [True, False]
        assert report[0].request_id == response.headers["x-request-id"]


def test_loadgen_signs_for_an_iam_stack_and_unsigned_requests_get_403(
    artifact: Path, tmp_path: Path
) -> None:
    """Real processes and sockets: the emulator hosting an IAM-authorised stack, the load
    generator's command line signing (auto) or not (never)."""
    build = tmp_path / "build"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "emulator",
            "up",
            "python-256",
            "--artifact",
            str(artifact),
            "--build-dir",
            str(build),
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={k: v for k, v in os.environ.items() if not k.startswith("AWS_")},
    )
    endpoints = build / "endpoints.json"
    try:
        deadline = time.monotonic() + 240
        while not endpoints.exists():
            assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
            assert time.monotonic() < deadline, "emulator did not come up"
            time.sleep(0.2)
        features = ",".join(
            i["name"] for i in json.loads(HTTP_VECTORS.read_text())["model"]["inputs"]
        )
        runs = {}
        for sign in ("auto", "never"):
            done = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "loadgen",
                    "rate",
                    "--stack",
                    "python-256",
                    "--endpoints",
                    str(endpoints),
                    "--rate",
                    "10:1s",
                    "--features",
                    features,
                    "--quiet",
                    "--results",
                    str(tmp_path / "results"),
                    "--run-id",
                    sign,
                    "--sign",
                    sign,
                ],
                cwd=REPO,
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
                # no AWS credentials here: the emulator's endpoints file states its local ones
                env={
                    **{k: v for k, v in os.environ.items() if not k.startswith("AWS_")},
                    "AWS_CONFIG_FILE": "/nonexistent",
                    "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
                    "AWS_EC2_METADATA_DISABLED": "true",
                },
            )
            # unsigned, every attempt is refused: the run measured nothing (exit 3)
            assert done.returncode == (0 if sign == "auto" else 3), done.stderr
            folder = tmp_path / "results" / sign / "python-256" / "rate"
            runs[sign] = [
                json.loads(line) for line in (folder / "requests.jsonl").read_text().splitlines()
            ]
        assert runs["auto"] and {r["status"] for r in runs["auto"]} == {200}
        assert runs["never"] and {r["status"] for r in runs["never"]} == {403}
        assert {r["detail"] for r in runs["never"]} == {'{"message":"Forbidden"}'}
        run_json = json.loads(
            (tmp_path / "results" / "auto" / "python-256" / "rate" / "run.json").read_text()
        )
        assert run_json["target"]["signing"]["access_key_id"] == "AKIAIOSFODNN7EXAMPLE"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 143
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if proc.stdout:
            proc.stdout.close()


@pytest.mark.anyio
async def test_real_python_package_provisioned_first_answer_is_warm(
    emulator_at: Callable[..., Any], artifact: Path, tmp_path: Path
) -> None:
    from emulator._stacks import spec_from_stack
    from stack import build_package, load_stack

    settings = load_stack("python-512-provisioned", REPO)
    package = build_package(settings, artifact=artifact, out_dir=tmp_path / "packages", root=REPO)
    # One provisioned instance is enough to show it (the stack asks for 2).
    # The client is unsigned: the gateway is opened (authorisation is tested in
    # gateway/test_sigv4.py).
    spec = replace(
        spec_from_stack(settings, package), provisioned_concurrency=1, authorization="none"
    )
    async with emulator_at([spec]) as run, httpx.AsyncClient(timeout=30) as client:
        first = await client.get(run.url(spec.name) + "/health")
        assert first.status_code == 200, first.text
        assert first.headers["x-cold-start"] == "false"
        assert first.headers["x-init-type"] == "provisioned-concurrency"
        assert [r.cold_start for r in run.reports(spec.name)] == [False]


async def _restored_twice(emulator_at: Callable[..., Any], spec: FunctionSpec) -> None:
    async with emulator_at([spec]) as run, httpx.AsyncClient(timeout=60) as client:
        url = run.url(spec.name) + "/health"
        # Two requests at once: no instance is idle, so each gets its own restored instance.
        answers = await asyncio.gather(client.get(url), client.get(url))
        assert [a.status_code for a in answers] == [200, 200], answers[0].text
        for a in answers:
            assert (a.headers["x-init-type"], a.headers["x-cold-start"]) == ("snap-start", "false")
            assert a.headers["x-restore"] == "true" and "x-init-ms" not in a.headers
        assert answers[0].headers["x-instance-id"] != answers[1].headers["x-instance-id"]
        reasons = [e["reason"] for e in run.events(spec.name, kind="started")]
        assert reasons == ["snapshot", "restore", "restore"]
        reports = run.reports(spec.name)
        assert [(r.restore, r.cold_start) for r in reports] == [(True, False)] * 2


@pytest.mark.anyio
async def test_real_python_package_snapstart_restores(
    emulator_at: Callable[..., Any], artifact: Path, tmp_path: Path
) -> None:
    from emulator._stacks import spec_from_stack
    from stack import build_package, load_stack

    # python3.12 supports SnapStart; no committed stack uses it, so python-512 is given it here.
    settings = load_stack("python-512", REPO)
    package = build_package(settings, artifact=artifact, out_dir=tmp_path / "packages", root=REPO)
    spec = replace(spec_from_stack(settings, package), snapstart=True, authorization="none")
    await _restored_twice(emulator_at, spec)


@pytest.mark.anyio
@pytest.mark.java
async def test_real_java_package_snapstart_restores(
    emulator_at: Callable[..., Any], artifact: Path, tmp_path: Path
) -> None:
    from emulator._stacks import spec_from_stack
    from stack import build_package, load_stack

    settings = load_stack("java-1024-snapstart", REPO)
    package = build_package(settings, artifact=artifact, out_dir=tmp_path / "packages", root=REPO)
    spec = replace(spec_from_stack(settings, package), authorization="none")
    assert spec.snapstart
    await _restored_twice(emulator_at, spec)


@pytest.mark.anyio
async def test_real_onnx_package_serves_the_vectors_with_the_hosts_onnxruntime(
    emulator_at: Callable[..., Any], artifact: Path, tmp_path: Path
) -> None:
    """The python-onnx-512 stack's package (function, model.zip, model.onnx) hosted end to end:
    the emulator gives its instances onnxruntime built for the host, and the function answers
    the test vectors as the evaluator does, cold then warm."""
    pytest.importorskip("onnxruntime", reason="the frameworks extra is not installed")
    from emulator._stacks import spec_from_stack
    from model import read_artifact
    from model._export import write_exports
    from stack import build_package, load_stack
    from stack._frameworks import DependencyTarget, dependency_dir, framework_requirements

    write_exports(artifact, read_artifact(artifact))
    settings = load_stack("python-onnx-512", REPO)
    # The zip's own wheels (python3.12, manylinux) play no part here: the emulator puts the
    # host's onnxruntime first (tests/stack/test_frameworks_real.py builds and serves
    # the real ones). An empty cached tree keeps this test off the network.
    deps_cache = tmp_path / "deps"
    dependency_dir(
        framework_requirements("onnx", settings.architecture, REPO),
        DependencyTarget.for_lambda(settings.runtime, settings.architecture),
        deps_cache,
    ).mkdir(parents=True)
    package = build_package(
        settings, artifact=artifact, out_dir=tmp_path / "packages", root=REPO, deps_cache=deps_cache
    )
    with zipfile.ZipFile(package.code_zip) as archive:
        assert {"app.py", "_onnx.py", "model.zip", "model.onnx"} <= set(archive.namelist())
    spec = replace(spec_from_stack(settings, package), authorization="none")
    assert spec.model_runtime == "onnx"
    vectors = json.loads(HTTP_VECTORS.read_text())
    instances = [case["instance"] for case in vectors["cases"]]
    async with emulator_at([spec]) as run, httpx.AsyncClient(timeout=60) as client:
        answers = [
            await client.post(run.url(spec.name) + "/predict", json={"instances": instances})
            for _ in range(2)
        ]
        assert [a.status_code for a in answers] == [200, 200], answers[0].text
        assert [a.headers["x-cold-start"] for a in answers] == ["true", "false"]
        assert {a.headers["x-runtime"] for a in answers} == {"python-onnx"}
        for answer in answers:
            got = [p["probability"] for p in answer.json()["predictions"]]
            # docs/model-artifact.md bounds float32 against the vectors; 1e-5 is far within it.
            assert got == pytest.approx([c["probability"] for c in vectors["cases"]], abs=1e-5)
        bad = await client.post(
            run.url(spec.name) + "/predict",
            content=b"not json",
            headers={"content-type": "application/json"},
        )
        assert bad.status_code == 400 and bad.headers["x-runtime"] == "python-onnx"
        reports = run.reports(spec.name)
        assert [r.cold_start for r in reports] == [True, False, False]
        assert reports[0].init_duration_ms is not None and reports[0].init_duration_ms > 0
        deps = run.emu.dependency_dirs[spec.name]
        assert (deps / "onnxruntime" / "__init__.py").is_file()


def test_up_with_its_stdout_closed_still_stops_cleanly(artifact: Path, tmp_path: Path) -> None:
    # `python -m emulator up ... | head -2`: the console is gone when the emulator stops.
    build = tmp_path / "build"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "emulator",
            "up",
            "python-256",
            "--artifact",
            str(artifact),
            "--build-dir",
            str(build),
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    endpoints = build / "endpoints.json"
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + 240
        while "Ctrl-C stops" not in proc.stdout.readline():
            assert proc.poll() is None and time.monotonic() < deadline, "emulator did not come up"
        assert endpoints.exists()
        proc.stdout.close()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 143
        _, errors = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert "Traceback" not in errors and "BrokenPipeError" not in errors, errors
    assert not endpoints.exists()
