"""The whole suite's fixtures and Hypothesis profiles.

Async tests (``@pytest.mark.anyio``) run on asyncio.

"ci" (the default) derandomizes: each property test draws the same examples on every run,
chosen from the test's own source, so a run cannot pass or fail on a lucky draw and a failure
reproduces on any machine. It keeps no example database (nothing written into the tree).
"fuzz" draws fresh examples every run, to look for new failures; a failure prints its seed, and
`--hypothesis-seed=N` replays it (a seed has no effect under "ci"):

    python -m pytest tests/runtime --hypothesis-profile=fuzz [--hypothesis-seed=N]

A failure found that way belongs in the test as an explicit `@example`.
"""

from __future__ import annotations

import pytest
from hypothesis import settings

settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
settings.register_profile("fuzz", derandomize=False, database=None, print_blob=True)
# Loaded here, before any test module builds its settings objects (they inherit from the
# current profile); --hypothesis-profile, applied later by Hypothesis's pytest plugin, wins.
settings.load_profile("ci")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
