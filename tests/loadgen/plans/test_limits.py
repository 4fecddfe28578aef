"""Plans a target cannot carry: refused before anything is sent, or run with --exceed-limits and
said so; the limits read from the emulator's endpoints file and from a Pulumi stack's outputs."""

from __future__ import annotations

import json
import os
import re
import shlex
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from loadgen import (
    LimitsError,
    RatePlan,
    RateStep,
    Stage,
    StagedPlan,
    TargetLimits,
    check_limits,
    resolve_stack,
)
from loadgen.plans._limits import offered_load

from ...support.loadgen_server import ServerThread
from ...support.paths import REPO

#: python-512-provisioned's old limits: 10 reserved, 100 req/s, offered scenario 2's 18 users.
OLD_PROVISIONED = TargetLimits(
    api_throttle_rate=100.0,
    api_throttle_burst=200,
    reserved_concurrency=10,
    provisioned_concurrency=2,
)
DEFAULTS = TargetLimits(api_throttle_rate=4000.0, api_throttle_burst=100)


def loadgen(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "loadgen", *args],
        cwd=REPO,
        capture_output=True,
        check=False,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(REPO), **(env or {})},
    )


def test_scenario2s_default_plan_offers_18_in_flight_9_at_once_and_fits_the_default_throttle() -> (
    None
):
    offered = offered_load(StagedPlan())
    # 18 users at the peak; stage 2 adds 9 in one instant; 18 / 5 ms = 3,600 req/s at most.
    assert (offered.concurrency, offered.at_once, offered.rate_rps) == (18, 9, 3600.0)
    check = check_limits(StagedPlan(), DEFAULTS)
    assert check.exceeded == [] and not check.run_anyway


def test_the_old_provisioned_stack_refuses_scenario_2_naming_both_settings() -> None:
    with pytest.raises(LimitsError) as caught:
        check_limits(StagedPlan(), OLD_PROVISIONED)
    message = str(caught.value)
    assert "\n" not in message
    assert (
        "reserved concurrency is 10: raise lambda-model-study:reserved_concurrency to 18" in message
    )
    assert "throttles at 100 req/s: raise lambda-model-study:api_throttle_rate to 3600" in message
    assert "--exceed-limits" in message


def test_run_anyway_is_recorded_with_what_was_exceeded() -> None:
    check = check_limits(StagedPlan(), OLD_PROVISIONED, exceed=True)
    described = check.describe()
    assert described["run_anyway"] is True and len(described["exceeded"]) == 2
    assert described["limits"]["reserved_concurrency"] == 10
    assert described["offered"] == {
        "concurrency": 18,
        "at_once": 9,
        "rate_rps": 3600.0,
        "rate_basis": "18 users at a 5 ms round trip",
    }
    # 18 users, 2 provisioned instances: the rest start cold, said but not refused.
    assert any("2 provisioned instances" in note for note in described["notes"])


def test_users_started_together_must_fit_the_burst_and_a_ramp_fits() -> None:
    together = StagedPlan(
        stages=(
            Stage(users=800, ramp_up_s=180, hold_s=60),
            Stage(users=1600, ramp_up_s=0, hold_s=60),
        ),
        think_s=1.0,
    )
    with pytest.raises(LimitsError, match="starts 800 users at once .* burst is 100"):
        check_limits(together, DEFAULTS)
    ramped = StagedPlan(
        stages=(
            Stage(users=800, ramp_up_s=180, hold_s=60),
            Stage(users=1600, ramp_up_s=60, hold_s=60),
        ),
        think_s=1.0,
    )
    # 1,600 users with 1 s think time offer 1,600 / 1.005 s < 4,000 req/s; added one at a time.
    assert check_limits(ramped, DEFAULTS).offered.at_once == 1


def test_a_throughput_cap_within_the_throttle_fits_whatever_the_round_trip() -> None:
    plan = StagedPlan(stages=(Stage(users=18, hold_s=60),), throughput_rps=90.0)
    limits = TargetLimits(api_throttle_rate=100.0, api_throttle_burst=10, reserved_concurrency=20)
    offered = check_limits(plan, limits).offered
    assert (offered.rate_rps, offered.at_once) == (90.0, 1)


