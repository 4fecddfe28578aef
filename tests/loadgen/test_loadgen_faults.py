"""Runs under faults, as a user meets them: real processes, real sockets, real signals.

SIGTERM and Ctrl-C, targets where every attempt fails, a target that resets at once, a
reader that leaves early (``| head``), a disk that fills, file modes under a umask.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest

from loadgen import RunSettings, Stage, StagedPlan, target_from_url
from loadgen.engine._runner import run_async
from loadgen.files._hist import read_interval_log
from loadgen.transport._h11 import connect_h11

from ..support.loadgen_server import ServerThread
from ..support.paths import REPO

FEATURES = "duration,src_bytes,dst_bytes"


def start(
    *args: str,
    results: Path,
    run_id: str,
    umask: int = -1,
    prefix: tuple[str, ...] | list[str] = (),
    **popen: Any,
) -> subprocess.Popen[str]:
    popen.setdefault("stdout", subprocess.PIPE)
    popen.setdefault("stderr", subprocess.PIPE)
    return subprocess.Popen(
        [
            *prefix,
            sys.executable,
            "-m",
            "loadgen",
            *args,
            "--results",
            str(results),
            "--run-id",
            run_id,
            "--name",
            "t",
            "--quiet",
        ],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        text=True,
        umask=umask,
        **popen,
    )


def finish(proc: subprocess.Popen[str], timeout_s: float = 60) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=timeout_s)
    return proc.returncode, out or "", err or ""


def wait_for(condition: Callable[[], bool], what: str, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def lines(path: Path) -> list[dict[str, Any]]:
    text = path.read_text(encoding="utf-8")
    assert text == "" or text.endswith("\n"), f"{path.name} ends in a torn line"
    return [json.loads(line) for line in text.splitlines()]


def assert_consistent(folder: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Every file valid, and the summary counting exactly the records on disk."""
    summary = json.loads((folder / "summary.json").read_text())
    recs = lines(folder / "requests.jsonl")
    assert summary["requests"] == len(recs)
    assert summary["ok"] == sum(1 for r in recs if r["error"] is None)
    assert summary["error_total"] == sum(1 for r in recs if r["error"] is not None)
    with (folder / "timeline.csv").open() as stream:
        rows = list(csv.DictReader(stream))
    assert [int(r["second"]) for r in rows] == list(range(len(rows)))
    assert sum(int(r["hits"]) for r in rows) <= len(recs)
    ok_logged = sum(
        i.hdr.get_total_count() for i in read_interval_log(folder / "latency.hlog") if i.tag is None
    )
    assert ok_logged == sum(int(r["ok"]) for r in rows)
    run_info = json.loads((folder / "run.json").read_text())
    assert run_info["ended_at"] and run_info["duration_s"] >= 0
    leftovers = [p.name for p in folder.iterdir() if p.name.startswith(".")]
    assert not leftovers, f"temporary files left behind: {leftovers}"
    return summary, recs


# --- signals ------------------------------------------------------------------------------

SCENARIOS = {
    # Users loop; every request from the 20th on stalls, so each user ends in flight.
    "scenario2": (["scenario2", "--stages", "3:0:60s"], 20, 3),
    # An arrival every 50 ms; from the 10th on they stall, until 4 are in flight: the arrivals
    # after that are dropped (--max-in-flight), so no attempt is opening at the signal.
    "rate": (["rate", "--rate", "20:60s", "--max-in-flight", "4"], 10, 4),
    # One probe at 0 that stalls (the next is a minute away).
    "scenario1": (["scenario1", "--offsets", "0,60s"], 0, 1),
}


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_a_signal_stops_the_run_and_leaves_final_consistent_files(
    tmp_path: Path, scenario: str, signum: signal.Signals
) -> None:
    args, answered, users = SCENARIOS[scenario]
    folder = tmp_path / "s" / "t" / scenario
    with ServerThread(lambda n: "delay:0.01" if n < answered else "stall") as server:
        proc = start(
            *args, "--target", server.url, "--features", FEATURES, results=tmp_path, run_id="s"
        )
        # Every stalled request has reached the server, and no other is being sent (each user
        # waits on its own; the rate plan drops arrivals at its in-flight cap): the signal
        # finds exactly these in flight, however late this busy host runs the client.
        wait_for(lambda: server.seen >= answered + users, "stalled requests", 60)
        proc.send_signal(signum)
        code, _, err = finish(proc, timeout_s=60)
        recorded = len(lines(folder / "requests.jsonl"))
        assert server.seen == recorded
    assert code == 128 + signum, err
    assert "Traceback" not in err
    assert f"interrupted by {signum.name}" in err
    summary, recs = assert_consistent(folder)
    assert summary["complete"] is False
    assert summary["interrupted"] == f"stopped by {signum.name}"
    # The requests in flight at the signal are recorded, as cancelled.
    stalled = [r for r in recs if r["error"] == "cancelled"]
    assert len(stalled) == summary["errors"]["cancelled"] == server.seen - answered == users
    assert all(signum.name in r["detail"] for r in stalled)
    assert summary["ok"] == answered


