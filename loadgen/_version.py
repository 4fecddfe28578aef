"""The load generator's version, in a module of its own so that what records it (run.json) need
not import the package it is part of."""

from __future__ import annotations

__version__ = "0.1.0"
