"""``python -m model train | evaluate | vectors``; see model/_cli.py."""

from __future__ import annotations

from model._cli import main

raise SystemExit(main())
