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
    shown = subprocess.run(["make", "-s", "help"], cwd=REPO, capture_output=True, text=True,
                           check=True, timeout=60).stdout
    listed = sorted(line.split()[1] for line in shown.splitlines() if line.startswith("make "))
    assert listed == TARGETS
