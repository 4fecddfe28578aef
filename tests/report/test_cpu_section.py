"""What the report says of memory: whether memory buys warm latency."""

from __future__ import annotations

from report._cpu_section import memory_effect


def test_the_report_says_when_memory_barely_matters_warm_and_when_it_shows() -> None:
    flat = memory_effect(
        [
            ("python", 256, 104.0),
            ("python", 512, 105.5),
            ("python", 1024, 103.9),
            ("java", 512, 110.0),
        ],
        batch=1,
    )
    # java was measured at one memory size only: nothing is said of it
    assert len(flat) == 1 and "memory barely matters warm" in flat[0] and "--batch 1000" in flat[0]
    steep = memory_effect([("python", 256, 118.0), ("python", 1024, 96.0)], batch=1000)
    assert steep == [
        (
            "python: warm p50 118.0 ms at 256 MB to 96.0 ms at 1024 MB: the CPU share "
            "that "
            "memory buys shows (1000 instances per request)"
        )
    ]
