"""The emulator's ``endpoints.json`` document (emulator/_endpoints_doc.py), from fixed inputs:
byte for byte what the emulator wrote before its writer was typed (the reference was written
by this builder run on main's dictionary-building module, then scrubbed by ``_comparable``)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, cast

from emulator._endpoints_doc import endpoints_document
from emulator._spec import EmulatorOptions
from emulator.instance._memory import memory_limit
from resultfiles import EndpointsFile, write_endpoints
from stack import load_stack
from stack._functionpackage import FunctionPackage
from stack._workerpackage import WorkerPackage
from stack.package import Package

if TYPE_CHECKING:
    from emulator import Emulator

REPO = Path(__file__).resolve().parents[2]
WRITTEN = REPO / "tests" / "resultfiles" / "written" / "endpoints" / "endpoints.json"
#: the stacks of the fixed document: a model stack, a provisioned one, a function, a worker
STACKS = ("python-512", "python-512-provisioned", "cpu-bound", "loadgen-workers")


def _fixed_document(root: Path) -> EndpointsFile:
    """The emulator's document for four stacks, as a stand-in running emulator states it."""
    settings = {name: load_stack(name, REPO) for name in STACKS}
    runtime_dir = root / "python-runtime"
    deps = root / "deps"
    emu = cast(
        "Emulator",
        SimpleNamespace(
            urls={name: f"http://127.0.0.1:{9000 + i}" for i, name in enumerate(STACKS[:3])},
            options=EmulatorOptions(
                log_dir=root / "logs", work_dir=root / "work", init_cpu="burst", time_scale=0.5
            ),
            sampler=SimpleNamespace(
                describe=lambda name: {
                    "cpu_samples": root / "samples" / f"{name}.cpu.csv",
                    "access_log": Path("/elsewhere") / f"{name}.access.jsonl",
                }
            ),
            dependency_dirs={"cpu-bound": deps},
            python_runtime_dir=runtime_dir,
            cpu_limited=True,
            cpu_limit_reason="cgroup v2 delegated",
            lambda_url="http://127.0.0.1:9100",
            buckets_url="http://127.0.0.1:9101",
            concurrency_limit=lambda name: 900,
            memory_limit=memory_limit(cgroup_limited=False, reason="test"),
        ),
    )
    packages: dict[str, Package | FunctionPackage] = {
        "python-512": Package(
            code_zip=root / "a.zip",
            layer_zip=None,
            code_sha256_b64="x",
            layer_sha256_b64=None,
            handler="handler.handle",
            size_bytes=1234,
            model_version="m1",
            artifact=root / "model.zip",
            unzipped_bytes=5678,
        ),
        "python-512-provisioned": Package(
            code_zip=root / "b.zip",
            layer_zip=None,
            code_sha256_b64="x",
            layer_sha256_b64=None,
            handler="handler.handle",
            size_bytes=99,
            model_version="m1",
            artifact=root / "model.zip",
            unzipped_bytes=199,
            model_runtime="litert",
            requirements=("ai-edge-litert==1.0",),
            layer_size_bytes=7,
        ),
        "cpu-bound": FunctionPackage(
            code_zip=root / "c.zip",
            code_sha256_b64="x",
            handler="app.handler",
            size_bytes=42,
            unzipped_bytes=84,
            requirements=("numpy==2.0",),
            layer_bytes=3,
        ),
    }
    workers = {
        "loadgen-workers": WorkerPackage(
            code_zip=root / "w.zip",
            code_sha256_b64="x",
            handler="w.handler",
            size_bytes=11,
            unzipped_bytes=22,
            requirements=("anyio==4",),
            dependencies=deps,
        )
    }
    document = endpoints_document(emu, settings, root, packages, workers)
    return document


def _comparable(text: str, root: Path) -> str:
    """The file's text with what varies by machine and moment put to fixed values, and each
    stack's settings (the stack's to change, every field) cut to its name and memory size."""
    data = json.loads(text.replace(str(root), "<root>").replace(str(REPO), "<repo>"))
    for entry in data["stacks"].values():
        entry["settings"] = {key: entry["settings"][key] for key in ("name", "memory_mb")}
    data["started_at"], data["pid"] = "<started_at>", 0
    data["hosted_by"] = {"python": "<python>", "java": "<java>"}
    data["python_instances"]["interpreter"] = "<interpreter>"
    return json.dumps(data, indent=2, sort_keys=True) + "\n"


def test_the_document_is_written_byte_for_byte_as_before(tmp_path: Path) -> None:
    path = tmp_path / "out" / "endpoints.json"
    write_endpoints(path, _fixed_document(tmp_path))
    assert _comparable(path.read_text(), tmp_path) == WRITTEN.read_text()


def test_each_stack_states_all_its_settings(tmp_path: Path) -> None:
    path = tmp_path / "endpoints.json"
    write_endpoints(path, _fixed_document(tmp_path))
    stacks = json.loads(path.read_text())["stacks"]
    for name in STACKS:
        settings = load_stack(name, REPO)
        stated = stacks[name]["settings"]
        assert set(stated) == {f.name for f in dataclasses.fields(settings)}
        assert (stated["name"], stated["memory_mb"], stated["kind"]) == (
            name,
            settings.memory_mb,
            settings.kind,
        )
