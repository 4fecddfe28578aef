"""The loadgen-worker stack's settings: what sets a worker stack apart from a model stack, its
defaults, and each setting it cannot use refused in one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from contract import WORKER_HANDLER
from stack import PROJECT, SettingsError, StackSettings, list_stacks, load_stack

from ..support.stacks import WORKER_STACK


def test_the_worker_stack_is_a_worker_and_not_a_model_stack() -> None:
    settings = load_stack(WORKER_STACK)
    assert settings.is_worker and settings.handler == WORKER_HANDLER
    assert settings.timeout_s == 900 and settings.warnings == ()
    assert WORKER_STACK not in list_stacks()
    assert WORKER_STACK in list_stacks(kind="loadgen-worker")
    assert all(not load_stack(name).is_worker for name in list_stacks())


def test_a_stack_file_with_an_unknown_kind_is_listed_so_that_loading_reports_it(
    tmp_path: Path,
) -> None:
    for name, kind in (("a", "loadgen-worker"), ("b", "worker"), ("c", None)):
        line = f"  {PROJECT}:kind: {kind}\n" if kind else ""
        (tmp_path / f"Pulumi.{name}.yaml").write_text(
            f"config:\n{line}  {PROJECT}:language: python\n  {PROJECT}:memory_mb: 512\n"
        )
    assert list_stacks(tmp_path) == ["b", "c"]
    assert list_stacks(tmp_path, kind="loadgen-worker") == ["a"]
    assert list_stacks(tmp_path, kind=None) == ["a", "b", "c"]
    with pytest.raises(SettingsError, match="kind is 'worker'; use one of"):
        load_stack("b", tmp_path)


def test_a_worker_defaults_its_worker_count_limit() -> None:
    settings = StackSettings(name="w", kind="loadgen-worker", language="python", memory_mb=1024)
    assert settings.workers_max == 100 and settings.runtime == "python3.12"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"model_runtime": "litert"}, "model_runtime is set but a loadgen-worker stack serves"),
        ({"cold_start_mitigation": "snapstart"}, "cold_start_mitigation is set but"),
        ({"language": "java"}, "set lambda-model-study:language to python"),
        ({"runtime": "python3.11"}, "the worker's wheels are built for python3.12"),
        ({"architecture": "arm64"}, "hdrhistogram, which the worker needs, has wheels for"),
        ({"workers_max": 0}, "workers_max is 0; it must be 1 to 1000 workers"),
        ({"reserved_concurrency": 10}, "reserved_concurrency (10) is below"),
        ({"kind": "worker"}, "kind is 'worker'; use one of: model, loadgen-worker"),
    ],
)
def test_a_worker_stack_refuses_what_it_cannot_use(
    changes: dict[str, object], message: str
) -> None:
    values: dict[str, object] = {
        "name": "w",
        "kind": "loadgen-worker",
        "language": "python",
        "memory_mb": 1024,
        **changes,
    }
    with pytest.raises(SettingsError) as error:
        StackSettings(**values)  # type: ignore[arg-type]
    assert message in str(error.value)


def test_workers_max_is_refused_on_a_model_stack() -> None:
    with pytest.raises(SettingsError) as error:
        StackSettings(name="m", language="python", memory_mb=512, workers_max=4)
    assert "only used with kind: loadgen-worker" in str(error.value)
