"""The v2 driver on this machine's real cgroup2 mount (no controllers enabled there)."""

from __future__ import annotations

import secrets
import subprocess
from pathlib import Path

import pytest

from runtime.linux.cgroups import CgroupError, CgroupResources, CgroupV2

UNIFIED = Path("/sys/fs/cgroup/unified")


@pytest.fixture
def unified() -> CgroupV2:
    if not (UNIFIED / "cgroup.procs").exists():
        pytest.skip("no cgroup2 mount at /sys/fs/cgroup/unified")
    return CgroupV2(UNIFIED)


def test_create_join_and_remove_a_real_v2_cgroup(unified: CgroupV2) -> None:
    parent = f"pycompose-test-{secrets.token_hex(4)}"
    path = f"/{parent}/c1"
    unified.create(path, CgroupResources())
    sleeper = subprocess.Popen(["sleep", "30"])
    try:
        unified.join(path, sleeper.pid)
        assert unified.pids(path) == [sleeper.pid]
        assert f"0::{path}" in Path(f"/proc/{sleeper.pid}/cgroup").read_text()
        assert unified.oom_kills(path) == 0  # no memory controller: nothing counted
    finally:
        sleeper.kill()
        sleeper.wait()
    unified.remove(path, prune_parent=True)
    assert not (UNIFIED / parent).exists()


def test_limits_without_controllers_are_a_clear_error(unified: CgroupV2) -> None:
    available = (UNIFIED / "cgroup.controllers").read_text().split()
    if "pids" in available:
        pytest.skip("this cgroup2 mount has the pids controller")
    parent = f"pycompose-test-{secrets.token_hex(4)}"
    with pytest.raises(CgroupError, match="pids not available"):
        unified.create(f"/{parent}/c", CgroupResources(pids_limit=10))
    assert not (UNIFIED / parent).exists()  # what it made for the failed request is gone
