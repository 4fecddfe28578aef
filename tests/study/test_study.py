"""The study's orchestration end to end: real emulator, real load generator, real report."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from study import Study, StudySettings

from ..support.paths import HTTP_VECTORS, REPO


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.slow
@pytest.mark.java
def test_a_short_study_measures_both_runtimes_and_writes_the_report(
    artifact: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if shutil.which("javac") is None:
        pytest.skip("needs a JDK 17+ (javac) to build the Java function")
    study = Study(
        StudySettings(
            root=REPO,
            stacks=("python-512", "java-512"),
            time_scale=60.0,
            results=tmp_path / "results",
            run_id="t",
            offsets="0,1m",
            scenario2_stages="2:0:30s",
            artifact=artifact,
        )
    )
    assert study.run() == 0
    run = tmp_path / "results" / "t"
    for stack in ("python-512", "java-512"):
        scenario1 = run / stack / "scenario1" / "requests.jsonl"
        probes = [json.loads(line) for line in scenario1.read_text().splitlines()]
        # Nothing reached the function before the first probe, so it met a new instance.
        assert len(probes) == 2 and probes[0]["cold_start"] is True and probes[0]["error"] is None
        load = [
            json.loads(line)
            for line in (run / stack / "scenario2" / "requests.jsonl").read_text().splitlines()
        ]
        assert load and all(r["error"] is None for r in load)
        served = json.loads(HTTP_VECTORS.read_text())["model"]["model_version"]
        assert {r["model_version"] for r in load} == {served}
        log = (run / "logs" / f"{stack}.log").read_text()
        # every successful request has its REPORT line in the kept log
        assert all(f"REPORT RequestId: {r['request_id']}\t" in log for r in load + probes)
    report = (run / "report" / "report.md").read_text()
    assert "| java-512 |" in report and "| python-512 |" in report
    assert (run / "report" / "scenario2-java-512.png").stat().st_size > 5000
    # the emulator is gone and its endpoints file with it
    endpoints = json.loads((run / "endpoints.json").read_text())
    assert not _alive(endpoints["pid"])
    assert not study.endpoints.exists()
    # the stacks are IAM-authorised: every scenario signed with the key the emulator admits
    assert {e["authorization"] for e in endpoints["stacks"].values()} == {"iam"}
    for stack in ("python-512", "java-512"):
        for scenario in ("scenario1", "scenario2"):
            target = json.loads((run / stack / scenario / "run.json").read_text())["target"]
            assert target["signing"]["access_key_id"] == endpoints["credentials"]["access_key_id"]
            # the emulator's init CPU model travels with every run (what Init Durations mean)
            assert target["init_cpu"]["mode"] == endpoints["init_cpu"]["mode"] == "burst"
    assert "report:" in capsys.readouterr().out


def test_no_artifact_stops_before_anything_starts(tmp_path: Path) -> None:
    study = Study(
        StudySettings(
            root=REPO,
            stacks=("python-512",),
            results=tmp_path / "r",
            run_id="x",
            artifact=tmp_path / "missing.zip",
        )
    )
    assert study.run() == 2
    assert study.emulator is None


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_stops_everything_and_keeps_what_was_measured(
    artifact: Path, tmp_path: Path, signum: signal.Signals
) -> None:
    """Ctrl-C, and SIGTERM (timeout, CI cancelling, kill) alike: 128 + the signal's number."""
    results = tmp_path / "results"
    child = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "study",
            "--stacks",
            "python-512",
            "--time-scale",
            "60",
            "--results",
            str(results),
            "--run-id",
            "i",
            "--artifact",
            str(artifact),
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    first = results / "i" / "python-512" / "scenario1" / "requests.jsonl"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not (first.exists() and first.read_text().strip()):
        assert child.poll() is None, child.stdout.read().decode() if child.stdout else ""
        time.sleep(0.2)
    assert first.read_text().strip(), "scenario 1 never recorded its first request"
    # As `timeout` and `kill` do: to the study alone, which passes it on.
    child.send_signal(signum)
    out, _ = child.communicate(timeout=120)
    assert child.returncode == 128 + signum, out.decode()
    scenario1 = results / "i" / "python-512" / "scenario1"
    summary = json.loads((scenario1 / "summary.json").read_text())
    assert summary["complete"] is False and summary["requests"] >= 1
    assert summary["interrupted"] == f"stopped by {signum.name}"
    assert summary["requests"] == len((scenario1 / "requests.jsonl").read_text().splitlines())
    assert json.loads((scenario1 / "run.json").read_text())["ended_at"]
    assert (results / "i" / "report" / "report.md").exists()
    assert (results / "i" / "logs" / "python-512.log").exists()
    endpoints = json.loads((results / "i" / "endpoints.json").read_text())
    assert not _alive(endpoints["pid"])
    # Nothing of the emulator's process group (its instances) is left running.
    with pytest.raises(ProcessLookupError):
        os.killpg(endpoints["pid"], 0)


def test_the_logs_kept_are_those_the_emulator_names(tmp_path: Path) -> None:
    study = Study(StudySettings(root=REPO, results=tmp_path / "results", run_id="l"))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "python-512.log").write_text("REPORT RequestId: r\t\n")
    (elsewhere / "python-512.events.jsonl").write_text("{}\n")
    study.stack_logs = {"python-512": elsewhere / "python-512.log"}
    study.keep_logs()
    kept = tmp_path / "results" / "l" / "logs"
    assert (kept / "python-512.log").read_text() == "REPORT RequestId: r\t\n"
    assert (kept / "python-512.events.jsonl").exists()
