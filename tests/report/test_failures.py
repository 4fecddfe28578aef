"""Failures by kind in a stack's log: classified as Lambda's REPORT and INIT_REPORT lines say."""

from __future__ import annotations

from report._failures import failure_kinds

from ..support.runtime_stacks import STACKS


def test_failures_are_classified_by_kind_and_counted_once() -> None:
    found = failure_kinds(STACKS["python-tf-256"]["log"])
    # the retried init's timeout and its invocation's REPORT are one failure, not two
    assert dict(found.kinds) == {"out of memory": 2, "init timeout": 2}
    assert dict(found.error_types) == {"Runtime.OutOfMemory": 2}
    assert found.peak_mb == 256 and found.problems == []


def test_lines_copied_with_spaces_are_read_alike() -> None:
    found = failure_kinds(
        [
            (
                "INIT_REPORT Init Duration: 120.00 ms Phase: init Status: error Error Type: "
                "Runtime.ImportModuleError"
            ),
            (
                "REPORT RequestId: r1 Duration: 3.00 ms Billed Duration: 3 ms Memory Size: 512 MB "
                "Max Memory Used: 60 MB Status: error Error Type: Runtime.ExitError"
            ),
            (
                "REPORT RequestId: r2 Duration: 3000.00 ms Billed Duration: 3000 ms Memory Size: "
                "512 MB "
                "Max Memory Used: 60 MB Status: timeout"
            ),
            "INIT_REPORT Init Duration: 80.00 ms Phase: init Status: success",
        ]
    )
    assert dict(found.kinds) == {"init failure": 1, "other": 1, "function timeout": 1}
    assert dict(found.error_types) == {"Runtime.ImportModuleError": 1, "Runtime.ExitError": 1}