def test_a_longer_round_trip_lowers_a_closed_loops_worst_case() -> None:
    plan = StagedPlan(stages=(Stage(users=100, ramp_up_s=10, hold_s=60),))
    with pytest.raises(LimitsError, match="20,000 req/s"):
        check_limits(plan, DEFAULTS)
    # Behind the emulator's 90 ms network path: at most 100 / 90 ms = 1,111 req/s.
    assert check_limits(plan, DEFAULTS, round_trip_s=0.090).offered.rate_rps == pytest.approx(
        1111.11, abs=0.01
    )


def test_a_rate_plan_is_held_to_the_throttle_and_to_certain_concurrency() -> None:
    with pytest.raises(LimitsError, match="offers up to 12,000 req/s .* throttles at 4000"):
        check_limits(RatePlan(steps=(RateStep(rate_rps=12_000, duration_s=60),)), DEFAULTS)
    with pytest.raises(LimitsError, match="keep 50 invocations in flight"):
        check_limits(
            RatePlan(steps=(RateStep(rate_rps=50_000, duration_s=1),)),
            TargetLimits(reserved_concurrency=10),
        )
    check = check_limits(
        RatePlan(steps=(RateStep(rate_rps=100, duration_s=60),)),
        TargetLimits(reserved_concurrency=10),
    )
    assert check.exceeded == []
    assert check.notes == [
        (
            "at 100 req/s the reserved concurrency 10 is reached when an "
            "invocation lasts 0.1 s or more (Lambda answers 429 beyond it)"
        )
    ]


def test_a_plan_exactly_at_the_throttle_fits() -> None:
    # 400 users at a 90 ms round trip with 10 ms think time offer exactly 4,000 req/s, which a
    # 4,000 req/s throttle carries (N / (0.09 + 0.01) is 4,000.0000000000005 in floating point).
    plan = StagedPlan(stages=(Stage(users=400, ramp_up_s=10, hold_s=5),), think_s=0.01)
    check = check_limits(plan, DEFAULTS, round_trip_s=0.090)
    assert check.exceeded == []
    with pytest.raises(LimitsError, match="raise lambda-model-study:api_throttle_rate to 4445"):
        check_limits(
            StagedPlan(stages=(Stage(users=400, ramp_up_s=10, hold_s=5),)),
            DEFAULTS,
            round_trip_s=0.090,
        )


def test_without_a_reservation_the_emulator_s_unreserved_pool_holds_the_plan() -> None:
    # The emulator's account concurrency (100 by default) less the reservations: 200 users of
    # a stack without reserved concurrency would measure its 429s.
    limits = TargetLimits(
        api_throttle_rate=4000.0, api_throttle_burst=100, unreserved_concurrency=100
    )
    plan = StagedPlan(stages=(Stage(users=100, hold_s=1), Stage(users=200, hold_s=1)))
    with pytest.raises(LimitsError) as caught:
        check_limits(plan, limits, round_trip_s=0.090)
    assert (
        "200 users can have 200 requests in flight but the account concurrency leaves 100 "
        "for functions without reserved concurrency: raise the emulator's "
        "--account-concurrency by 100 or more" in str(caught.value)
    )
    assert (
        check_limits(
            StagedPlan(stages=(Stage(users=100, hold_s=1),)), limits, round_trip_s=0.090
        ).exceeded
        == []
    )
    with pytest.raises(LimitsError, match="keep 200 invocations in flight"):
        check_limits(
            RatePlan(steps=(RateStep(rate_rps=200_000, duration_s=1),)),
            TargetLimits(unreserved_concurrency=100),
        )
    # A reservation is the function's own pool: the unreserved one is not its limit.
    reserved = TargetLimits(reserved_concurrency=300, unreserved_concurrency=100)
    assert check_limits(plan, reserved, round_trip_s=0.090).exceeded == []
    assert TargetLimits.from_mapping({"unreserved_concurrency": 100}, source="x") is not None


# --- the command line: a URL, a --stack of the emulator, a --stack on AWS ---------------------


