"""The study in one command: emulator up, scenario 1 on every stack at once, scenario 2 on
each stack in turn, server logs kept with the results, the report, emulator down.

Two sets of stacks (:mod:`study._settings`): the study's (``STUDY_STACKS``, the six of the
original study: both scenarios) and the framework stacks (``FRAMEWORK_STACKS``: the same model
served with LiteRT and with TensorFlow and ONNX Runtime), which join scenario 1 — their cold
starts, a few warm requests, what fails at small memory — and run scenario 2 only when asked
(``framework_scenario2``; by default only at full length, time scale 1, so that `make run`
stays within its 10 minutes).
Scenario 1 starts the stacks staggered so that their cold starts do not share the host's
CPUs (the arithmetic is :mod:`study._schedule`'s); scenario 2 runs stack after stack once
every scenario 1 run has ended, so no init of scenario 1 overlaps another stack's scenario 2.

Each part runs as its own process through its public command line (``python -m emulator``,
``python -m loadgen``), exactly as a user would run it, so the study exercises what a user
gets. An interrupted study (Ctrl-C, SIGTERM) passes the signal on to the load generators,
stops the emulator, keeps every result written so far, copies the logs, writes the report of
what was measured and exits 128 + the signal's number (130, 143).

Exit status otherwise: 0 when every scenario measured something (failed attempts, such as
throttles, are part of what a study measures), else the load generator's status for the
worst run (2 a usage error, 3 a run that measured nothing, 4 results that could not be
written), and 1 when no report could be written.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from contract import MODEL_FILE, ExitCode, signalled
from resultfiles import ENDPOINTS, LOGS, REQUESTS, ResultsError, new_run_id, read_endpoints
from stack.settings import variant_name

from ._errors import StudyError
from ._features import artifact_features
from ._schedule import Schedule
from ._settings import StudySettings

#: Building a framework stack's package the first time installs its wheels (pip, tens of MB).
EMULATOR_START_TIMEOUT_S = 600.0
#: What a function's log says when init or the handler fails: the runtime's error line, or
#: the platform's INIT_REPORT of an init that timed out or failed.
FUNCTION_ERROR = re.compile(
    r"[^\n]*(?:\[ERROR\]|Runtime\.[A-Za-z]+|INIT_REPORT[^\n]*Status: "
    r"(?:timeout|error))[^\n]*"
)


def hosted_name(stack: str) -> str:
    """The name a stack is hosted under: ``<stack>@<MB>`` is ``<stack>-at-<MB>``."""
    base, _, memory = stack.partition("@")
    return variant_name(base, int(memory)) if memory.isdigit() else stack


class Interrupted(Exception):
    pass


#: The load generator's statuses that make the study fail, worst first (README, "Exit codes").
_FAILING_STATUSES = (ExitCode.WRITE_FAILED, ExitCode.NOTHING_MEASURED, ExitCode.USAGE)


def _log(message: str) -> None:
    print(f"[study {time.strftime('%H:%M:%S')}] {message}", flush=True)


class Study:
    def __init__(self, settings: StudySettings) -> None:
        self.settings = settings
        self.root = settings.root.resolve()
        self.run_id = settings.run_id or new_run_id()
        results = settings.results
        if not results.is_absolute():
            results = self.root / results
        self.run_dir = results / self.run_id
        self.build = self.root / "build" / "study" / self.run_id
        self.endpoints = self.build / ENDPOINTS
        self.emulator: subprocess.Popen[bytes] | None = None
        self.children: list[subprocess.Popen[bytes]] = []
        self.stopping = False
        #: The signal that stopped the study, if one did.
        self.signal: int | None = None
        #: Exit statuses of the load generator runs that failed.
        self.failed_runs: list[int] = []
        self.features: list[str] = []
        #: Each stack's server log, as the emulator's endpoints.json names it.
        self.stack_logs: dict[str, Path] = {}
        self.artifact = (settings.artifact or self.root / "build" / MODEL_FILE).resolve()

    # --- processes -----------------------------------------------------------------------

    def _python(self, *args: str) -> list[str]:
        return [sys.executable, *args]

    def _spawn(self, argv: list[str], *, log: Path | None = None) -> subprocess.Popen[bytes]:
        out = open(log, "ab") if log else None  # noqa: SIM115 - closed with the child
        child = subprocess.Popen(
            argv,
            cwd=self.root,
            stdout=out,
            stderr=subprocess.STDOUT if out else None,
            start_new_session=True,
        )
        if out:
            out.close()
        self.children.append(child)
        return child

    def _stop(self, child: subprocess.Popen[bytes], *, grace_s: float = 20.0) -> None:
        if child.poll() is not None:
            return
        try:
            # The load generator stops on SIGINT and SIGTERM alike, finishing its files; it is
            # given the signal the study got, so that its summary says what stopped it.
            os.killpg(
                child.pid,
                signal.SIGTERM if child is self.emulator else (self.signal or signal.SIGINT),
            )
            child.wait(timeout=grace_s)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(child.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            child.wait()

    def _wait(
        self, children: list[subprocess.Popen[bytes]], what: str, expected_s: float
    ) -> list[int]:
        start = time.monotonic()
        last = 0.0
        while any(c.poll() is None for c in children):
            if self.stopping:
                raise Interrupted
            if self.emulator is not None and self.emulator.poll() is not None:
                raise StudyError(
                    f"the emulator stopped (exit {self.emulator.returncode}) during "
                    f"{what}; see {self.run_dir / 'emulator.out'}"
                )
            now = time.monotonic() - start
            if now - last >= 15:
                last = now
                running = sum(1 for c in children if c.poll() is None)
                _log(f"{what}: {now:.0f} s of about {expected_s:.0f} s, {running} running")
            time.sleep(0.2)
        return [int(c.returncode) for c in children]

    # --- steps ----------------------------------------------------------------------------

    def start_emulator(self) -> None:
        self.build.mkdir(parents=True, exist_ok=True)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        root_args = (
            ["--root", str(self.settings.emulator_root)]
            if self.settings.emulator_root is not None
            else []
        )
        argv = self._python(
            "-m",
            "emulator",
            "up",
            *self.settings.hosted,
            *root_args,
            "--time-scale",
            f"{self.settings.time_scale:g}",
            "--build-dir",
            str(self.build),
            "--artifact",
            str(self.artifact),
            *self.settings.emulator_args,
        )
        _log(
            f"starting the emulator with {', '.join(self.settings.hosted)} (time scale "
            f"{self.settings.time_scale:g})"
        )
        self.emulator = self._spawn(argv, log=self.run_dir / "emulator.out")
        deadline = time.monotonic() + EMULATOR_START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.stopping:
                raise Interrupted
            if self.emulator.poll() is not None:
                tail = (self.run_dir / "emulator.out").read_text(errors="replace")[-2000:]
                raise StudyError(
                    f"the emulator failed to start (exit {self.emulator.returncode}):\n{tail}"
                )
            try:
                doc = read_endpoints(self.endpoints)
                if doc is not None and doc.pid == self.emulator.pid:
                    break
            except (OSError, ResultsError):
                pass
            time.sleep(0.2)
        else:
            raise StudyError(
                f"the emulator did not write {self.endpoints} within "
                f"{EMULATOR_START_TIMEOUT_S:.0f} s; see "
                f"{self.run_dir / 'emulator.out'}"
            )
        shutil.copyfile(self.endpoints, self.run_dir / ENDPOINTS)
        _log(
            f"emulator up; CPU limited by memory: {doc.cpu_limited} ({doc.cpu_limit_reason or ''})"
        )
        init_cpu = doc.init_cpu
        if init_cpu is not None:
            _log(f"init CPU: {init_cpu.get('mode')}: {init_cpu.get('description', '')}")
        for name, entry in doc.stacks.items():
            _log(f"  {name:12} {entry.url}")
            if entry.log:
                # A relative log path is relative to the emulator's directory, the root.
                self.stack_logs[name] = self.root / entry.log

    def _loadgen(self, scenario: str, stack: str, extra: Sequence[str], quiet: bool) -> list[str]:
        # The features are passed so that loadgen sends no GET /health first: that request
        # would start an instance, and scenario 1 could never see its first cold start.
        # A function stack sends its own request file (endpoints.json names it) and nothing
        # else first either; its first answer, if wrong, stops the run.
        what = (
            ["--stop-at-first-failure"]
            if stack in self.settings.function_stacks
            else ["--features", ",".join(self.features)]
        )
        argv = self._python(
            "-m",
            "loadgen",
            scenario,
            "--stack",
            hosted_name(stack),
            "--endpoints",
            str(self.endpoints),
            "--time-scale",
            f"{self.settings.time_scale:g}",
            "--run-id",
            self.run_id,
            "--results",
            str(self.run_dir.parent),
            *what,
            *extra,
        )
        return argv + (["--quiet"] if quiet else [])

    @property
    def schedule(self) -> Schedule:
        """When each stack's load starts, from the settings as they are now."""
        settings = self.settings
        return Schedule(
            study_stacks=tuple(settings.stacks),
            framework_stacks=settings.extra_stacks,
            time_scale=settings.time_scale,
            offsets=settings.offsets,
            scenario2_stages=settings.scenario2_stages,
            study_stagger_s=settings.study_stagger_s,
            framework_stagger_s=settings.framework_stagger_s,
        )

    def check_schedule(self) -> None:
        """Refuse, before anything starts, scenario 1 offsets that are not durations: each
        stack's offsets are shifted by the study, so the load generator never sees them."""
        try:
            self.schedule.base_offsets_s()
        except ValueError as exc:
            raise StudyError(
                f"--offsets {self.settings.offsets}: {exc}; give durations "
                "separated by commas, such as 0,6m,16m"
            ) from None

    def scenario1(self) -> None:
        schedule = self.schedule
        offsets = schedule.scenario1_offsets()
        stacks = self.settings.hosted
        shift_s = max(schedule.scenario1_shifts_s().values(), default=0.0)
        expected = schedule.scenario1_length_s() + shift_s
        _log(
            f"scenario 1 (timed idle) on {len(stacks)} stacks at once, about {expected:.0f} s "
            f"(starts staggered: the study's stacks {self.settings.study_stagger_s:g} s apart"
            + (
                f", each framework stack {self.settings.framework_stagger_s:g} s after the previous"
                if self.settings.extra_stacks
                else ""
            )
            + ")"
            + (" plus bisection" if self.settings.bisect else "")
        )
        for clash in schedule.cold_start_clashes():
            _log(
                f"note: cold starts may overlap: {clash} (widen --study-stagger or "
                "--framework-stagger)"
            )
        logs = self.run_dir / "loadgen-logs"
        logs.mkdir(exist_ok=True)
        children = []
        for stack in stacks:
            extra: list[str] = []
            if offsets[stack]:
                extra += ["--offsets", str(offsets[stack])]
            if self.settings.bisect:
                extra += ["--bisect", self.settings.bisect]
            children.append(
                self._spawn(
                    self._loadgen("scenario1", stack, extra, quiet=True),
                    log=logs / f"{stack}-scenario1.out",
                )
            )
        codes = self._wait(children, "scenario 1", expected)
        for stack, code in zip(stacks, codes, strict=True):
            self._check(f"scenario 1 on {stack}", code, logs / f"{stack}-scenario1.out")

    def scenario2(self) -> None:
        stages = self.settings.scenario2_stages
        extra = ["--stages", stages] if stages else []
        if self.settings.batch != 1:
            extra += ["--batch", str(self.settings.batch)]
        expected = self.schedule.scenario2_length_s()
        stacks = self.settings.scenario2_stacks
        skipped = [s for s in self.settings.hosted if s not in stacks]
        if skipped:
            _log(
                f"scenario 2 skips {', '.join(skipped)} (scenario 1 only; --framework-scenario2 "
                "runs them too)"
            )
        for i, stack in enumerate(stacks, 1):
            _log(
                f"scenario 2 (staged concurrency) on {stack} ({i}/{len(stacks)}), "
                f"about {expected:.0f} s"
            )
            # A function stack's output is kept, so that a first wrong answer can be quoted.
            log = (
                self.run_dir / "loadgen-logs" / f"{stack}-scenario2.out"
                if stack in self.settings.function_stacks
                else None
            )
            if log is not None:
                log.parent.mkdir(exist_ok=True)
            child = self._spawn(
                self._loadgen("scenario2", stack, extra, quiet=log is not None), log=log
            )
            (code,) = self._wait([child], f"scenario 2 on {stack}", expected)
            self._check(f"scenario 2 on {stack}", code, log)

    def _first_failure(self, stack: str, log: Path | None) -> str:
        """One line: the load generator's first wrong answer, and the error the function's
        log holds (Runtime.ImportModuleError, Runtime.HandlerNotFound, ...), if any."""
        said = ""
        if log is not None and log.is_file():
            for line in log.read_text(errors="replace").splitlines():
                if line.startswith("error: the first request"):
                    said = line.removeprefix("error: ")
        server = self.stack_logs.get(hosted_name(stack))
        cause = ""
        if server is not None and server.is_file():
            found = FUNCTION_ERROR.search(server.read_text(errors="replace"))
            if found is not None:
                cause = f"; the function's log says {found.group(0).strip()[:200]}"
        return (
            f"{stack}: {said or 'the first request failed'}{cause}. Fix the function (or "
            "its stack file) and run the study again"
        )

    def _check(self, what: str, code: int, log: Path | None) -> None:
        where = f"; see {log}" if log else ""
        stack = what.rpartition(" on ")[2]
        if code == ExitCode.FIRST_FAILURE and stack in self.settings.function_stacks:
            raise StudyError(self._first_failure(stack, log))
        if code in _FAILING_STATUSES:
            self.failed_runs.append(code)
            _log(f"{what} failed (exit {code}){where}")
        elif code == ExitCode.FAILED:
            _log(f"{what}: some attempts failed (their share is in its output){where}")
        elif code != ExitCode.OK:
            _log(f"{what} exited {code}{where}")

    def keep_logs(self) -> None:
        """Copy the folders that hold the stacks' logs (each log and its events beside it)."""
        target = self.run_dir / LOGS
        target.mkdir(parents=True, exist_ok=True)
        folders = sorted({log.parent for log in self.stack_logs.values()})
        if not folders:
            _log(
                f"the emulator named no logs in {self.endpoints}: server-side figures will be "
                "missing"
            )
        for source in folders:
            if not source.is_dir():
                _log(f"no emulator logs in {source}: server-side figures will be missing")
                continue
            for path in sorted(source.iterdir()):
                if path.is_file():
                    shutil.copyfile(path, target / path.name)

    def report(self) -> Path | None:
        out = self.run_dir / "report"
        argv = self._python("-m", "loadgen", "report", str(self.run_dir), "--out", str(out))
        done = subprocess.run(argv, cwd=self.root, check=False)
        if done.returncode != ExitCode.OK:
            _log(f"the report failed (exit {done.returncode})")
            return None
        return out / "report.md"

    def shutdown(self) -> None:
        for child in self.children:
            if child is not self.emulator:
                self._stop(child)
        if self.emulator is not None:
            self._stop(self.emulator, grace_s=30.0)

    # --- the whole job --------------------------------------------------------------------

    def run(self) -> int:
        def on_signal(signum: int, _frame: object) -> None:
            if not self.stopping:
                _log(
                    f"interrupted by {signal.Signals(signum).name}: stopping the load, "
                    "keeping what was measured"
                )
                self.signal = signum
            self.stopping = True

        previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
        started = time.monotonic()
        status: int = ExitCode.OK
        try:
            if any(s not in self.settings.function_stacks for s in self.settings.hosted):
                self.features = artifact_features(self.artifact)
            self.check_schedule()
            self.start_emulator()
            self.scenario1()
            self.scenario2()
        except Interrupted:
            status = signalled(self.signal or signal.SIGINT)
        except StudyError as exc:
            _log(f"error: {exc}")
            status = ExitCode.USAGE
        finally:
            self.shutdown()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        if not self.run_dir.exists():
            return status
        self.keep_logs()
        report = None
        if any(self.run_dir.rglob(REQUESTS)):
            _log("writing the report")
            report = self.report()
        _log(f"done in {time.monotonic() - started:.0f} s; results: {self.run_dir}")
        if report is not None:
            _log(f"report: {report}")
        elif status == ExitCode.OK:
            status = ExitCode.FAILED
        if status == ExitCode.OK and self.failed_runs:
            status = next(code for code in _FAILING_STATUSES if code in self.failed_runs)
        return status
