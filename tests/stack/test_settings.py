"""Stack settings: the committed stack files, both ways of reading them, and every refusal."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

import stack
from stack import (
    PROJECT,
    SettingsError,
    StackError,
    StackSettings,
    from_config,
    list_stacks,
    load_stack,
    load_stack_file,
    model_env,
    model_key,
)
from stack.settings import LOG_RETENTION_DAYS, ROOT

STUDY = {
    "python-256": ("python", 256),
    "python-512": ("python", 512),
    "python-1024": ("python", 1024),
    "java-256": ("java", 256),
    "java-512": ("java", 512),
    "java-1024": ("java", 1024),
}


def write_stack(root: Path, name: str, body: str) -> Path:
    path = root / f"Pulumi.{name}.yaml"
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


def config_file(root: Path, name: str, **settings: object) -> Path:
    config = {f"{PROJECT}:{key}": value for key, value in settings.items()}
    path = root / f"Pulumi.{name}.yaml"
    path.write_text(yaml.safe_dump({"config": config}), encoding="utf-8")
    return path


def pulumi_view(path: Path) -> tuple[dict[str, str], str | None]:
    """What a Pulumi program sees of a stack file: every value as a string, structured values
    as JSON (as the engine passes them in PULUMI_CONFIG)."""
    config = yaml.safe_load(path.read_text(encoding="utf-8"))["config"]
    values: dict[str, str] = {}
    region = None
    for full_key, value in config.items():
        text = value if isinstance(value, str) else json.dumps(value)
        if full_key == "aws:region":
            region = text
        elif full_key.startswith(f"{PROJECT}:"):
            values[full_key.split(":", 1)[1]] = text
    return values, region


def test_public_surface_is_sorted_and_pulumi_free() -> None:
    assert stack.__all__ == sorted(stack.__all__)
    assert all(hasattr(stack, name) for name in stack.__all__)
    assert issubclass(SettingsError, StackError) and issubclass(SettingsError, ValueError)
    # The emulator imports settings and packaging where Pulumi need not be installed.
    probe = "import sys, stack, stack.settings, stack.package; print(sorted(sys.modules))"
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    modules = json.loads(result.stdout.replace("'", '"'))
    assert "stack.package" in modules
    assert not [m for m in modules if m.split(".")[0] in ("pulumi", "pulumi_aws")]


def test_the_study_stacks_are_committed() -> None:
    names = list_stacks()
    for name, (language, memory_mb) in STUDY.items():
        assert name in names
        settings = load_stack(name)
        assert (settings.language, settings.memory_mb) == (language, memory_mb)
        assert settings.model_strategy == "bundled"
        assert settings.cold_start_mitigation == "none"
        assert settings.architecture == "x86_64"


def test_variants_show_every_option() -> None:
    every = [load_stack(name) for name in list_stacks()]
    assert {s.model_strategy for s in every} == {"bundled", "layer", "s3"}
    assert {s.cold_start_mitigation for s in every} == {"none", "ping", "provisioned", "snapstart"}
    assert {s.architecture for s in every} == {"x86_64", "arm64"}
    assert {s.model_runtime for s in every} == {"artifact", "litert", "tensorflow", "onnx"}


@pytest.mark.parametrize("name", list_stacks(kind=None))
def test_pulumi_config_and_stack_file_give_the_same_settings(name: str) -> None:
    path = ROOT / f"Pulumi.{name}.yaml"
    from_file = load_stack_file(path)
    values, region = pulumi_view(path)
    from_pulumi = from_config(name, values.get, region, keys=values)
    assert from_pulumi == from_file
    assert from_file.name == name
    assert from_file.warnings == ()


def test_defaults_derive_from_language(tmp_path: Path) -> None:
    python = load_stack_file(config_file(tmp_path, "p", language="python", memory_mb=512))
    java = load_stack_file(config_file(tmp_path, "j", language="java", memory_mb="512"))
    assert (python.runtime, python.handler) == ("python3.12", "app.handler")
    assert (java.runtime, java.handler) == ("java21", "predictor.Handler::handleRequest")
    assert python.region == "us-east-1"
    assert python.timeout_s == 30 and python.log_retention_days in LOG_RETENTION_DAYS
    assert java.memory_mb == 512


def test_region_and_environment_are_read(tmp_path: Path) -> None:
    path = write_stack(
        tmp_path,
        "eu",
        f"""
        config:
          aws:region: eu-west-1
          aws:profile: study
          {PROJECT}:language: python
          {PROJECT}:memory_mb: 256
          {PROJECT}:environment:
            MAX_INSTANCES: "500"
            LOG_LEVEL: debug
        """,
    )
    settings = load_stack_file(path)
    assert settings.region == "eu-west-1"
    assert dict(settings.environment) == {"LOG_LEVEL": "debug", "MAX_INSTANCES": "500"}
    values, region = pulumi_view(path)
    assert from_config("eu", values.get, region) == settings


def test_settings_are_frozen_and_hashable(tmp_path: Path) -> None:
    settings = load_stack("python-512")
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.memory_mb = 1024  # type: ignore[misc]
    with pytest.raises(TypeError):
        settings.environment["X"] = "1"  # type: ignore[index]
    assert hash(settings) == hash(load_stack("python-512"))
    bigger = dataclasses.replace(settings, memory_mb=1024)
    assert bigger.memory_mb == 1024 and bigger.handler == settings.handler


def test_direct_construction_validates() -> None:
    settings = StackSettings(name="x", language="java", memory_mb=2048, api_throttle_rate=5)
    assert settings.runtime == "java21" and settings.api_throttle_rate == 5.0
    with pytest.raises(SettingsError, match="memory_mb must be int"):
        StackSettings(name="x", language="java", memory_mb="2048")  # type: ignore[arg-type]
    with pytest.raises(SettingsError, match="128 to 10240"):
        StackSettings(name="x", language="java", memory_mb=64)


def test_names_derived_for_aws() -> None:
    settings = load_stack("java-512")
    assert settings.function_name == f"{PROJECT}-java-512"
    assert settings.log_group_name == f"/aws/lambda/{PROJECT}-java-512"
    assert not settings.needs_alias
    assert load_stack("java-1024-snapstart").needs_alias
    assert load_stack("python-512-provisioned").needs_alias
    assert not load_stack("python-512-ping").needs_alias


def test_ping_interval_defaults_to_five_minutes() -> None:
    settings = StackSettings(
        name="x", language="python", memory_mb=512, cold_start_mitigation="ping"
    )
    assert settings.ping_interval_minutes == 5


def test_timeout_beyond_api_gateway_is_a_warning_not_an_error() -> None:
    settings = StackSettings(name="x", language="python", memory_mb=512, timeout_s=120)
    assert len(settings.warnings) == 1 and "30 s" in settings.warnings[0]


INVALID = [
    ({"memory_mb": 64}, "memory_mb is 64; it must be 128 to 10240 MB"),
    ({"memory_mb": 10241}, "memory_mb is 10241"),
    ({"memory_mb": "lots"}, "memory_mb is 'lots'; expected a whole number"),
    ({"language": "ruby"}, "language is 'ruby'; use one of: java, python"),
    ({"timeout_s": 0}, "timeout_s is 0; it must be 1 to 900 seconds"),
    ({"architecture": "arm"}, "architecture is 'arm'; use one of: arm64, x86_64"),
    ({"runtime": "java21"}, "runtime is 'java21', not a python runtime"),
    (
        {"runtime": "python3.11", "cold_start_mitigation": "snapstart"},
        "SnapStart is not available on runtime 'python3.11'",
    ),
    (
        {"cold_start_mitigation": "snapstart", "provisioned_concurrency": 2},
        "SnapStart does not support provisioned concurrency",
    ),
    ({"cold_start_mitigation": "provisioned"}, "provisioned_concurrency is not set"),
    (
        {
            "cold_start_mitigation": "provisioned",
            "provisioned_concurrency": 5,
            "reserved_concurrency": 2,
        },
        "provisioned_concurrency (5) exceeds",
    ),
    ({"provisioned_concurrency": 2}, "it is only used with 'provisioned'"),
    ({"ping_interval_minutes": 5}, "it is only used with 'ping'"),
    (
        {"cold_start_mitigation": "ping", "ping_interval_minutes": 0},
        "ping_interval_minutes is 0; it must be 1 to 60 minutes",
    ),
    ({"cold_start_mitigation": "warm"}, "cold_start_mitigation is 'warm'"),
    ({"model_strategy": "efs"}, "model_strategy is 'efs'; use one of: bundled, layer, s3"),
    ({"log_retention_days": 10}, "log_retention_days is 10; CloudWatch Logs accepts only"),
    ({"reserved_concurrency": 0}, "reserved_concurrency is 0; it must be >= 1"),
    ({"api_throttle_burst": 0}, "api_throttle_burst is 0"),
    ({"api_throttle_rate": "inf"}, "expected a finite number"),
    ({"api_throttle_rate": -1}, "api_throttle_rate is -1.0"),
    ({"authorization": "open"}, "authorization is 'open'; use one of: iam, none"),
    ({"log_format": "JSON"}, "log_format is 'JSON'; use one of: text, json"),
    ({"environment": {"AWS_REGION": "x"}}, "AWS_REGION is set by Lambda"),
    ({"environment": {"MODEL_PATH": "/x"}}, "MODEL_PATH is set by Lambda or derived"),
    ({"environment": {"1X": "x"}}, "'1X' is not a valid variable name"),
    ({"environment": {"LIMIT": 5}}, "with string values"),
    ({"environment": {"BIG": "x" * 5000}}, "Lambda allows 4 KB"),
    ({"memroy_mb": 512}, "unknown setting lambda-model-study:memroy_mb"),
    (
        {"model_runtime": "pytorch"},
        "model_runtime is 'pytorch'; use one of: artifact, litert, tensorflow, onnx",
    ),
    (
        {"language": "java", "model_runtime": "tensorflow"},
        "the Java TensorFlow bindings are not obtainable here",
    ),
    ({"language": "java", "model_runtime": "litert"}, "the Java function serves the artifact"),
    (
        {"model_runtime": "litert", "model_strategy": "s3"},
        "s3 is for the artifact runtime only: use bundled or layer",
    ),
    (
        {"model_runtime": "tensorflow", "model_strategy": "s3"},
        "s3 is for the artifact runtime only: use bundled",
    ),
    ({"model_runtime": "tensorflow", "model_strategy": "layer"}, "which cannot use layers"),
    (
        {"model_runtime": "tensorflow", "cold_start_mitigation": "snapstart"},
        "which SnapStart does not support",
    ),
    ({"model_runtime": "litert", "runtime": "python3.11"}, "use one of python3.12, python3.13"),
    ({"language": "java", "model_runtime": "onnx"}, "the Java function serves the artifact"),
    (
        {"model_runtime": "onnx", "model_strategy": "s3"},
        "s3 is for the artifact runtime only: use bundled or layer",
    ),
    ({"model_runtime": "onnx", "runtime": "python3.11"}, "use one of python3.12, python3.13"),
    ({"environment": {"MODEL_RUNTIME": "litert"}}, "MODEL_RUNTIME is set by Lambda or derived"),
]


@pytest.mark.parametrize(("override", "message"), INVALID)
def test_invalid_stack_files_fail_with_a_clear_message(
    tmp_path: Path, override: dict[str, object], message: str
) -> None:
    settings = {"language": "python", "memory_mb": 512, **override}
    path = config_file(tmp_path, "bad", **settings)
    with pytest.raises(SettingsError) as raised:
        load_stack_file(path)
    assert message in str(raised.value)
    assert len(raised.value.problems) == 1, raised.value.problems
    assert str(path) in str(raised.value)


def test_every_problem_is_listed_at_once(tmp_path: Path) -> None:
    path = config_file(
        tmp_path,
        "bad",
        language="python",
        memory_mb=99999,
        runtime="python3.11",
        cold_start_mitigation="snapstart",
        log_retention_days=2,
        architecture="sparc",
    )
    with pytest.raises(SettingsError) as raised:
        load_stack_file(path)
    problems = raised.value.problems
    assert len(problems) == 4
    text = str(raised.value)
    for fragment in ("memory_mb is 99999", "SnapStart", "log_retention_days is 2", "'sparc'"):
        assert fragment in text


def test_required_settings(tmp_path: Path) -> None:
    path = write_stack(tmp_path, "empty", "config: {}\n")
    with pytest.raises(SettingsError) as raised:
        load_stack_file(path)
    assert [p.split(" is ")[0] for p in raised.value.problems] == [
        f"{PROJECT}:language",
        f"{PROJECT}:memory_mb",
    ]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("config: [1, 2\n", "is not valid YAML"),
        ("- a\n- b\n", "must be a YAML map"),
        ("config: 3\n", "`config:` must be a map"),
        (
            f"config:\n  {PROJECT}:language: python\n  {PROJECT}:memory_mb:\n    secure: AAAA\n",
            "memory_mb is a secret",
        ),
        (
            (
                f"config:\n  {PROJECT}:language: python\n  {PROJECT}:memory_mb: 512\n  aws:region: "
                "Mars\n"
            ),
            "aws:region is 'Mars'",
        ),
    ],
)
def test_malformed_files(tmp_path: Path, body: str, message: str) -> None:
    with pytest.raises(SettingsError, match=message.replace("[", r"\[")):
        load_stack_file(write_stack(tmp_path, "odd", body))


def test_stack_name_must_fit_a_lambda_function_name(tmp_path: Path) -> None:
    path = config_file(tmp_path, "x" * 50, language="python", memory_mb=512)
    with pytest.raises(SettingsError, match="at most 64 characters"):
        load_stack_file(path)
    with pytest.raises(SettingsError, match="not a stack file"):
        load_stack_file(tmp_path / "settings.yaml")


def test_unknown_stack_lists_the_known_ones(tmp_path: Path) -> None:
    config_file(tmp_path, "b", language="python", memory_mb=512)
    config_file(tmp_path, "a", language="java", memory_mb=512)
    (tmp_path / "Pulumi.yaml").write_text("name: x\n")
    assert list_stacks(tmp_path) == ["a", "b"]
    assert load_stack("a", tmp_path).language == "java"
    with pytest.raises(SettingsError, match="stacks here: a, b"):
        load_stack("c", tmp_path)


def test_from_config_reports_unknown_keys_when_given() -> None:
    values = {"language": "python", "memory_mb": "512", "memory": "1"}
    assert from_config("p", values.get, None).memory_mb == 512
    with pytest.raises(SettingsError, match="unknown setting lambda-model-study:memory;"):
        from_config("p", values.get, None, keys=values)


@pytest.mark.parametrize(
    ("strategy", "expected"),
    [
        ("bundled", {"MODEL_PATH": "/var/task/model.zip"}),
        ("layer", {"MODEL_PATH": "/opt/model.zip"}),
        ("s3", {"MODEL_BUCKET": "bucket-1", "MODEL_KEY": "models/abc/model.zip"}),
    ],
)
def test_model_env_per_strategy(strategy: str, expected: dict[str, str]) -> None:
    settings = StackSettings(
        name="x", language="python", memory_mb=512, model_strategy=strategy,
        environment={"MAX_INSTANCES": "100"},
    )  # fmt: skip
    env = model_env(settings, "abc", "bucket-1", model_key("abc"))
    assert env == {"MAX_INSTANCES": "100", "MODEL_VERSION": "abc", **expected}


@pytest.mark.parametrize(
    ("model_runtime", "strategy", "expected"),
    [
        ("artifact", "bundled", {}),
        ("litert", "bundled", {"MODEL_RUNTIME": "litert"}),
        ("litert", "layer", {"MODEL_RUNTIME": "litert"}),
        ("tensorflow", "bundled", {"MODEL_RUNTIME": "tensorflow"}),
        ("onnx", "bundled", {"MODEL_RUNTIME": "onnx"}),
        ("onnx", "layer", {"MODEL_RUNTIME": "onnx"}),
    ],
)
def test_model_runtime_sets_the_functions_model_runtime(
    tmp_path: Path, model_runtime: str, strategy: str, expected: dict[str, str]
) -> None:
    path = config_file(
        tmp_path, "fw", language="python", memory_mb=1024, model_runtime=model_runtime,
        model_strategy=strategy,
    )  # fmt: skip
    settings = load_stack_file(path)
    assert settings.model_runtime == model_runtime
    env = model_env(settings, "abc")
    assert {k: v for k, v in env.items() if k == "MODEL_RUNTIME"} == expected
    # The export is found beside MODEL_PATH (the function replaces .zip), so it stays.
    assert env["MODEL_PATH"] in ("/var/task/model.zip", "/opt/model.zip")


def test_model_runtime_defaults_to_the_artifact(tmp_path: Path) -> None:
    settings = load_stack_file(config_file(tmp_path, "p", language="java", memory_mb=512))
    assert settings.model_runtime == "artifact"
    assert "MODEL_RUNTIME" not in model_env(settings, "abc")


def test_model_env_for_the_emulator_and_s3_needs_a_location() -> None:
    layer = StackSettings(name="x", language="java", memory_mb=512, model_strategy="layer")
    assert model_env(layer, "v", layer_root="/tmp/o")["MODEL_PATH"] == "/tmp/o/model.zip"
    s3 = dataclasses.replace(layer, model_strategy="s3")
    with pytest.raises(ValueError, match="needs bucket and key"):
        model_env(s3, "v")
    assert model_key("0123456789ab") == "models/0123456789ab/model.zip"


def test_pulumi_project_file() -> None:
    project = yaml.safe_load((ROOT / "Pulumi.yaml").read_text(encoding="utf-8"))
    assert project["name"] == PROJECT
    assert project["runtime"]["name"] == "python"
    assert project["runtime"]["options"]["virtualenv"] == ".venv"


def test_the_default_stage_throttle_fits_scenario_2_but_not_the_account_maximum() -> None:
    # What a deployed stack admits by default: enough for scenario 2's users, far less than
    # API Gateway's account maximum (5,000 burst, 10,000 req/s) that anyone could drive.
    from loadgen import StagedPlan

    settings = StackSettings(name="x", language="python", memory_mb=512)
    scenario_2 = StagedPlan()
    users = max(stage.users for stage in scenario_2.stages)
    assert users == 18 and scenario_2.think_s == 0
    # A closed loop: each user has at most one request in flight.
    assert settings.api_throttle_burst >= 5 * users
    # Each user answered within 5 ms (faster than any warm round trip through API Gateway,
    # and than the emulator's 18-user runs: 1,776 hits/s at most) stays under the rate.
    assert settings.api_throttle_rate >= users / 0.005
    assert settings.api_throttle_burst <= 5000 / 10 and settings.api_throttle_rate < 10_000 / 2
    # Still configurable per stack.
    tuned = load_stack("python-512-provisioned")
    assert (tuned.api_throttle_burst, tuned.api_throttle_rate) == (200, 4000.0)


@pytest.mark.parametrize("name", list_stacks())
def test_every_stack_file_admits_scenario_2_as_the_load_generator_checks_it(name: str) -> None:
    # The limits as the emulator's endpoints.json states them (and the AWS stack's outputs);
    # a stack the study loads must not refuse the study's own plan (LimitsError otherwise).
    from emulator._endpoints_doc import limits_entry
    from loadgen import StagedPlan, TargetLimits, check_limits

    limits = TargetLimits.from_mapping(limits_entry(load_stack(name)).to_json(), source=name)
    assert limits is not None
    assert check_limits(StagedPlan(), limits).exceeded == []


def test_log_format_is_text_unless_a_stack_says_json(tmp_path: Path) -> None:
    assert load_stack("python-512").log_format == "text"
    path = config_file(tmp_path, "logs", language="python", memory_mb=512, log_format="json")
    assert load_stack_file(path).log_format == "json"


def test_authorization_is_iam_unless_a_stack_opts_out(tmp_path: Path) -> None:
    assert (
        load_stack_file(
            config_file(tmp_path, "closed", language="python", memory_mb=512)
        ).authorization
        == "iam"
    )
    public = load_stack_file(
        config_file(tmp_path, "public", language="python", memory_mb=512, authorization="none")
    )
    assert public.authorization == "none"


def test_a_memory_variant_is_the_stack_at_another_size_under_its_own_name() -> None:
    base = load_stack("python-512", ROOT)
    variant = load_stack("python-512@1769", ROOT)
    assert variant.memory_mb == 1769 and variant.name == "python-512-at-1769"
    assert variant.function_name.endswith("python-512-at-1769")
    same = {f.name for f in dataclasses.fields(StackSettings)} - {"name", "memory_mb"}
    assert all(getattr(variant, key) == getattr(base, key) for key in same)


def test_a_memory_variant_outside_lambdas_range_is_refused_as_the_files_value_would_be() -> None:
    with pytest.raises(SettingsError, match="memory_mb") as error:
        load_stack("python-512@64", ROOT)
    assert error.value.stack == "python-512-at-64"


def test_a_worker_stack_names_the_stacks_it_may_load_and_only_a_worker_stack_may() -> None:
    workers = load_stack("loadgen-workers", ROOT)
    assert workers.target_stacks == STUDY_KEYS
    with pytest.raises(SettingsError, match="invoke_targets"):
        dataclasses.replace(load_stack("python-512", ROOT), invoke_targets="python-256")
    with pytest.raises(SettingsError, match="not a stack name"):
        dataclasses.replace(workers, invoke_targets="python-512, ../x")


STUDY_KEYS = tuple(STUDY)


@pytest.mark.parametrize(
    "name", ["Python-512", "python_512", "-python", "xn--python", "sthree-python", "Py"]
)
def test_stack_names_that_make_invalid_bucket_names_are_refused(name: str) -> None:
    # Pulumi names a stack's buckets <stack>-models-<random>: S3 refuses upper case and '_'.
    with pytest.raises(SettingsError) as raised:
        StackSettings(name=name, language="python", memory_mb=512)
    (problem,) = raised.value.problems
    assert problem.startswith(f"stack name {name!r} must be 1 to 45 lower-case letters")
    assert "S3's rule for bucket names" in problem


@pytest.mark.parametrize("name", ["python-512", "512", "a", "python-512-at-1024"])
def test_bucket_safe_stack_names_pass(name: str) -> None:
    assert StackSettings(name=name, language="python", memory_mb=512).name == name


def test_an_invoke_target_must_be_a_valid_stack_name() -> None:
    with pytest.raises(SettingsError) as raised:
        StackSettings(name="w", kind="loadgen-worker", language="python", memory_mb=1024,
                      invoke_targets="python-512,Java_256")  # fmt: skip
    assert raised.value.problems == [
        (
            f"{PROJECT}:invoke_targets: 'Java_256' is not a stack name (lower-case letters, "
            "digits or '-'); list the stacks the workers may load, comma-separated"
        )
    ]


def test_name_prefix_names_the_function_and_its_log_group(tmp_path: Path) -> None:
    default = StackSettings(name="python-512", language="python", memory_mb=512)
    assert default.name_prefix == f"{PROJECT}-"
    assert default.function_name == f"{PROJECT}-python-512"
    path = config_file(tmp_path, "python-512", language="python", memory_mb=512,
                       name_prefix="alice-lms-")  # fmt: skip
    mine = load_stack_file(path)
    assert mine.function_name == "alice-lms-python-512"
    assert mine.log_group_name == "/aws/lambda/alice-lms-python-512"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name_prefix": "Alice_"}, "name_prefix is 'Alice_'; use 1 to 32 lower-case letters"),
        ({"name_prefix": "1abc-"}, "name_prefix is '1abc-'; use 1 to 32"),
        ({"name_prefix": "a" * 33}, "use 1 to 32 lower-case letters"),
        (
            {"name": "x" * 45, "name_prefix": "a" * 20},
            "make a 65-character function name; at most 64 fit",
        ),
        (
            # The ping rule is named <function>-ping, within EventBridge's 64 characters.
            {"name": "x" * 41, "cold_start_mitigation": "ping"},
            "make a 60-character function name; at most 59 fit",
        ),
    ],
)
def test_a_name_prefix_that_makes_invalid_names_is_refused(
    changes: dict[str, object], message: str
) -> None:
    values: dict[str, object] = {"name": "python-512", "language": "python", "memory_mb": 512,
                                 **changes}  # fmt: skip
    with pytest.raises(SettingsError) as raised:
        StackSettings(**values)  # type: ignore[arg-type]
    assert len(raised.value.problems) == 1
    assert message in raised.value.problems[0]