def _endpoints(tmp_path: Path, url: str, **limits: Any) -> Path:
    path = tmp_path / "endpoints.json"
    path.write_text(
        json.dumps(
            {
                "stacks": {
                    "python-512-provisioned": {"url": url, "settings": {"memory_mb": 512}, **limits}
                }
            }
        )
    )
    return path


def test_a_url_target_states_no_limits_and_is_not_checked(tmp_path: Path) -> None:
    with ServerThread("ok") as server:
        done = loadgen(
            "scenario2",
            "--target",
            server.url,
            "--stages",
            "40:0:0.3s",
            "--results",
            str(tmp_path),
            "--run-id",
            "url",
            "--name",
            "t",
            "--quiet",
        )
    assert done.returncode == 0, done.stderr
    assert "limit" not in done.stderr and "note" not in done.stderr
    target = json.loads((tmp_path / "url" / "t" / "scenario2" / "run.json").read_text())["target"]
    assert target["limits"] is None and target["limits_check"] is None


def test_a_stack_of_the_emulator_is_refused_before_anything_is_sent(tmp_path: Path) -> None:
    with ServerThread("ok") as server:
        endpoints = _endpoints(
            tmp_path,
            server.url,
            api_throttle_rate=100.0,
            api_throttle_burst=200,
            reserved_concurrency=10,
            provisioned_concurrency=2,
        )
        done = loadgen(
            "scenario2",
            "--stack",
            "python-512-provisioned",
            "--endpoints",
            str(endpoints),
            "--stages",
            "18:0:1s",
            "--results",
            str(tmp_path),
            "--quiet",
        )
        seen = server.seen
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert "raise lambda-model-study:reserved_concurrency to 18" in done.stderr
    assert seen == 0 and not any(tmp_path.glob("*/python-512-provisioned"))


def test_exceed_limits_runs_and_run_json_says_so(tmp_path: Path) -> None:
    with ServerThread("ok") as server:
        endpoints = _endpoints(
            tmp_path,
            server.url,
            api_throttle_rate=100.0,
            api_throttle_burst=200,
            reserved_concurrency=10,
        )
        done = loadgen(
            "scenario2",
            "--stack",
            "python-512-provisioned",
            "--endpoints",
            str(endpoints),
            "--stages",
            "12:0:0.3s",
            "--results",
            str(tmp_path),
            "--run-id",
            "anyway",
            "--exceed-limits",
            "--quiet",
        )
    assert done.returncode == 0, done.stderr
    assert "warning: running past the target's limits (--exceed-limits)" in done.stderr
    run = json.loads(
        (tmp_path / "anyway" / "python-512-provisioned" / "scenario2" / "run.json").read_text()
    )
    check = run["target"]["limits_check"]
    assert check["run_anyway"] is True and check["limits"]["reserved_concurrency"] == 10
    assert any("reserved_concurrency to 12" in line for line in check["exceeded"])


def test_a_run_on_workers_is_checked_whole_before_any_worker_is_sought(tmp_path: Path) -> None:
    endpoints = _endpoints(
        tmp_path, "http://127.0.0.1:9", api_throttle_rate=4000.0, api_throttle_burst=100
    )
    done = loadgen(
        "scenario2",
        "--stack",
        "python-512-provisioned",
        "--endpoints",
        str(endpoints),
        "--workers",
        "8",
        "--worker-stack",
        "no-such-workers",
        "--stages",
        "800:3m:1m,1600:0:1m",
        "--quiet",
    )
    assert done.returncode == 2
    assert "starts 800 users at once" in done.stderr and "no-such-workers" not in done.stderr
    # Workers cannot share a --throughput cap: the fix offered is think time.
    assert "--think" in done.stderr and "--throughput" not in done.stderr