def test_sigterm_before_the_first_request_writes_nothing_and_exits_at_once(tmp_path: Path) -> None:
    # A target that accepts connections and never answers: GET /health hangs for its timeout.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        proc = start(
            "scenario2",
            "--target",
            f"http://127.0.0.1:{port}",
            "--stages",
            "1:0:10s",
            results=tmp_path,
            run_id="early",
        )
        # Its GET /health has connected: the run is starting, not yet started (however long
        # this busy host took to start Python and import the load generator).
        silent.settimeout(120)
        accepted, _ = silent.accept()
        began = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        code, _, err = finish(proc, timeout_s=30)
        accepted.close()
    assert code == 143, err
    assert "before the run started" in err and "Traceback" not in err
    # It did not wait out the 30 s request timeout.
    assert time.monotonic() - began < 10
    assert not (tmp_path / "early").exists()


# --- exit codes ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("behaviour", "code", "fragment"),
    [
        ("ok", 0, None),
        (lambda n: "status:500" if n % 4 == 0 else "ok", 1, "attempts failed ("),
        ("status:500", 3, "the run measured nothing: all"),
        ("429", 3, "throttled"),
    ],
    ids=["all-ok", "some-500", "all-500", "all-429"],
)
def test_the_exit_status_says_whether_the_run_measured_anything(
    tmp_path: Path, behaviour: Any, code: int, fragment: str | None
) -> None:
    with ServerThread(behaviour) as server:
        proc = start(
            "scenario2",
            "--target",
            server.url,
            "--features",
            FEATURES,
            "--stages",
            "2:0:1s",
            results=tmp_path,
            run_id="x",
        )
        status, out, err = finish(proc)
    summary = json.loads((tmp_path / "x" / "t" / "scenario2" / "summary.json").read_text())
    assert status == code, err
    assert "requests" in out  # the table is printed whatever the outcome
    if fragment is None:
        assert "warning" not in err and "error" not in err
    else:
        assert fragment in err
        failed = summary["error_total"]
        assert f"{failed:,} of {summary['requests']:,}" in err or f"all {failed:,} attempts" in err
    if code == 1:
        assert f"({100 * summary['error_total'] / summary['requests']:.1f} %" in err


