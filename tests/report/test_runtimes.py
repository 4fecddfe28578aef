"""The model-runtime section, from synthetic result folders and logs (scenario 1 alone)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, cast

import pytest

from emulator.instance._memory import memory_limit
from loadgen.transport._target import resolve_stack
from model import write_artifact
from report._markdown import write_report
from report._reading import collect, load_report_lines
from report._runtimes import runtime_figures
from resultfiles import HostedStack

from ..support.paths import REPO
from ..support.runtime_stacks import STACKS

if TYPE_CHECKING:
    from emulator import Emulator


def _write(root: Path) -> Path:
    for stack, spec in STACKS.items():
        folder = root / stack / "scenario1"
        folder.mkdir(parents=True)
        target = {
            "name": stack,
            "source": spec["source"],
            "settings": spec["settings"],
            "cpu_limited": True,
            "package": spec["package"],
            "init_cpu": {"mode": "burst", "applied": True, "description": "2 vCPU, then the share"},
        }
        (folder / "run.json").write_text(
            json.dumps(
                {
                    "run_id": "fw",
                    "scenario": "scenario1",
                    "time_scale": 20.0,
                    "batch": 1,
                    "target": target,
                }
            )
        )
        lines = []
        for seq, (latency_ms, error, request_id) in enumerate(spec["records"]):
            lines.append(
                json.dumps(
                    {
                        "seq": seq,
                        "user": 0,
                        "stage": 0,
                        "start_s": seq * 20.0,
                        "intended_s": seq * 20.0,
                        "latency_us": int(latency_ms * 1000),
                        "status": 500 if error else 200,
                        "error": error,
                        "cold_start": None if error else seq == 0,
                        "instance_id": None,
                        "init_ms": None,
                        "model_version": "v1",
                        "request_id": request_id,
                        "phase": "probe",
                    }
                )
            )
        (folder / "requests.jsonl").write_text("\n".join(lines) + "\n")
        (folder / "timeline.csv").write_text(
            "second,hits,ok,errors,throttled,cold_starts,users,mean_ms,max_ms,p50_ms,p99_ms\n"
            f"0,{len(lines)},0,0,0,0,1,,,,\n"
        )
        errors = sum(1 for r in spec["records"] if r[1])
        (folder / "summary.json").write_text(
            json.dumps(
                {
                    "complete": True,
                    "requests": len(lines),
                    "ok": len(lines) - errors,
                    "error_total": errors,
                    "notes": [],
                }
            )
        )
        (root / "logs").mkdir(exist_ok=True)
        (root / "logs" / f"{stack}.log").write_text("".join(spec["log"]))
    return root


@pytest.fixture()
def results(tmp_path: Path) -> Path:
    return _write(tmp_path / "results" / "fw")


def test_scenario1_alone_gives_every_figure(results: Path) -> None:
    runs = {run.target: [run] for run in collect([results])}
    reports, _ = load_report_lines(sorted((results / "logs").glob("*.log")))
    tf = runtime_figures(
        "python-tf-256", runs["python-tf-256"], reports, results / "logs" / "python-tf-256.log"
    )
    assert (tf.model_runtime, tf.memory_mb, tf.requests, tf.failed_requests) == (
        "tensorflow",
        256,
        4,
        3,
    )
    assert tf.cold_starts == 1 and tf.init_duration_p50_ms == 9100.0
    assert tf.cold_latency_p50_ms == 9500.0
    assert tf.max_memory_used_mb == 256
    assert tf.failures == {
        "out of memory": 2,
        "init timeout": 2,
        "init failure": 0,
        "function timeout": 0,
        "other": 0,
    }
    litert = runtime_figures(
        "python-litert-512",
        runs["python-litert-512"],
        reports,
        results / "logs" / "python-litert-512.log",
    )
    assert (litert.init_duration_p50_ms, litert.init_duration_max_ms) == (420.0, 420.0)
    assert (litert.warm_requests, litert.warm_p50_ms, litert.warm_p99_ms) == (2, 15.0, 16.0)
    assert litert.max_memory_used_mb == 91 and not any((litert.failures or {}).values())


def test_the_report_has_the_model_runtime_section(results: Path, tmp_path: Path) -> None:
    text = write_report([results], tmp_path / "out").read_text()
    section = text.split("## Model runtime", 1)[1].split("\n## ", 1)[0]
    assert "Init-phase CPU: burst: 2 vCPU, then the share" in section
    rows = {
        line.split("|")[1].strip(): [c.strip() for c in line.strip("|").split("|")]
        for line in section.splitlines()
        if line.startswith("| python-")
    }
    # artifact first, then litert, onnx and tensorflow
    assert list(rows) == ["python-512", "python-litert-512", "python-onnx-512", "python-tf-256"]
    litert = rows["python-litert-512"]
    assert litert[1:4] == ["litert", "512", "zip 23.0 MB (74.0 MB unzipped)"]
    assert litert[7:] == ["420", "420", "600", "600", "2", "15.0", "16.0", "91", "none"]
    # ONNX Runtime's row beside it: its package, its cold start (Init Duration, the cold
    # request's latency), its warm requests, its memory and no failures
    onnx = rows["python-onnx-512"]
    assert onnx[1:4] == ["onnx", "512", "zip 27.0 MB (81.0 MB unzipped)"]
    assert onnx[4:7] == ["3", "0", "1"]
    assert onnx[7:] == ["180", "180", "350", "350", "2", "13.0", "14.0", "71", "none"]
    assert "with ONNX Runtime (`onnx`)" in section
    tf = rows["python-tf-256"]
    assert tf[3].startswith("image: function and model 2.0 MB")
    assert rows["python-512"][3].startswith("not stated") and "tensorflow-cpu==2.21.0" in tf[3]
    assert tf[4:6] == ["4", "3"] and tf[-2:] == ["256", "out of memory 2, init timeout 2"]
    # an AWS run's package is not known here, and the report says so
    assert rows["python-512"][3].startswith("not stated")
    assert (
        "**python-tf-256** (tensorflow, 256 MB): 3 of 4 requests failed [C] (http_status 3); "
        "out of memory 2, init timeout 2 [S] (Runtime.OutOfMemory 2); "
        "Max Memory Used 256 of 256 MB (all of it: the limit bound;"
    ) in section


def test_no_framework_stack_no_section(results: Path, tmp_path: Path) -> None:
    for stack in ("python-litert-512", "python-onnx-512", "python-tf-256"):
        shutil.rmtree(results / stack)
    assert "## Model runtime" not in write_report([results], tmp_path / "out").read_text()


def test_the_emulator_states_the_package_and_the_run_carries_it(tmp_path: Path) -> None:
    from emulator._endpoints_doc import endpoints_document, package_entry
    from emulator._spec import EmulatorOptions
    from stack import build_package, load_stack

    model = json.loads((REPO / "tests" / "vectors" / "http.json").read_text())["model"]
    artifact = write_artifact(tmp_path / "model.zip", model)
    package = build_package(
        load_stack("python-512", REPO), artifact=artifact, out_dir=tmp_path / "packages", root=REPO
    )
    entry = package_entry(package)
    assert entry.kind == "zip" and entry.code_bytes == package.code_zip.stat().st_size
    assert entry.unzipped_bytes == package.unzipped_bytes > entry.code_bytes > 0
    assert entry.layer_bytes == 0
    # the document the emulator writes, from a stand-in for the running emulator
    emu = cast(
        "Emulator",
        SimpleNamespace(
            urls={"python-512": "http://127.0.0.1:9"},
            options=EmulatorOptions(log_dir=tmp_path / "logs", work_dir=tmp_path / "work"),
            sampler=SimpleNamespace(
                describe=lambda name: {
                    "cpu_samples": tmp_path / "logs" / f"{name}.cpu.jsonl",
                    "access_log": tmp_path / "logs" / f"{name}.access.jsonl",
                }
            ),
            dependency_dirs={},
            python_runtime_dir=None,
            cpu_limited=False,
            cpu_limit_reason="test",
            lambda_url="http://127.0.0.1:10",
            buckets_url=None,
            concurrency_limit=lambda name: 100,
            memory_limit=memory_limit(cgroup_limited=False, reason="test"),
        ),
    )
    settings = {"python-512": load_stack("python-512", REPO)}
    document = endpoints_document(emu, settings, tmp_path, {"python-512": package})
    stated = document.stacks["python-512"]
    assert isinstance(stated, HostedStack) and stated.package == entry
    endpoints = tmp_path / "endpoints.json"
    endpoints.write_text(json.dumps(document.to_json()))
    assert (
        resolve_stack("python-512", endpoints_file=endpoints).describe()["package"]
        == entry.to_json()
    )


def test_an_image_stack_is_stated_as_an_image_with_its_pins(tmp_path: Path) -> None:
    from dataclasses import replace

    from emulator._endpoints_doc import package_entry
    from stack import build_package, load_stack

    model = json.loads((REPO / "tests" / "vectors" / "http.json").read_text())["model"]
    zipped = build_package(
        load_stack("python-512", REPO),
        out_dir=tmp_path / "packages",
        root=REPO,
        artifact=write_artifact(tmp_path / "model.zip", model),
    )
    image = replace(
        zipped,
        image_context=tmp_path / "context",
        image_tag="abc",
        model_runtime="tensorflow",
        requirements=("tensorflow-cpu==2.21.0",),
    )
    entry = package_entry(image)
    assert entry.kind == "image" and entry.to_json()["requirements"] == ["tensorflow-cpu==2.21.0"]
    assert "requirements" not in package_entry(zipped).to_json()


def test_a_peak_over_the_memory_size_says_the_limit_did_not_hold(
    results: Path, tmp_path: Path
) -> None:
    log = results / "logs" / "python-litert-512.log"
    log.write_text(log.read_text().replace("Max Memory Used: 91 MB", "Max Memory Used: 600 MB"))
    section = write_report([results], tmp_path / "out").read_text().split("## Model runtime", 1)[1]
    assert (
        "**python-litert-512** (litert, 512 MB): 0 of 3 requests failed [C] (none); none [S]; "
        "Max Memory Used 600 of 512 MB (over its memory size: the limit did not bind in "
        "this run)."
    ) in section
    assert "python-litert-512: Max Memory Used 600 MB is over its memory size (512 MB)" in section


def test_a_peak_at_the_memory_size_is_a_finding_the_limit_bound(
    results: Path, tmp_path: Path
) -> None:
    # What the emulator reports when an instance's file pages fill its memory (TensorFlow at
    # 256 MB): a peak of exactly its size, which the report must not pass over as "no finding".
    log = results / "logs" / "python-litert-512.log"
    log.write_text(log.read_text().replace("Max Memory Used: 91 MB", "Max Memory Used: 512 MB"))
    section = write_report([results], tmp_path / "out").read_text().split("## Model runtime", 1)[1]
    assert (
        "**python-litert-512** (litert, 512 MB): 0 of 3 requests failed [C] (none); none [S]; "
        "Max Memory Used 512 of 512 MB (all of it: the limit bound;"
    ) in section
    assert "did not bind" not in section
