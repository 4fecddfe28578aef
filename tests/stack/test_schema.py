"""stack._schema: the table of settings a stack file may give is the settings type's own list,
and its value checks name the setting by its full key."""

from __future__ import annotations

import dataclasses
from typing import Any

from stack import PROJECT, StackSettings
from stack._schema import SETTINGS, choice, type_problems, within

#: Not given under ``lambda-model-study:``: the stack's name is its file's, the region is
#: ``aws:region``, and warnings are what the checks found.
NOT_IN_A_STACK_FILE = {"name", "region", "warnings"}


def test_every_setting_of_the_type_has_its_line_in_the_table_and_no_other() -> None:
    given = {field.name for field in dataclasses.fields(StackSettings)} - NOT_IN_A_STACK_FILE
    assert set(SETTINGS) == given


def test_a_wrong_type_names_the_setting_and_what_it_takes() -> None:
    values: dict[str, Any] = {key: None for key in SETTINGS}
    values.update(memory_mb="512", api_throttle_rate=5, api_throttle_burst=100, environment={})
    problems = [p for p in type_problems(values) if p.startswith(("memory_mb", "api_throttle"))]
    assert problems == ["memory_mb must be int (MB, 128 to 10240 (required)), not '512'"]
    assert values["api_throttle_rate"] == 5.0 and isinstance(values["api_throttle_rate"], float)


def test_a_choice_and_a_range_name_the_full_key_and_what_is_allowed() -> None:
    problems: list[str] = []
    choice(problems, {"log_format": "xml"}, "log_format", ("text", "json"))
    within(problems, {"memory_mb": 64}, "memory_mb", 128, 10240, "MB")
    choice(problems, {}, "log_format", ("text",))  # not given: nothing to say
    assert problems == [
        f"{PROJECT}:log_format is 'xml'; use one of: text, json",
        f"{PROJECT}:memory_mb is 64; it must be 128 to 10240 MB",
    ]
