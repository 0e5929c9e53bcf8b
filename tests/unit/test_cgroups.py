"""cgroup drivers on fake cgroupfs trees (plain directories): which files get which values."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from runtime.linux.cgroups import CgroupError, CgroupResources, CgroupV1, CgroupV2
from runtime.linux.cgroups.base import shares_to_weight
from runtime.linux.devices import DEFAULT_RULES

MakeFiles = Callable[[Path], None]


@pytest.fixture
def kernel_mkdir() -> Iterator[Callable[[MakeFiles], None]]:
    """Make os.mkdir also create the interface files the kernel would put in a new cgroup."""
    real_mkdir = os.mkdir
    patch = pytest.MonkeyPatch()

    def install(make_files: MakeFiles) -> None:
        def mkdir(path: str | os.PathLike[str], mode: int = 0o777) -> None:
            real_mkdir(path, mode)
            make_files(Path(path))

        patch.setattr(os, "mkdir", mkdir)

    yield install
    patch.undo()


def fake_v2(tmp_path: Path, controllers: str) -> Path:
    top = tmp_path / "unified"
    top.mkdir()
    (top / "cgroup.controllers").write_text(controllers + "\n")
    (top / "cgroup.subtree_control").write_text("")
    return top


def test_v2_writes_limits_in_v2_units_and_enables_controllers_only_in_its_own(
    tmp_path: Path, kernel_mkdir: Callable[[MakeFiles], None]
) -> None:
    top = fake_v2(tmp_path, "cpuset cpu io memory pids")
    kernel_mkdir(lambda d: (d / "cgroup.controllers").write_text("cpuset cpu io memory pids\n"))
    driver = CgroupV2(top)
    resources = CgroupResources(
        memory_limit=64 << 20,
        memory_reservation=32 << 20,
        memory_swap=128 << 20,
        cpu_shares=1024,
        cpu_quota=50000,
        cpu_period=100000,
        cpuset_cpus="0",
        pids_limit=50,
        devices=DEFAULT_RULES,
    )
    driver.create("/pycompose-x/c1", resources)
    leaf = top / "pycompose-x" / "c1"
    assert (top / "cgroup.subtree_control").read_text() == ""  # the root is not ours
    assert (
        top / "pycompose-x" / "cgroup.subtree_control"
    ).read_text() == "+cpu +cpuset +memory +pids"
    assert (leaf / "memory.max").read_text() == str(64 << 20)
    assert (leaf / "memory.low").read_text() == str(32 << 20)
    assert (leaf / "memory.swap.max").read_text() == str(64 << 20)
    assert (leaf / "cpu.max").read_text() == "50000 100000"
    assert (leaf / "cpu.weight").read_text() == str(shares_to_weight(1024))
    assert (leaf / "cpuset.cpus").read_text() == "0"
    assert (leaf / "pids.max").read_text() == "50"
    assert not driver.enforces_device_rules()
    (leaf / "memory.events").write_text("low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n")
    assert driver.oom_kills("/pycompose-x/c1") == 1
    assert [m.fstype for m in driver.mounts("/pycompose-x/c1")] == ["cgroup2"]
    driver.join("/pycompose-x/c1", 1234)
    assert (leaf / "cgroup.procs").read_text() == "1234"


def test_v2_refuses_limits_without_their_controller(
    tmp_path: Path, kernel_mkdir: Callable[[MakeFiles], None]
) -> None:
    top = fake_v2(tmp_path, "")
    kernel_mkdir(lambda d: (d / "cgroup.controllers").write_text(""))
    with pytest.raises(CgroupError, match="memory not available"):
        CgroupV2(top).create("/p/c", CgroupResources(memory_limit=1 << 20))


def test_v1_writes_each_controller_and_device_rules(
    tmp_path: Path, kernel_mkdir: Callable[[MakeFiles], None]
) -> None:
    mounts = {name: tmp_path / name for name in ("cpu", "cpuset", "memory", "devices", "pids")}
    for top in mounts.values():
        top.mkdir()
    (mounts["cpuset"] / "cpuset.cpus").write_text("0-1\n")
    (mounts["cpuset"] / "cpuset.mems").write_text("0\n")

    def cpuset_files(directory: Path) -> None:
        if "cpuset" in str(directory):
            (directory / "cpuset.cpus").write_text("")
            (directory / "cpuset.mems").write_text("")

    kernel_mkdir(cpuset_files)
    driver = CgroupV1(mounts)
    resources = CgroupResources(
        memory_limit=1 << 20,
        cpu_quota=50000,
        cpu_period=100000,
        pids_limit=9,
        devices=DEFAULT_RULES[:2],
    )
    driver.create("/pycompose/c", resources)
    leaf = Path("pycompose") / "c"
    assert (mounts["memory"] / leaf / "memory.limit_in_bytes").read_text() == str(1 << 20)
    assert (mounts["cpu"] / leaf / "cpu.cfs_quota_us").read_text() == "50000"
    assert (mounts["pids"] / leaf / "pids.max").read_text() == "9"
    assert (mounts["cpuset"] / leaf / "cpuset.cpus").read_text() == "0-1"  # inherited
    assert (mounts["devices"] / leaf / "devices.deny").read_text() == "a"
    assert (mounts["devices"] / leaf / "devices.allow").read_text() == "c *:* m"
    assert driver.enforces_device_rules()


def test_shares_to_weight_matches_runc() -> None:
    assert shares_to_weight(2) == 1
    assert shares_to_weight(1024) == 39
    assert shares_to_weight(262144) == 10000


def test_runtime_drops_mknod_where_devices_are_not_enforced(tmp_path: Path) -> None:
    from runtime.linux.capabilities import CAPABILITIES, DOCKER_DEFAULT_CAPABILITIES, CapabilitySets
    from runtime.oci.plan import ProcessPlan
    from runtime.oci.runtime import EmbeddedRuntime

    def plan(caps: tuple[str, ...]) -> ProcessPlan:
        sets = CapabilitySets(caps, caps, caps)
        return ProcessPlan(["sh"], [], "/", 0, 0, [], None, sets, [], False, None, False, None)

    v2 = EmbeddedRuntime(tmp_path, cgroups=CgroupV2(tmp_path))
    default = plan(DOCKER_DEFAULT_CAPABILITIES)
    v2._restrict_mknod_without_device_cgroup(default)
    assert default.capabilities is not None and "CAP_MKNOD" not in default.capabilities.bounding
    privileged = plan(CAPABILITIES)
    v2._restrict_mknod_without_device_cgroup(privileged)
    assert privileged.capabilities is not None and "CAP_MKNOD" in privileged.capabilities.bounding
