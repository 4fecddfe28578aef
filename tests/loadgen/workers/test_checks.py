"""The checks before a workers run: a request file too big for a worker's event."""

from __future__ import annotations

import json
from pathlib import Path

import pytest


def test_a_request_file_too_big_for_a_worker_s_event_is_refused_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import loadgen.workers._checks as checks
    from loadgen._errors import PlanError

    requests = tmp_path / "requests.json"
    requests.write_text(json.dumps({"method": "POST", "path": "/x", "body": "y" * 2000}))
    monkeypatch.setattr(checks, "REQUEST_TEXT_MAX_BYTES", 1000)
    with pytest.raises(PlanError) as refused:
        checks.request_event(requests, expect_field=None)
    assert "\n" not in str(refused.value) and "run without --workers" in str(refused.value)
