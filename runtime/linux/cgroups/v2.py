"""cgroup v2: one unified hierarchy; controllers enabled down the tree by subtree_control.

Device access has no interface file in v2 (runc and crun attach an eBPF
program). This driver does not: where v2 is the hierarchy, the runtime drops
CAP_MKNOD from containers that are not privileged (as podman's defaults do),
so a container can only use the device nodes it is given in /dev.
"""

from __future__ import annotations

from pathlib import Path

from runtime.linux.cgroups.base import (
    CgroupDriver,
    CgroupError,
    CgroupMount,
    CgroupResources,
    make_directories,
    read_counter,
    read_file,
    remove_directory,
    remove_if_empty,
    shares_to_weight,
    wait_for_state,
    write_file,
)


class CgroupV2(CgroupDriver):
    """A driver over the unified hierarchy mounted at `top`."""

    version = 2

    def __init__(self, top: Path):
        self.top = top

    def directory(self, path: str, controller: str = "") -> Path:
        return self.top / path.strip("/")

    def _needed(self, r: CgroupResources) -> set[str]:
        needed = set()
        if any(v is not None for v in (r.memory_limit, r.memory_reservation, r.memory_swap)):
            needed.add("memory")
        if any(v is not None for v in (r.cpu_shares, r.cpu_quota, r.cpu_period)):
            needed.add("cpu")
        if r.cpuset_cpus or r.cpuset_mems:
            needed.add("cpuset")
        if r.pids_limit is not None:
            needed.add("pids")
        return needed

    def create(self, path: str, resources: CgroupResources) -> None:
        needed = self._needed(resources)
        created = make_directories(self.top, path)
        # Enable controllers only in cgroups this driver made (never in the root or a
        # parent someone else owns); what is not available there cannot be limited.
        for directory in created[:-1]:
            available = set(read_file(directory / "cgroup.controllers").split())
            wanted = sorted(needed & available)
            if wanted:
                write_file(directory / "cgroup.subtree_control", " ".join(f"+{c}" for c in wanted))
        leaf = self.directory(path)
        available = set(read_file(leaf / "cgroup.controllers").split())
        missing = needed - available
        if missing:
            for directory in reversed(created):
                remove_if_empty(directory)
            raise CgroupError(
                f"cgroup v2 at {self.top}: controller(s) {', '.join(sorted(missing))} not "
                "available for the requested limits"
            )
        self.update(path, resources)

    def update(self, path: str, resources: CgroupResources) -> None:
        r = resources
        leaf = self.directory(path)
        if r.memory_limit is not None:
            write_file(leaf / "memory.max", str(r.memory_limit) if r.memory_limit > 0 else "max")
            if r.memory_swap is not None:
                swap = "max" if r.memory_swap < 0 else str(max(0, r.memory_swap - r.memory_limit))
                write_file(leaf / "memory.swap.max", swap)
        if r.memory_reservation is not None:
            write_file(leaf / "memory.low", str(r.memory_reservation))
        if r.cpu_shares is not None:
            write_file(leaf / "cpu.weight", str(shares_to_weight(r.cpu_shares)))
        if r.cpu_quota is not None or r.cpu_period is not None:
            quota = "max" if r.cpu_quota is None or r.cpu_quota <= 0 else str(r.cpu_quota)
            write_file(leaf / "cpu.max", f"{quota} {r.cpu_period or 100000}")
        if r.cpuset_cpus:
            write_file(leaf / "cpuset.cpus", r.cpuset_cpus)
        if r.cpuset_mems:
            write_file(leaf / "cpuset.mems", r.cpuset_mems)
        if r.pids_limit is not None:
            write_file(leaf / "pids.max", "max" if r.pids_limit <= 0 else str(r.pids_limit))

    def join(self, path: str, pid: int = 0) -> None:
        write_file(self.directory(path) / "cgroup.procs", str(pid))

    def pids(self, path: str) -> list[int]:
        try:
            return [int(x) for x in (self.directory(path) / "cgroup.procs").read_text().split()]
        except OSError:
            return []

    def oom_kills(self, path: str) -> int:
        return read_counter(self.directory(path) / "memory.events", "oom_kill")

    def exists(self, path: str) -> bool:
        return self.directory(path).is_dir()

    def remove(self, path: str, prune_parent: bool = False) -> None:
        leaf = self.directory(path)
        remove_directory(leaf)
        if prune_parent and leaf.parent != self.top:
            remove_if_empty(leaf.parent)

    def mounts(self, path: str) -> list[CgroupMount]:
        return [CgroupMount("", self.directory(path), "cgroup2", "")]

    def freeze(self, path: str, frozen: bool) -> None:
        leaf = self.directory(path)
        write_file(leaf / "cgroup.freeze", "1" if frozen else "0")
        wait_for_state(lambda: self.is_frozen(path) == frozen, f"cgroup.freeze of {path}")

    def is_frozen(self, path: str) -> bool:
        return read_counter(self.directory(path) / "cgroup.events", "frozen") == 1

    def oom_file(self, path: str) -> tuple[Path, str]:
        return self.directory(path) / "memory.events", "oom_kill"
