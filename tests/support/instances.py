"""An emulator instance record in a given state, without a process (keep-alive and environment
tests)."""

from __future__ import annotations

from pathlib import Path

from emulator.instance._instance import InitType, Instance, InstanceState


def instance(
    tmp_path: Path,
    name: str,
    *,
    idle_since_s: float = 0.0,
    state: InstanceState = InstanceState.IDLE,
    provisioned: bool = False,
    init_type: InitType = InitType.ON_DEMAND,
) -> Instance:
    workdir = tmp_path / name
    return Instance(
        id=name,
        stack="fn",
        workdir=workdir,
        task_root=workdir / "task",
        opt_dir=workdir / "opt",
        tmp_dir=workdir / "tmp",
        provisioned=provisioned,
        init_type=init_type,
        state=state,
        idle_since_s=idle_since_s,
    )
