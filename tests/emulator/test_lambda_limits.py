"""What an instance sees and what Lambda's limits do to it, with real instance processes: only its
package plus AWS's runtime on the import path; the memory limit's kill; the init limit's retry;
the init phase's CPU."""

from __future__ import annotations

import os
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from emulator import FunctionSpec
from emulator._spec import INIT_BURST_VCPU
from emulator.instance._cgroups import CFS_PERIOD_US, Cgroups, cpu_quota_us

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

Start = Callable[..., Any]
MakeSpec = Callable[..., FunctionSpec]


async def _get(client: httpx.AsyncClient, url: str) -> httpx.Response:
    return await client.get(url, timeout=30)


def _require_cgroups() -> None:
    probe = Cgroups(Path("/sys/fs/cgroup"), tag=f"probe-{os.getpid()}")
    probe.close()
    if not probe.support.limited:
        pytest.skip(f"cgroups not writable here: {probe.support.reason}")


async def test_a_library_the_package_does_not_hold_fails_init_as_on_aws(
    emulator_at: Start, make_spec: MakeSpec
) -> None:
    import numpy  # noqa: F401  the emulator's own interpreter has it; the instance must not

    spec = make_spec(environment={"TEST_INIT_IMPORT": "numpy"})
    async with emulator_at([spec]) as run, httpx.AsyncClient() as client:
        response = await _get(client, run.url() + "/pid")
        assert response.status_code == 500
        assert response.json() == {"message": "Internal Server Error"}
        log = run.log_text()
        assert "Runtime.ImportModuleError" in log and "No module named 'numpy'" in log
        assert "Phase: init\tStatus: error\tError Type: Runtime.ImportModuleError" in log
        failed = run.events(kind="init_failed")
        assert failed[0]["error_type"] == "Runtime.ImportModuleError"


async def test_the_runtime_provides_boto3_and_a_dependency_folder_adds_packages(
    emulator_at: Start, make_spec: MakeSpec, python_zip: Path, tmp_path: Path
) -> None:
    package = tmp_path / "package"  # a package folder: the unzipped archive
    with zipfile.ZipFile(python_zip) as archive:
        archive.extractall(package)
    deps = tmp_path / "deps"
    deps.mkdir()
    (deps / "extra_dependency.py").write_text("VALUE = 1\n")
    spec = make_spec(code_zip=package, dependencies_dir=deps)
    async with emulator_at([spec]) as run, httpx.AsyncClient() as client:
        url = run.url() + "/import?name="
        for provided in ("boto3", "botocore", "awslambdaric", "extra_dependency"):
            assert (await _get(client, url + provided)).json()["imported"], provided
        for absent in ("numpy", "aiohttp", "emulator", "pytest"):
            answer = (await _get(client, url + absent)).json()
            assert not answer["imported"] and absent in answer["error"], absent


async def test_the_dependency_folder_comes_before_the_packages_own_wheels(
    emulator_at: Start, make_spec: MakeSpec, python_zip: Path, tmp_path: Path
) -> None:
    # A framework package holds its dependencies built for python3.12 (AWS's); the emulator's
    # folder built for the host's Python must win, the task root (the working directory, which
    # `python -m` would put first) included.
    package = tmp_path / "package"
    with zipfile.ZipFile(python_zip) as archive:
        archive.extractall(package)
    (package / "shadowed_dependency.py").write_text("WHERE = 'package'\n")
    deps = tmp_path / "deps"
    deps.mkdir()
    (deps / "shadowed_dependency.py").write_text("WHERE = 'dependency folder'\n")
    spec = make_spec(code_zip=package, dependencies_dir=deps)
    async with emulator_at([spec]) as run, httpx.AsyncClient() as client:
        answer = (await _get(client, run.url() + "/import?name=shadowed_dependency")).json()
        assert answer["imported"] and Path(answer["file"]).parent.name == "deps"


