"""A stack's settings to the FunctionSpec the emulator hosts."""

from __future__ import annotations

from pathlib import Path

from ..support.paths import REPO


def test_a_worker_stack_is_hosted_with_its_invoke_targets(tmp_path: Path) -> None:
    """The worker stack's ``invoke_targets`` becomes the spec's, which the front doors hold its
    role to (a worker whose role may not invoke a stack gets the gateway's 403)."""
    from emulator._stacks import spec_from_worker_stack
    from stack import load_stack
    from stack._workerpackage import WorkerPackage

    code = tmp_path / "worker.zip"
    code.write_bytes(b"PK\x05\x06" + b"\x00" * 18)
    package = WorkerPackage(
        code_zip=code,
        code_sha256_b64="",
        handler="loadgen.workers._handler.handler",
        size_bytes=22,
        unzipped_bytes=0,
        requirements=(),
        dependencies=tmp_path,
    )
    settings = load_stack("loadgen-workers", REPO)
    spec = spec_from_worker_stack(settings, package)
    assert spec.invoke_targets == settings.target_stacks
    assert "python-512" in spec.invoke_targets and "loadgen-workers" not in spec.invoke_targets
