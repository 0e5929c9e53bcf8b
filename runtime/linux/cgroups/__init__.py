"""cgroups: one driver interface, a v1 and a v2 driver, and detection of the host's layout."""

from __future__ import annotations

from pathlib import Path

from runtime.linux.cgroups.base import CgroupDriver, CgroupError, CgroupMount, CgroupResources
from runtime.linux.cgroups.v1 import CgroupV1
from runtime.linux.cgroups.v2 import CgroupV2

__all__ = [
    "CgroupDriver",
    "CgroupError",
    "CgroupMount",
    "CgroupResources",
    "CgroupV1",
    "CgroupV2",
    "detect_driver",
]

CGROUP_ROOT = Path("/sys/fs/cgroup")


def _cgroup_mounts() -> tuple[dict[str, Path], list[Path]]:
    v1: dict[str, Path] = {}
    v2: list[Path] = []
    with open("/proc/self/mountinfo") as handle:
        for line in handle:
            fields = line.split()
            separator = fields.index("-")
            fstype, options = fields[separator + 1], fields[separator + 3]
            mount_point = Path(fields[4].replace("\\040", " "))
            if fstype == "cgroup2":
                v2.append(mount_point)
            elif fstype == "cgroup":
                for option in options.split(","):
                    v1.setdefault(option, mount_point)
    return v1, v2


_detected: CgroupDriver | None = None


def detect_driver() -> CgroupDriver:
    """The driver for this host: v2 when /sys/fs/cgroup is unified, else the v1 hierarchies."""
    global _detected
    if _detected is None:
        v1, v2 = _cgroup_mounts()
        if CGROUP_ROOT in v2:
            _detected = CgroupV2(CGROUP_ROOT)
        elif v1:
            _detected = CgroupV1(v1)
        else:
            raise CgroupError("no cgroup hierarchy is mounted under /sys/fs/cgroup")
    return _detected
