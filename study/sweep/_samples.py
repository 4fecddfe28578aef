"""What one memory size of a sweep measured: one ``Invocation`` per request sent, cold or warm,
whichever backend sent it (the local emulator, or a deployed function on AWS).

A backend measures; the analysis (percentiles, confidence intervals, cost, the optimum) reads
only these records, so a sweep run locally and one run on AWS are read by the same code and
can be compared figure by figure.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True)
class Invocation:
    """One request of a sweep, with what the client saw and what Lambda's REPORT line said."""

    #: Memory size the function had, MB.
    memory_mb: int
    #: True when the request was sent to force a cold start (a new instance or a new version).
    forced_cold: bool
    #: True when the REPORT line had an Init Duration (the request met a new instance).
    cold: bool
    #: Client latency from sending to reading the whole answer, ms; None when the backend does
    #: not see the client side (Lambda's Invoke API measured by its REPORT line alone).
    client_ms: float | None
    #: REPORT ``Duration``, ms; None when no REPORT line was found for the request.
    duration_ms: float | None
    #: REPORT ``Billed Duration``, ms (the init phase included on a cold start).
    billed_ms: int | None
    #: REPORT ``Init Duration``, ms; None on a warm request.
    init_ms: float | None
    #: REPORT ``Max Memory Used``, MB.
    max_memory_mb: int | None
    #: None when the request succeeded; else its kind (``out_of_memory``, ``timeout``,
    #: ``init_failure``, ``throttled``, ``http_5xx``, ``http_4xx``, ``connection``, ...).
    failure: str | None = None
    #: The request id Lambda gave it (joins the client's record to the REPORT line).
    request_id: str | None = None
    #: Which of the user's sample requests was sent (its index in the request set).
    request_index: int = 0
