"""endpoints.json's typed writer: byte-identical rewrites, write -> read -> equal, clear errors."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from resultfiles import (
    DependencyFolder,
    EndpointsFile,
    HostedStack,
    InitCpuModel,
    MemoryLimitModel,
    PackageFacts,
    RequestSet,
    ResultsError,
    StackLimits,
    WorkerStack,
    read_endpoints,
    write_endpoints,
)

#: endpoints.json as the emulator wrote it before its writer was typed (from fixed inputs,
#: machine-dependent values scrubbed: tests/emulator/test_endpoints_doc.py)
WRITTEN = Path(__file__).resolve().parent / "written" / "endpoints" / "endpoints.json"


def _written() -> dict[str, object]:
    data: dict[str, object] = json.loads(WRITTEN.read_text(encoding="utf-8"))
    return data


def test_the_written_file_reads_and_rewrites_byte_for_byte(tmp_path: Path) -> None:
    document = EndpointsFile.from_json(_written())
    path = tmp_path / "endpoints.json"
    write_endpoints(path, document)
    assert path.read_bytes() == WRITTEN.read_bytes()
    assert EndpointsFile.from_json(json.loads(path.read_text(encoding="utf-8"))) == document


def test_the_written_file_covers_each_kind_of_entry() -> None:
    document = EndpointsFile.from_json(_written())
    kinds = {name: type(entry) for name, entry in document.stacks.items()}
    assert kinds == {
        "python-512": HostedStack,
        "python-512-provisioned": HostedStack,
        "cpu-bound": HostedStack,
        "loadgen-workers": WorkerStack,
    }
    function = document.stacks["cpu-bound"]
    assert isinstance(function, HostedStack) and function.package is not None
    assert function.package.function and function.package.handler == "app.handler"
    assert function.requests == RequestSet(file=None, expect_field=None)
    assert document.init_cpu.burst_vcpu == 2.0 and document.python_instances is not None


DOCUMENT = EndpointsFile(
    stacks={
        "python-512": HostedStack(
            url="http://127.0.0.1:9001",
            authorization="none",
            settings={"memory_mb": 512},
            log="build/logs/python-512.log",
            limits=StackLimits(
                api_throttle_rate=10,
                api_throttle_burst=5,
                reserved_concurrency=None,
                provisioned_concurrency=None,
            ),
            cpu_samples="logs/python-512.cpu.jsonl",
            access_log="/abs/python-512.access.jsonl",
            unreserved_concurrency=1000,
            package=PackageFacts(
                kind="zip",
                code_bytes=10,
                unzipped_bytes=20,
                layer_bytes=0,
                model_runtime="artifact",
            ),
        ),
        "my-fn": HostedStack(
            url="http://127.0.0.1:9002",
            authorization="iam",
            settings={"kind": "function"},
            log="l",
            limits=StackLimits(
                api_throttle_rate=1.5,
                api_throttle_burst=1,
                reserved_concurrency=3,
                provisioned_concurrency=None,
            ),
            cpu_samples="c",
            access_log="a",
            dependencies=DependencyFolder(folder="/deps", distributions={"numpy": "2.0"}),
            package=PackageFacts(
                kind="image",
                code_bytes=1,
                unzipped_bytes=2,
                layer_bytes=3,
                function=True,
                handler="app.handler",
                requirements=("numpy",),
            ),
            requests=RequestSet(file="examples/requests.json", expect_field="label"),
        ),
        "workers": WorkerStack(
            kind="loadgen-worker",
            function_name="workers",
            bucket="b",
            prefix="runs",
            lambda_endpoint="http://127.0.0.1:9100",
            s3_endpoint=None,
            region="us-east-1",
            memory_mb=1769,
            timeout_s=900,
            workers_max=None,
            settings={},
            log="w.log",
            cpu_samples="w.cpu",
            access_log="w.access",
            package=PackageFacts(kind="zip", code_bytes=1, unzipped_bytes=2, requirements=()),
        ),
    },
    credentials={"access_key_id": "AKIA", "source": "environment"},
    lambda_endpoint="http://127.0.0.1:9100",
    s3_endpoint=None,
    cpu_limited=False,
    cpu_limit_reason="no cgroup",
    init_cpu=InitCpuModel(mode="burst", applied=False, description="unthrottled"),
    memory_limit=MemoryLimitModel(mode="watchdog", description="sampled"),
    python_instances=None,
    time_scale=1.0,
    network_path={"client_rtt_ms": 0.5, "gateway_latency_ms": 10.0, "added_ms": 10.5},
    hosted_by={"python": "3.11.7", "java": None},
    started_at="2026-01-01T00:00:00+00:00",
    pid=42,
)


def test_write_then_read_gives_the_same_document(tmp_path: Path) -> None:
    path = tmp_path / "build" / "endpoints.json"
    returned = write_endpoints(path, DOCUMENT)
    assert read_endpoints(path) == returned
    data = json.loads(path.read_text(encoding="utf-8"))
    assert EndpointsFile.from_json(data) == DOCUMENT
    # keys a writer has nothing to state for are absent, not null
    assert "unreserved_concurrency" not in data["stacks"]["my-fn"]
    assert "requests" not in data["stacks"]["python-512"]
    assert "burst_vcpu" not in data["init_cpu"] and data["python_instances"] is None
    assert data["stacks"]["workers"]["package"] == {
        "kind": "zip",
        "code_bytes": 1,
        "unzipped_bytes": 2,
        "requirements": [],
    }
    # what the load generator and the report read from it
    assert returned.stacks["my-fn"].requests == RequestSet(
        file="examples/requests.json", expect_field="label"
    )
    assert returned.stacks["python-512"].entry["api_throttle_rate"] == 10
    assert returned.stacks["workers"].url is None and returned.pid == 42


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("pid",), "42", "endpoints.json: 'pid' is not an integer"),
        (
            ("stacks", "python-512", "url"),
            None,
            "endpoints.json stacks.python-512: 'url' is not a string",
        ),
        (
            ("stacks", "my-fn", "package", "code_bytes"),
            1.5,
            "endpoints.json stacks.my-fn package: 'code_bytes' is not an integer",
        ),
        (("init_cpu", "applied"), "yes", "endpoints.json init_cpu: 'applied' is not true or false"),
        (("credentials", "source"), 1, "endpoints.json: 'credentials' is not an object of strings"),
    ],
)
def test_a_damaged_key_is_named_in_one_line(
    path: tuple[str, ...], value: object, message: str
) -> None:
    data = copy.deepcopy(DOCUMENT.to_json())
    inner = data
    for key in path[:-1]:
        inner = inner[key]  # type: ignore[assignment]
    inner[path[-1]] = value
    with pytest.raises(ResultsError) as caught:
        EndpointsFile.from_json(data)
    assert str(caught.value).startswith(message) and "\n" not in str(caught.value)


def test_a_missing_key_is_named(tmp_path: Path) -> None:
    data = DOCUMENT.to_json()
    del data["memory_limit"]
    with pytest.raises(ResultsError, match="endpoints.json: 'memory_limit' is missing"):
        EndpointsFile.from_json(data)
