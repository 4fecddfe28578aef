"""Keep-alive policies: which idle instances each reclaims, and when."""

from __future__ import annotations

from pathlib import Path

from emulator import EmulatorOptions
from emulator.instance._instance import InstanceState
from emulator.lambda_service._keepalive import FixedKeepAlive, SebsKeepAlive, keep_alive_policy

from ...support.instances import instance


def test_fixed_keep_alive_reclaims_idle_on_demand_instances_past_it(tmp_path: Path) -> None:
    policy = keep_alive_policy(EmulatorOptions(keep_alive_s=600, time_scale=60))
    assert isinstance(policy, FixedKeepAlive)
    assert policy.tick_real_s == 0.5  # a twentieth of the 10 real seconds
    old = instance(tmp_path, "old", idle_since_s=89.0)
    idle = [
        old,
        instance(tmp_path, "recent", idle_since_s=95.0),
        instance(tmp_path, "provisioned", idle_since_s=0.0, provisioned=True),
        instance(tmp_path, "taken", idle_since_s=0.0, state=InstanceState.BUSY),
        instance(tmp_path, "ended", idle_since_s=0.0, state=InstanceState.DEAD),
    ]
    reclaims = policy.reclaims(idle, now_s=100.0)
    assert [r.instance for r in reclaims] == [old]
    assert reclaims[0].reason == "idle 660.0 s >= keep-alive 600 s"


def test_sebs_reclaims_the_longer_idle_half_rounded_up(tmp_path: Path) -> None:
    policy = keep_alive_policy(EmulatorOptions(idle_policy="sebs", time_scale=360))
    assert isinstance(policy, SebsKeepAlive) and policy.tick_real_s == 1.0
    idle = [instance(tmp_path, f"i{n}", idle_since_s=float(n)) for n in (4, 0, 3, 1, 2)]
    idle.append(instance(tmp_path, "provisioned", idle_since_s=-1.0, provisioned=True))
    reclaims = policy.reclaims(idle, now_s=10.0)
    assert [r.instance.id for r in reclaims] == ["i0", "i1", "i2"]
    assert {r.reason for r in reclaims} == {"sebs: half of 5 idle reclaimed"}
    assert policy.reclaims([], now_s=10.0) == []