def test_nothing_listening_is_a_failed_run(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # bound, not listening: connections are refused
        proc = start(
            "scenario2",
            "--target",
            f"http://127.0.0.1:{port}",
            "--features",
            FEATURES,
            "--stages",
            "2:0:1s",
            results=tmp_path,
            run_id="r",
        )
        status, _, err = finish(proc)
    assert status == 3, err
    assert "the run measured nothing" in err and "refused" in err


# --- a target that resets at once ---------------------------------------------------------


def test_resets_are_paced_like_refusals(tmp_path: Path) -> None:
    async def main() -> tuple[Any, int]:
        from ..support.loadgen_server import TestServer

        async with TestServer("reset") as server:
            result = await run_async(
                StagedPlan(stages=(Stage(users=3, hold_s=2.0),)),
                target=target_from_url(server.url, name="t"),
                health={"features": FEATURES.split(",")},
                settings=RunSettings(results_dir=tmp_path, run_id="p"),
            )
            return result, server.seen

    result, seen = anyio.run(main)
    recs = lines(result.folder / "requests.jsonl")
    # One record per attempt, every one a reset...
    assert len(recs) == seen == result.summary["errors"]["reset"] > 3
    # ...and at most ~10 attempts a second per user, not thousands.
    assert len(recs) <= 3 * (2.0 / 0.1 + 2)


# --- the reader leaves early --------------------------------------------------------------


@pytest.mark.parametrize("closed", ["stdout", "stdout+stderr"])
def test_a_closed_pipe_ends_quietly_and_the_results_are_whole(tmp_path: Path, closed: str) -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader (`| head`) is gone before the first line
    err_target: Any = write_end if closed == "stdout+stderr" else subprocess.PIPE
    with ServerThread("ok") as server:
        proc = start(
            "scenario2",
            "--target",
            server.url,
            "--features",
            FEATURES,
            "--stages",
            "1:0:1s",
            results=tmp_path,
            run_id="pipe",
            stdout=write_end,
            stderr=err_target,
        )
        os.close(write_end)
        status, _, err = finish(proc)
    assert status == 0, err
    assert "Traceback" not in err and "BrokenPipeError" not in err
    summary, _ = assert_consistent(tmp_path / "pipe" / "t" / "scenario2")
    assert summary["complete"] is True


def test_other_subcommands_stop_quietly_on_a_closed_pipe(tmp_path: Path) -> None:
    with ServerThread("ok") as server:
        status, _, err = finish(
            start(
                "scenario2",
                "--target",
                server.url,
                "--features",
                FEATURES,
                "--stages",
                "1:0:0.5s",
                results=tmp_path,
                run_id="rep",
            )
        )
    assert status == 0, err
    read_end, write_end = os.pipe()
    os.close(read_end)
    done = subprocess.run(
        [sys.executable, "-m", "loadgen", "report", str(tmp_path / "rep")],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=write_end,
        stderr=subprocess.PIPE,
        text=True,
        check=False,
        timeout=120,
    )
    os.close(write_end)
    assert "Traceback" not in done.stderr and "BrokenPipeError" not in done.stderr, done.stderr
    assert done.returncode == 141  # as if SIGPIPE had ended it, like `seq 1000000 | head -1`
    assert (tmp_path / "rep" / "report" / "report.md").exists()


# --- a full disk ----------------------------------------------------------------------------

# In a user and mount namespace of its own (no root needed where the kernel allows it), mount
# a small tmpfs, run the command on it, and copy what it wrote out before the mount goes.
_ON_A_SMALL_DISK = """size=$1 disk=$2 keep=$3; shift 3
mount -t tmpfs -o "size=$size" tmpfs "$disk" || exit 97
"$@"; status=$?
cp -a "$disk/." "$keep/"
exit $status"""


def _namespaces_work(where: Path) -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(
        [
            "unshare",
            "--user",
            "--map-root-user",
            "--mount",
            "sh",
            "-c",
            'mount -t tmpfs -o size=64k tmpfs "$0"',
            str(where),
        ],
        capture_output=True,
        check=False,
        timeout=30,
    )
    return probe.returncode == 0


@pytest.fixture()
def small_disk(tmp_path: Path) -> Iterator[Callable[..., tuple[int, str, str, Path]]]:
    """Run loadgen with its results on a real tmpfs of a given size; where the results are.

    A user namespace where the kernel allows one, else a plain mount as root; the test is
    skipped, saying so, only where neither can be had.
    """
    mounted: list[Path] = []
    (tmp_path / "probe").mkdir()
    namespaces = _namespaces_work(tmp_path / "probe")
    if not namespaces and os.geteuid() != 0:
        pytest.skip(
            "a real full disk needs a small tmpfs: this machine allows neither user "
            "namespaces (unshare --user --mount) nor mounting (not root)"
        )

    def run(
        size: str, *args: str, run_id: str, timeout_s: float = 150
    ) -> tuple[int, str, str, Path]:
        disk = tmp_path / f"disk{run_id}"
        keep = tmp_path / f"kept{run_id}"
        disk.mkdir()
        keep.mkdir()
        if namespaces:
            prefix = [
                "unshare",
                "--user",
                "--map-root-user",
                "--mount",
                "sh",
                "-c",
                _ON_A_SMALL_DISK,
                "sh",
                size,
                str(disk),
                str(keep),
            ]
            status, out, err = finish(
                start(*args, results=disk, run_id=run_id, prefix=prefix), timeout_s
            )
            if status == 97:
                pytest.skip(f"cannot mount a tmpfs in a user namespace here: {err.strip()}")
            return status, out, err, keep
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(disk)],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
        mounted.append(disk)
        status, out, err = finish(start(*args, results=disk, run_id=run_id), timeout_s)
        return status, out, err, disk

    yield run
    for where in mounted:
        subprocess.run(["umount", "-l", str(where)], check=False)


