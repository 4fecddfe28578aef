"""CPU by memory size: cgroup quotas, probing a cgroup file system, the CPUs an instance sees."""

from __future__ import annotations

from pathlib import Path

import pytest

from emulator.instance._cgroups import (
    CFS_PERIOD_US,
    Cgroups,
    cpu_quota_us,
    instance_cpus,
    lambda_vcpus,
)


def test_cpu_quota_is_proportional_to_memory() -> None:
    assert cpu_quota_us(1769) == CFS_PERIOD_US == 20_000
    assert cpu_quota_us(512) == round(20_000 * 512 / 1769)
    assert cpu_quota_us(3538) == 40_000
    assert cpu_quota_us(128) >= 1_000


def test_a_directory_that_is_not_a_cgroup_fs_disables_limits(tmp_path: Path) -> None:
    (tmp_path / "cpu").mkdir()
    (tmp_path / "cpu" / "cpu.cfs_quota_us").write_text("-1\n")
    (tmp_path / "memory").mkdir()
    (tmp_path / "memory" / "memory.limit_in_bytes").write_text("9223372036854771712\n")
    cgroups = Cgroups(tmp_path)
    assert not cgroups.support.limited
    assert str(tmp_path) in cgroups.support.reason
    assert cgroups.create("x", 512) is None
    assert not any(p.name.startswith("lambda-emulator") for p in (tmp_path / "cpu").iterdir())


@pytest.mark.parametrize("version", [1, 2])
def test_the_init_burst_ends_by_writing_the_memory_share(tmp_path: Path, version: int) -> None:
    from emulator.instance._cgroups import InstanceCgroup

    cpu_dir = tmp_path / "cpu"
    cpu_dir.mkdir()
    group = InstanceCgroup(version, (cpu_dir,))
    group.set_cpu_quota_us(cpu_quota_us(256))
    assert group.cpu_quota_us() == cpu_quota_us(256)
    written = (cpu_dir / ("cpu.cfs_quota_us" if version == 1 else "cpu.max")).read_text()
    share = cpu_quota_us(256)
    assert written == (str(share) if version == 1 else f"{share} {CFS_PERIOD_US}")


@pytest.mark.parametrize("layout", ["cpu,cpuacct", "cpuacct apart"])
def test_cgroup_v1_counts_the_instances_cpu_time_with_cpuacct(tmp_path: Path, layout: str) -> None:
    # v1's cpu controller counts no CPU time; cpuacct does, mounted with cpu (its files in the
    # cpu directory) or in a hierarchy of its own (a directory of the instance's there too).
    from emulator.instance._cgroups import InstanceCgroup

    cpu_dir, acct_dir, mem_dir = tmp_path / "cpu", tmp_path / "cpuacct", tmp_path / "memory"
    for d in (cpu_dir, acct_dir, mem_dir):
        d.mkdir()
    (cpu_dir / "cpu.stat").write_text("nr_periods 40\nnr_throttled 10\nthrottled_time 250000000\n")
    if layout == "cpu,cpuacct":
        (cpu_dir / "cpuacct.usage").write_text("1500000000\n")
        group = InstanceCgroup(1, (cpu_dir, mem_dir))
    else:
        (acct_dir / "cpuacct.usage").write_text("1500000000\n")
        group = InstanceCgroup(1, (cpu_dir, acct_dir, mem_dir))
    stat = group.cpu_stat()
    assert stat is not None and stat.usage_ms == pytest.approx(1500.0)
    assert (stat.periods, stat.throttled_periods, stat.throttled_ms) == (40, 10, 250.0)
    # without cpuacct the count is unknown, not zero
    assert InstanceCgroup(1, (mem_dir,)).cpu_stat() is None
    (mem_dir / "cpu.stat").write_text("nr_periods 1\n")
    plain = InstanceCgroup(1, (mem_dir,)).cpu_stat()
    assert plain is not None and plain.usage_ms is None


@pytest.mark.parametrize(
    ("memory_mb", "vcpus"),
    [
        (128, 2),
        (1769, 2),
        (3008, 2),
        (3009, 3),
        (5307, 3),
        (5308, 4),
        (7076, 4),
        (7077, 5),
        (8845, 5),
        (8846, 6),
        (10240, 6),
    ],
)
def test_an_instance_sees_the_cpu_count_lambda_shows_at_its_memory(
    memory_mb: int, vcpus: int
) -> None:
    # rwnx/lambda-cpuinfo's thresholds: 2 up to 3,008 MB, then one more per 1,769 MB
    assert lambda_vcpus(memory_mb) == vcpus
    host = frozenset(range(8))
    cpus = instance_cpus(memory_mb, host)
    assert len(cpus) == vcpus and cpus <= host


def test_instance_cpus_stay_within_the_hosts_and_spread_round_it() -> None:
    assert instance_cpus(10240, frozenset({0, 1})) == frozenset({0, 1})
    assert instance_cpus(512, frozenset({4, 5, 6}), turn=2) == frozenset({6, 4})
    assert instance_cpus(512, frozenset(range(8)), turn=0) != instance_cpus(
        512, frozenset(range(8)), turn=1
    )