def _fake_pulumi(tmp_path: Path, outputs: dict[str, Any]) -> dict[str, str]:
    """A ``pulumi`` on PATH that prints ``outputs`` for ``stack output --json``."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "pulumi"
    script.write_text(
        f"#!{sys.executable}\nimport json, sys\n"
        "assert sys.argv[1:4] == ['stack', 'output', '--json'], sys.argv\n"
        f"print(json.dumps({outputs!r}))\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}


def test_aws_stack_outputs_give_the_limits_and_a_plan_past_them_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `pulumi stack output --json` as stack/aws's ModelStack exports it (numbers as numbers).
    outputs = {
        "url": "https://abc123.execute-api.us-east-1.amazonaws.com",
        "function_name": "lambda-model-study-python-512-provisioned",
        "log_group": "/aws/lambda/lambda-model-study-python-512-provisioned",
        "memory_mb": 512,
        "region": "us-east-1",
        "api_throttle_rate": 100,
        "api_throttle_burst": 200,
        "reserved_concurrency": 10,
        "provisioned_concurrency": 2,
    }
    env = _fake_pulumi(tmp_path, outputs)
    monkeypatch.setenv("PATH", env["PATH"])
    target = resolve_stack("python-512-provisioned", endpoints_file=tmp_path / "absent.json")
    assert target.source == "pulumi" and target.limits is not None
    assert (
        target.limits.api_throttle_rate,
        target.limits.reserved_concurrency,
        target.limits.provisioned_concurrency,
    ) == (100.0, 10, 2)
    done = loadgen(
        "scenario2",
        "--stack",
        "python-512-provisioned",
        "--endpoints",
        str(tmp_path / "absent.json"),
        "--quiet",
        env=env,
    )
    assert done.returncode == 2 and done.stderr.count("\n") == 1
    assert "reserved concurrency is 10" in done.stderr
    assert "throttles at 100 req/s" in done.stderr


def test_outputs_without_limits_check_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A stack deployed before the outputs existed: no limits known, nothing refused.
    monkeypatch.setenv("PATH", _fake_pulumi(tmp_path, {"url": "https://x.example"})["PATH"])
    assert resolve_stack("java-512", endpoints_file=tmp_path / "absent.json").limits is None


# --- every documented run fits the stack it names ----------------------------------------------

STUDY_STACKS = ("python-256", "python-512", "python-1024", "java-256", "java-512", "java-1024")


def _documented_runs() -> list[tuple[str, str, list[str]]]:
    """``(where, scenario, argv)`` of every ``python -m loadgen scenario2|rate --stack ...``
    command in README.md and docs/ (a shell loop's ``$s`` stands for each study stack)."""
    runs = []
    for path in [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]:
        text = path.read_text(encoding="utf-8").replace("\\\n", " ")
        for number, line in enumerate(text.splitlines(), start=1):
            match = re.search(r"python -m loadgen (scenario2|rate) ([^`#\n]*)", line)
            if match is None or "[" in match.group(2):
                continue  # not a command, or a synopsis of optional parts
            argv = shlex.split(match.group(2))
            if "--stack" not in argv:
                continue
            stacks = STUDY_STACKS if argv[argv.index("--stack") + 1] == "$s" else (None,)
            for stack in stacks:
                given = [stack if arg == "$s" and stack else arg for arg in argv]
                runs.append((f"{path.name}:{number}", match.group(1), given))
    return runs


def test_the_documented_runs_are_found() -> None:
    found = {where.split(":")[0] for where, _, _ in _documented_runs()}
    assert {"README.md", "emulator.md"} <= found and len(_documented_runs()) >= 9


@pytest.mark.parametrize(
    ("where", "scenario", "argv"),
    _documented_runs(),
    ids=[f"{w}-{a[a.index('--stack') + 1]}" for w, _, a in _documented_runs()],
)
def test_every_documented_run_fits_the_stack_it_names(
    where: str, scenario: str, argv: list[str]
) -> None:
    from emulator._endpoints_doc import limits_entry
    from loadgen.__main__ import build_parser
    from loadgen._cli import _plan
    from stack import load_stack

    args = build_parser().parse_args([scenario, *argv])
    plan, _ = _plan(scenario, args)
    limits = TargetLimits.from_mapping(limits_entry(load_stack(args.stack)).to_json(), source=where)
    assert limits is not None
    # At the shortest round trip (a run on workers is in the region): LimitsError if not.
    assert check_limits(plan, limits, time_scale=args.time_scale).exceeded == []