def test_a_full_disk_stops_the_run_with_valid_files_and_one_line(
    small_disk: Callable[..., tuple[int, str, str, Path]],
) -> None:
    with ServerThread("ok") as server:
        status, out, err, results = small_disk(
            "1600k",
            "scenario2",
            "--target",
            server.url,
            "--features",
            FEATURES,
            "--stages",
            "4:0:120s",
            run_id="full",
        )
        seen = server.seen
    folder = results / "full" / "t" / "scenario2"
    assert status == 4, err
    assert "Traceback" not in err and "ExceptionGroup" not in err
    problem = [line for line in err.splitlines() if "No space left on device" in line]
    assert len(problem) == 1 and problem[0].startswith("error: stopped"), err
    assert "requests" in out
    summary, recs = assert_consistent(folder)
    assert summary["complete"] is False and "No space left on device" in summary["interrupted"]
    assert summary["write_error"] and len(recs) > 100
    assert f"{len(recs):,} attempts written" in problem[0]
    # Nothing else was lost: every attempt the server saw is recorded (the reserve held them).
    assert summary["records_lost"] == 0 and len(recs) == seen
    assert json.loads((folder / "run.json").read_text())["write_error"] == summary["write_error"]


def test_too_little_space_to_start_is_a_usage_error(
    small_disk: Callable[..., tuple[int, str, str, Path]],
) -> None:
    with ServerThread("ok") as server:
        status, _, err, _ = small_disk(
            "512k",
            "scenario2",
            "--target",
            server.url,
            "--features",
            FEATURES,
            "--stages",
            "1:0:1s",
            run_id="tiny",
        )
        seen = server.seen
    assert status == 2, err
    assert "not enough free space" in err and "Traceback" not in err
    assert seen == 0


# --- recorded facts -----------------------------------------------------------------------


@pytest.mark.parametrize("umask", [0o022, 0o027])
def test_every_output_follows_the_umask(tmp_path: Path, umask: int) -> None:
    with ServerThread("ok") as server:
        proc = start(
            "scenario2",
            "--target",
            server.url,
            "--features",
            FEATURES,
            "--stages",
            "1:0:1s",
            results=tmp_path,
            run_id="m",
            umask=umask,
        )
        status, _, err = finish(proc)
    assert status == 0, err
    run_dir = tmp_path / "m"
    report = subprocess.run(
        [sys.executable, "-m", "loadgen", "report", str(run_dir), "--out", str(run_dir / "report")],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        umask=umask,
        check=False,
        timeout=120,
    )
    assert report.returncode == 0, report.stderr
    files = [p for p in run_dir.rglob("*") if p.is_file()]
    assert {"run.json", "summary.json", "requests.jsonl", "report.md"} <= {p.name for p in files}
    modes = {p.relative_to(run_dir).as_posix(): oct(p.stat().st_mode & 0o777) for p in files}
    assert set(modes.values()) == {oct(0o666 & ~umask)}, modes