async def test_an_instance_past_its_memory_is_killed_as_lambda_reports_it(
    emulator_at: Start, make_spec: MakeSpec
) -> None:
    _require_cgroups()
    async with emulator_at([make_spec(memory_mb=128)]) as run, httpx.AsyncClient() as client:
        pid = (await _get(client, run.url() + "/pid")).json()["pid"]
        response = await _get(client, run.url() + "/allocate?mb=400")
        assert response.status_code == 500
        assert response.json() == {"message": "Internal Server Error"}
        crashed = run.events(kind="crashed")
        assert len(crashed) == 1 and crashed[0]["pid"] == pid
        assert crashed[0]["error_type"] == "Runtime.OutOfMemory"
        assert "Runtime exited with error: signal: killed" in run.log_text()
        failed = [r for r in run.reports() if r.status == "error"]
        assert len(failed) == 1 and failed[0].error_type == "Runtime.OutOfMemory"
        assert failed[0].max_memory_used_mb >= 100
        after = (await _get(client, run.url() + "/pid")).json()
        assert after["pid"] != pid, "the next request gets a fresh instance"


def _package_with_a_big_file(python_zip: Path, tmp_path: Path, size_mb: int) -> Path:
    """The test function plus ``data.bin``, ``size_mb`` of zeros (sparse: written in no time)."""
    package = tmp_path / "package"
    with zipfile.ZipFile(python_zip) as archive:
        archive.extractall(package)
    with open(package / "data.bin", "wb") as f:
        f.truncate(size_mb * 1024 * 1024)
    return package


async def test_file_pages_past_the_memory_size_are_held_to_it_as_in_a_microvm(
    emulator_at: Start, make_spec: MakeSpec, python_zip: Path, tmp_path: Path
) -> None:
    # A 200 MB file of the package, mapped and read at 128 MB: in a Lambda environment its pages
    # fill the environment's memory and the kernel reclaims the clean ones, so the read succeeds
    # and Max Memory Used stops at the memory size. The host's page cache must not lend them.
    # At 128 MB the instance has 7.2 % of a CPU, and faulting pages in through its memory cgroup
    # costs CPU that varies several-fold with the host's disk traffic (the instance's copy of the
    # package is real data): the timeout is sized to that work on a busy host (25 s: 1.8 CPU-s
    # at that share, within API Gateway's 30 s), not to a quiet machine's.
    _require_cgroups()
    package = _package_with_a_big_file(python_zip, tmp_path, 200)
    spec = make_spec(memory_mb=128, code_zip=package, timeout_s=25.0)
    async with emulator_at([spec]) as run, httpx.AsyncClient() as client:
        assert run.emu.memory_limit.mode == "cgroup"
        response = await _get(client, run.url() + "/map-file?name=data.bin")
        assert response.status_code == 200 and response.json()["mb"] == 200
        (report,) = run.reports()
        assert report.status is None
        assert 64 <= report.max_memory_used_mb <= 128, report.max_memory_used_mb
        assert not run.events(kind="crashed")


async def test_without_memory_cgroups_the_watchdog_kills_past_the_memory_size_and_says_so(
    emulator_at: Start, make_spec: MakeSpec, python_zip: Path, tmp_path: Path
) -> None:
    package = _package_with_a_big_file(python_zip, tmp_path, 300)
    spec = make_spec(memory_mb=128, code_zip=package)
    no_cgroups = tmp_path / "no-cgroup-fs"
    no_cgroups.mkdir()
    async with emulator_at([spec], cgroup_root=no_cgroups) as run, httpx.AsyncClient() as client:
        assert run.emu.memory_limit.mode == "watchdog"
        assert "no memory cgroup" in run.emu.memory_limit.description
        (started,) = run.events(kind="emulator_started")
        assert started["memory_limit"] == "watchdog"
        response = await _get(client, run.url() + "/map-file?name=data.bin&hold_s=3")
        assert response.status_code == 500
        assert response.json() == {"message": "Internal Server Error"}
        (killed,) = run.events(kind="out_of_memory")
        assert killed["resident_mb"] > 128
        (report,) = run.reports()
        assert report.status == "error" and report.error_type == "Runtime.OutOfMemory"
        assert report.max_memory_used_mb > 128
        assert "Runtime exited with error: signal: killed" in run.log_text()


