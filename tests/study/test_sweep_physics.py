"""The physics check (docs/sweep.md, "The physics check"): a sweep of a CPU-bound,
single-threaded function (examples/cpu-bound) shows the one-vCPU knee. Duration falls in
proportion to memory below 1,769 MB (one vCPU's share) and stops falling beyond it.

Asserted at order of magnitude only, so that it holds on a loaded 2-core host, where a busy
host, not the share, sets the Duration of the large sizes (measured with load average 8 on 2
cores: the instance got a third of a CPU from 1,024 MB up). Below that, the quota binds
whatever the host does: 128 MB takes twice as long as 256 MB (asked: 1.5-2.6 times); 128 MB
takes 13.8 times as long as 1,769 MB on a quiet host (asked: 3 times, which holds while the
host gives the 1,769 MB instance more than a fifth of a CPU); 3,008 MB reads like 1,769 MB
(one thread: asked within 0.6-1.6 times)."""

from __future__ import annotations

import csv
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from emulator.instance._cgroups import Cgroups
from study.__main__ import main

from ..support.paths import REPO

pytestmark = [pytest.mark.slow]

EXAMPLE = REPO / "examples" / "cpu-bound"


def _require_cgroups() -> None:
    probe = Cgroups(Path("/sys/fs/cgroup"), tag=f"probe-{os.getpid()}")
    probe.close()
    if not probe.support.limited:
        pytest.skip(f"cgroups not writable here: {probe.support.reason}")


def test_the_example_answers_the_same_digest_for_a_seed_and_refuses_a_bad_body() -> None:
    # Loaded under a name of its own: other tests import the study's function as `app`.
    spec = importlib.util.spec_from_file_location("cpu_bound_app", EXAMPLE / "app.py")
    assert spec is not None and spec.loader is not None
    app: Any = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(app)
    first = app.lambda_handler({"body": json.dumps({"seed": 7})}, None)
    again = app.lambda_handler({"body": json.dumps({"seed": 7})}, None)
    other = app.lambda_handler({"body": json.dumps({"seed": 8})}, None)
    digests = [json.loads(answer["body"])["digest"] for answer in (first, again, other)]
    assert first["statusCode"] == 200 and digests[0] == digests[1] != digests[2]
    assert json.loads(first["body"])["steps"] == app.STEPS
    refused = app.lambda_handler({"body": json.dumps({"seed": "seven"})}, None)
    assert refused["statusCode"] == 400 and "seed" in json.loads(refused["body"])["error"]


def test_a_function_stack_without_requests_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sweep", "--stack", "cpu-bound"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: cpu-bound is a function stack") and "--requests" in err
    assert err.count("\n") == 1


def test_a_sweep_of_the_cpu_bound_function_shows_the_one_vcpu_knee(tmp_path: Path) -> None:
    _require_cgroups()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "study",
            "sweep",
            "--stack",
            "cpu-bound",
            "--memory",
            "128,256,1769,3008",
            "--cold",
            "1",
            "--warm",
            "5",
            "--requests",
            str(EXAMPLE / "requests.jsonl"),
            "--rtt",
            "0",
            "--gateway-latency",
            "0",
            "--results",
            str(tmp_path),
            "--run-id",
            "knee",
            "--build-dir",
            str(tmp_path / "build"),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    with (tmp_path / "knee" / "sweep" / "sweep.csv").open(newline="") as rows:
        duration = {
            int(row["memory_mb"]): float(row["warm_duration_p50_ms"])
            for row in csv.DictReader(rows)
        }
    assert 1.5 <= duration[128] / duration[256] <= 2.6, duration
    assert duration[128] >= 3 * duration[1769], duration
    assert 0.6 <= duration[3008] / duration[1769] <= 1.6, duration
