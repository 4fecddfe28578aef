"""Scenario 1's idle probes: the eviction bracket read from the probes' outcomes."""

from __future__ import annotations

import math

from loadgen import eviction_bracket


def test_eviction_bracket_from_outcomes() -> None:
    gaps = [{"idle_s": 10, "outcome": "kept"}, {"idle_s": 20, "outcome": "kept"},
            {"idle_s": 40, "outcome": "evicted"}, {"idle_s": 30, "outcome": "unknown"}]
    assert eviction_bracket(gaps) == {"kept_s": 20, "evicted_s": 40, "consistent": True}
    gaps.append({"idle_s": 50, "outcome": "kept"})
    assert eviction_bracket(gaps) == {"kept_s": 20, "evicted_s": 40, "consistent": False}
    assert eviction_bracket([{"idle_s": 5, "outcome": "kept"}]) == {
        "kept_s": 5, "evicted_s": None, "consistent": True}
    assert math.isclose(eviction_bracket([])["kept_s"] or 0, 0)
