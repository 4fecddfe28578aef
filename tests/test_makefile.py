"""The Makefile's surface: `make help` names every target, and every phony target has a rule."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from .support.paths import REPO

MAKEFILE = (REPO / "Makefile").read_text(encoding="utf-8")
#: the rules a user can name (`$(STAMP)`-style file rules are not)
TARGETS = sorted(set(re.findall(r"^([a-z][\w-]*):(?!=)", MAKEFILE, flags=re.MULTILINE)))


def test_every_phony_target_has_a_rule_and_every_rule_is_phony() -> None:
    (phony,) = re.findall(r"^\.PHONY:(.*)$", MAKEFILE, flags=re.MULTILINE)
    assert sorted(phony.split()) == TARGETS


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_make_help_lists_every_target() -> None:
    shown = subprocess.run(
        ["make", "-s", "help"], cwd=REPO, capture_output=True, text=True, check=True, timeout=60
    ).stdout
    listed = sorted(line.split()[1] for line in shown.splitlines() if line.startswith("make "))
    assert listed == TARGETS


def test_make_test_is_make_check_then_the_slow_tests() -> None:
    """CI runs `make test`: it must run the quick gate (lint, types, fast tests) and then only
    the tests the gate left out, so that no test runs twice and none is missed."""
    rules = {
        name: (prereqs.split(), recipe)
        for name, prereqs, recipe in re.findall(
            r"^([a-z][\w-]*):(?!=)([^\n]*)\n((?:\t[^\n]*\n)*)", MAKEFILE, flags=re.MULTILINE
        )
    }
    test_prereqs, test_recipe = rules["test"]
    check_prereqs, check_recipe = rules["check"]
    assert "check" in test_prereqs
    assert "lint" in check_prereqs
    assert 'pytest -m "not slow"' in check_recipe
    assert re.search(r"pytest -m slow\b", test_recipe)


def test_lint_checks_rules_format_and_types() -> None:
    """`make check` (and so CI) holds the code to ruff's rules, ruff's format and mypy --strict."""
    (recipe,) = re.findall(r"^lint:[^\n]*\n((?:\t[^\n]*\n)*)", MAKEFILE, flags=re.MULTILINE)
    assert "ruff check ." in recipe
    assert "ruff format --check ." in recipe
    assert "mypy" in recipe
