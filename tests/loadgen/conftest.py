"""Shared helpers for the load generator's tests: the repo on sys.path, a results folder."""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# `python -m pytest` from the repo root finds the package; plain `pytest` may not.
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
