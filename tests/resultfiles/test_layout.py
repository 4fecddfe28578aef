"""The run folder's layout: the result files the docs list, a run's folder, the run id, and the
names of a stack's logs side by side."""

from __future__ import annotations

import re
from pathlib import Path

from resultfiles import (
    RESULT_FILES,
    access_log_path,
    cpu_samples_path,
    events_path,
    log_path,
    new_run_id,
    run_folder,
)

from ..support.paths import REPO

DOCS = REPO / "docs" / "results.md"


def test_the_result_files_are_the_five_the_docs_list() -> None:
    text = DOCS.read_text(encoding="utf-8")
    layout = text.split("```", 2)[1]
    listed = re.findall(r"^\s+(\S+\.(?:json|jsonl|hlog|csv))\s", layout, flags=re.MULTILINE)
    assert sorted(listed) == sorted(RESULT_FILES)


def test_a_run_folder_is_run_target_scenario(tmp_path: Path) -> None:
    assert run_folder(tmp_path, "r1", "python-512", "scenario2") == (
        tmp_path / "r1" / "python-512" / "scenario2"
    )


def test_the_default_run_id_is_the_utc_start_time() -> None:
    assert new_run_id(epoch_s=0) == "19700101T000000Z"
    assert new_run_id(prefix="sweep-", epoch_s=86_400 + 3_661) == "sweep-19700102T010101Z"
    assert re.fullmatch(r"\d{8}T\d{6}Z", new_run_id())


def test_a_stacks_logs_sit_side_by_side(tmp_path: Path) -> None:
    names = [
        p.name
        for p in (
            log_path(tmp_path, "java-512"),
            access_log_path(tmp_path, "java-512"),
            cpu_samples_path(tmp_path, "java-512"),
            events_path(tmp_path, "java-512"),
        )
    ]
    assert names == [
        "java-512.log",
        "java-512.access.jsonl",
        "java-512.cpu.jsonl",
        "java-512.events.jsonl",
    ]