async def test_an_init_over_the_init_limit_is_retried_inside_the_first_invocation(
    emulator_at: Start, make_spec: MakeSpec
) -> None:
    # Init sleeps 1.5 s: over the (shortened) 1 s init limit, within the function timeout,
    # which is sized for the retried init's own start-up on a busy host (not 5 s: 1.5 s of
    # sleep and the runtime's start on a 512 MB share of a loaded CPU came close).
    spec = make_spec(timeout_s=20.0, environment={"TEST_INIT_SLEEP_S": "1.5"})
    async with emulator_at([spec], init_timeout_s=1.0) as run, httpx.AsyncClient() as client:
        response = await _get(client, run.url() + "/pid")
        assert response.status_code == 200
        request_id = response.json()["request_id"]
        log = run.log_text()
        assert "INIT_REPORT Init Duration: " in log and "Phase: init\tStatus: timeout" in log
        assert log.index("Phase: init\tStatus: timeout") < log.index(
            f"START RequestId: {request_id}"
        )
        (report,) = run.reports()
        assert report.request_id == request_id and report.status is None
        # The retried init is part of the invocation: in its Duration and its bill, not an Init.
        assert report.init_duration_ms is None
        assert report.duration_ms >= 1500 and report.billed_duration_ms >= 1500
        failed = run.events(kind="init_failed")
        assert len(failed) == 1 and failed[0]["reason"] == "init_timeout"
        reasons = [e["reason"] for e in run.events(kind="started")]
        assert reasons == ["cold start", "init retried in invoke"]


async def test_a_retried_init_over_the_function_timeout_times_the_invocation_out(
    emulator_at: Start, make_spec: MakeSpec
) -> None:
    spec = make_spec(timeout_s=1.0, environment={"TEST_INIT_SLEEP_S": "30"})
    async with emulator_at([spec], init_timeout_s=1.0) as run, httpx.AsyncClient() as client:
        response = await _get(client, run.url() + "/pid")
        assert response.status_code == 500
        log = run.log_text()
        assert "Phase: init\tStatus: timeout" in log
        assert "Phase: invoke\tStatus: timeout" in log
        assert "Task timed out after 1.00 seconds" in log
        (report,) = run.reports()
        assert report.status == "timeout" and report.init_duration_ms is None


@pytest.mark.parametrize("mode", ["burst", "share"])
async def test_init_cpu_burst_then_the_memory_share(
    emulator_at: Start, make_spec: MakeSpec, mode: str
) -> None:
    _require_cgroups()
    async with (
        emulator_at([make_spec(memory_mb=256)], init_cpu=mode) as run,
        httpx.AsyncClient() as client,
    ):
        quota = (await _get(client, run.url() + "/cpu-quota")).json()
        share = cpu_quota_us(256)
        burst = max(share, round(CFS_PERIOD_US * INIT_BURST_VCPU))
        assert int(quota["init"]) == (burst if mode == "burst" else share)
        assert int(quota["now"]) == share
        assert run.events(kind="emulator_started")[0]["init_cpu"] == mode


async def test_a_litert_package_gets_its_dependencies_built_for_the_host(
    emulator_at: Start, make_spec: MakeSpec, python_env_dir: Path
) -> None:
    pytest.importorskip("ai_edge_litert", reason="the frameworks extra is not installed")
    spec = make_spec(memory_mb=1024, model_runtime="litert")
    async with emulator_at([spec]) as run, httpx.AsyncClient() as client:
        deps = run.emu.dependency_dirs["fn"]
        assert deps == python_env_dir / "stacks" / "fn" / "litert"  # one copy per stack
        for name in ("numpy", "ai_edge_litert"):
            answer = (await _get(client, run.url() + f"/import?name={name}")).json()
            assert answer["imported"], answer
            assert Path(answer["file"]).is_relative_to(deps)
        # the artifact runtime's stacks get none: numpy stays out of their sight
        assert (await _get(client, run.url() + "/import?name=tensorflow")).json()[
            "imported"
        ] is False


async def test_an_onnx_package_gets_its_dependencies_built_for_the_host(
    emulator_at: Start, make_spec: MakeSpec, python_env_dir: Path
) -> None:
    pytest.importorskip("onnxruntime", reason="the frameworks extra is not installed")
    spec = make_spec(memory_mb=512, model_runtime="onnx")
    async with emulator_at([spec]) as run, httpx.AsyncClient() as client:
        deps = run.emu.dependency_dirs["fn"]
        assert deps == python_env_dir / "stacks" / "fn" / "onnx"  # one copy per stack
        for name in ("numpy", "onnxruntime"):
            answer = (await _get(client, run.url() + f"/import?name={name}")).json()
            assert answer["imported"], answer
            assert Path(answer["file"]).is_relative_to(deps)
        # nothing of the other frameworks comes with it
        assert (await _get(client, run.url() + "/import?name=ai_edge_litert")).json()[
            "imported"
        ] is False
