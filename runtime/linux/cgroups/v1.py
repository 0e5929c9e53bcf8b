"""cgroup v1: one hierarchy per controller under /sys/fs/cgroup/<controller>."""

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
    wait_for_state,
    write_file,
)

CONTROLLERS = (
    "cpu",
    "cpuacct",
    "cpuset",
    "memory",
    "devices",
    "freezer",
    "blkio",
    "pids",
    "net_cls",
    "net_prio",
    "perf_event",
    "hugetlb",
    "rdma",
    "misc",
    "name=systemd",  # a named hierarchy without controller, joined as runc and crun do
)


class CgroupV1(CgroupDriver):
    """A driver over the v1 hierarchies found in `mounts` (controller -> mount point)."""

    version = 1

    def __init__(self, mounts: dict[str, Path]):
        self.hierarchies = {name: mounts[name] for name in CONTROLLERS if name in mounts}
        if "memory" not in self.hierarchies:
            raise CgroupError("cgroup v1: the memory controller is not mounted")

    def directory(self, path: str, controller: str) -> Path:
        try:
            top = self.hierarchies[controller]
        except KeyError:
            raise CgroupError(f"cgroup v1: the {controller} controller is not mounted") from None
        return top / path.strip("/")

    def create(self, path: str, resources: CgroupResources) -> None:
        for controller, top in self.hierarchies.items():
            make_directories(top, path)
            if controller == "cpuset":
                # Every level, not only the ones made here: a parent another process has just
                # made may not have its cpus yet (an empty cpuset holds no task, so filling it
                # changes nothing that anyone relies on).
                directory = top
                for part in [p for p in path.split("/") if p]:
                    directory = directory / part
                    self._inherit_cpuset(directory)
        self.update(path, resources)

    def _inherit_cpuset(self, directory: Path) -> None:
        # A new v1 cpuset starts empty and cannot hold tasks until it has cpus and mems.
        for name in ("cpuset.cpus", "cpuset.mems"):
            if not read_file(directory / name).strip():
                write_file(directory / name, read_file(directory.parent / name).strip())

    def update(self, path: str, resources: CgroupResources) -> None:
        r = resources
        memory = self.directory(path, "memory")
        if r.memory_limit is not None:
            swap_file = memory / "memory.memsw.limit_in_bytes"
            has_swap_accounting = swap_file.exists()
            # memsw must stay >= limit: raise it first when it would end up below.
            if has_swap_accounting and r.memory_swap is not None:
                current = int(read_file(swap_file).strip())
                if current < r.memory_limit:
                    write_file(swap_file, str(max(r.memory_swap, r.memory_limit)))
            write_file(memory / "memory.limit_in_bytes", str(r.memory_limit))
            if has_swap_accounting and r.memory_swap is not None:
                write_file(swap_file, str(r.memory_swap if r.memory_swap > 0 else -1))
        if r.memory_reservation is not None:
            write_file(memory / "memory.soft_limit_in_bytes", str(r.memory_reservation))
        if r.memory_swappiness is not None:
            write_file(memory / "memory.swappiness", str(r.memory_swappiness))
        if r.cpu_shares is not None:
            write_file(self.directory(path, "cpu") / "cpu.shares", str(r.cpu_shares))
        if r.cpu_period is not None:
            write_file(self.directory(path, "cpu") / "cpu.cfs_period_us", str(r.cpu_period))
        if r.cpu_quota is not None:
            write_file(self.directory(path, "cpu") / "cpu.cfs_quota_us", str(r.cpu_quota))
        if r.cpuset_cpus:
            write_file(self.directory(path, "cpuset") / "cpuset.cpus", r.cpuset_cpus)
        if r.cpuset_mems:
            write_file(self.directory(path, "cpuset") / "cpuset.mems", r.cpuset_mems)
        if r.pids_limit is not None:
            value = "max" if r.pids_limit <= 0 else str(r.pids_limit)
            write_file(self.directory(path, "pids") / "pids.max", value)
        if r.devices and "devices" in self.hierarchies:
            devices = self.directory(path, "devices")
            for rule in r.devices:
                name = "devices.allow" if rule.allow else "devices.deny"
                write_file(devices / name, rule.v1_line())

    def join(self, path: str, pid: int = 0) -> None:
        for controller in self.hierarchies:
            write_file(self.directory(path, controller) / "cgroup.procs", str(pid))

    def pids(self, path: str) -> list[int]:
        try:
            text = (self.directory(path, "memory") / "cgroup.procs").read_text()
        except OSError:
            return []
        return [int(line) for line in text.split()]

    def oom_kills(self, path: str) -> int:
        return read_counter(self.directory(path, "memory") / "memory.oom_control", "oom_kill")

    def exists(self, path: str) -> bool:
        return self.directory(path, "memory").is_dir()

    def remove(self, path: str, prune_parent: bool = False) -> None:
        for controller in self.hierarchies:
            directory = self.directory(path, controller)
            remove_directory(directory)
            if prune_parent and directory.parent != self.hierarchies[controller]:
                remove_if_empty(directory.parent)

    def mounts(self, path: str) -> list[CgroupMount]:
        # Controllers co-mounted in one hierarchy (cpu,cpuacct) give one mount.
        by_top: dict[Path, list[str]] = {}
        for name, top in self.hierarchies.items():
            by_top.setdefault(top, []).append(name)
        return [
            CgroupMount(
                top.name,
                self.directory(path, names[0]),
                "cgroup",
                ",".join(["none", *names] if names[0].startswith("name=") else names),
            )
            for top, names in by_top.items()
        ]

    def enforces_device_rules(self) -> bool:
        return "devices" in self.hierarchies

    def freeze(self, path: str, frozen: bool) -> None:
        state = self.directory(path, "freezer") / "freezer.state"
        wanted = "FROZEN" if frozen else "THAWED"
        write_file(state, wanted)
        # FREEZING becomes FROZEN once every task has stopped; writing again nudges stragglers.
        wait_for_state(lambda: read_file(state).strip() == wanted, f"{wanted.lower()} {path}")

    def is_frozen(self, path: str) -> bool:
        try:
            state = (self.directory(path, "freezer") / "freezer.state").read_text().strip()
        except OSError:
            return False
        return state in ("FROZEN", "FREEZING")

    def oom_file(self, path: str) -> tuple[Path, str]:
        return self.directory(path, "memory") / "memory.oom_control", "oom_kill"