def test_run_json_names_the_client_that_sent_the_requests(tmp_path: Path) -> None:
    async def main(connector: Any, run_id: str) -> dict[str, Any]:
        from ..support.loadgen_server import TestServer

        async with TestServer("ok") as server:
            result = await run_async(
                StagedPlan(stages=(Stage(users=1, hold_s=0.2),)),
                target=target_from_url(server.url, name="t"),
                health={"features": FEATURES.split(",")},
                connector=connector,
                settings=RunSettings(results_dir=tmp_path, run_id=run_id),
            )
        run: dict[str, Any] = json.loads((result.folder / "run.json").read_text())
        return run

    default = anyio.run(main, None, "default")
    assert "httptools" in default["client"] and "h11" not in default["client"]
    assert default["versions"]["httptools"] not in ("", "absent")
    assert "h11" in anyio.run(main, connect_h11, "h11")["client"]


def test_when_the_disk_stays_full_the_files_are_cut_to_whole_lines(tmp_path: Path) -> None:
    """The reserve taken by someone else at once: no torn line, no stale summary."""
    if os.geteuid() != 0:
        pytest.skip("writes from this process onto a small tmpfs, which needs root to mount")
    disk = tmp_path / "disk"
    disk.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1200k", "tmpfs", str(disk)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        _fill_while_writing(disk)
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def _fill_while_writing(disk: Path) -> None:
    from loadgen.files._results import ResultWriter
    from loadgen.files._space import RESERVE_NAME
    from resultfiles import Machine, Record, RunFile, SummaryExtra

    folder = disk / "r"
    failures: list[str] = []

    def someone_else_fills_the_disk(message: str) -> None:
        failures.append(message)
        (folder / RESERVE_NAME).unlink()
        with (disk / "filler").open("ab", buffering=0) as filler:
            try:
                while True:
                    filler.write(b"x" * 4096)
            except OSError:
                pass

    t0_ns = time.perf_counter_ns()
    run_info = RunFile(
        schema_version=1,
        run_id="r",
        scenario="scenario2",
        plan={},
        plan_scaled={},
        plan_duration_s=1.0,
        time_scale=1.0,
        target={"name": "t"},
        health={},
        features=(),
        batch=1,
        timeout_s=1.0,
        payload="",
        payload_rows=0,
        versions={},
        machine=Machine(),
        command=(),
        notes=(),
        latency_unit="microseconds",
        client="test",
        network_path=None,
    )
    writer = ResultWriter(
        folder,
        run_info=run_info,
        start_epoch_s=time.time(),
        t0_ns=t0_ns,
        stages=[{"users": 1}],
        on_failure=someone_else_fills_the_disk,
    )
    written = 0
    while not failures and written < 200_000:
        rec = {
            "seq": written,
            "user": 0,
            "stage": 0,
            "phase": None,
            "intended_s": None,
            "start_s": written / 1000,
            "late_ms": 0.0,
            "latency_us": 900 + written % 50,
            "connect_ms": None,
            "status": 200,
            "error": None,
            "detail": None,
            "bytes_out": 80,
            "bytes_in": 60,
            "predictions": 1,
            "cold_start": False,
            "instance_id": "i-1",
            "init_ms": None,
            "model_version": "m1",
            "runtime": "test",
            "request_id": f"r-{written}",
        }
        writer.record(Record.from_json(rec), t0_ns + written * 1_000_000)
        written += 1
        if written % 1000 == 0:
            writer.advance(written // 1000)
            writer.flush()
    assert failures and "No space left on device" in failures[0]
    summary = writer.finish(
        now_ns=t0_ns + written * 1_000_000,
        complete=True,
        interrupted=None,
        extra=SummaryExtra(),
        ended_at="now",
        duration_s=written / 1000,
        notes=(),
    )
    recs = lines(folder / "requests.jsonl")  # whole lines only
    assert 0 < len(recs) < written
    assert summary.complete is False and summary.extra.records_lost == written - len(recs)
    assert summary.totals.requests == len(recs)
    for name in ("timeline.csv", "latency.hlog"):
        assert (folder / name).read_text().endswith("\n")
    with (folder / "timeline.csv").open() as stream:
        rows = list(csv.DictReader(stream))
    assert sum(int(r["hits"]) for r in rows) <= len(recs)
    if (folder / "summary.json").exists():
        assert json.loads((folder / "summary.json").read_text())["requests"] == len(recs)
    assert not [p.name for p in folder.iterdir() if p.name.startswith(".")]
