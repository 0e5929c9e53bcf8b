"""The cgroup driver interface: resources in, a cgroup made, joined, read and removed.

A cgroup is named by a path relative to the hierarchy root, as OCI's
`cgroupsPath` ("/pycompose/<id>"). Drivers only ever create, change and
remove cgroups under paths they were given; they never write to a cgroup they
did not make (a parent they find already there is joined, not reconfigured).
"""

from __future__ import annotations

import errno
import os
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from runtime.errors import EngineError
from runtime.linux.devices import DeviceRule


class CgroupError(EngineError):
    """A cgroup cannot be created, configured, joined or removed."""


@dataclass(frozen=True)
class CgroupResources:
    """Limits in the units of OCI `linux.resources` (bytes, microseconds, shares)."""

    memory_limit: int | None = None
    memory_reservation: int | None = None
    memory_swap: int | None = None  # memory + swap, as OCI and `--memory-swap` say
    memory_swappiness: int | None = None
    cpu_shares: int | None = None
    cpu_quota: int | None = None
    cpu_period: int | None = None
    cpuset_cpus: str | None = None
    cpuset_mems: str | None = None
    pids_limit: int | None = None
    devices: tuple[DeviceRule, ...] = field(default=())


@dataclass(frozen=True)
class CgroupMount:
    """What a container's /sys/fs/cgroup shows: a subdirectory name and how to mount it."""

    name: str  # "" for the unified hierarchy mounted at the top
    host_path: Path  # the container's cgroup directory on the host
    fstype: str  # "cgroup" or "cgroup2"
    data: str  # the controller list for cgroup v1


def shares_to_weight(shares: int) -> int:
    """cgroup v1 cpu.shares [2, 262144] to v2 cpu.weight [1, 10000], as runc converts."""
    if shares <= 0:
        return 100
    return 1 + ((max(2, min(shares, 262144)) - 2) * 9999) // 262142


def write_file(path: Path, value: str) -> None:
    """Write one cgroup interface file, naming it and the value if the kernel refuses."""
    try:
        with open(path, "w") as handle:
            handle.write(value)
    except OSError as exc:
        name = errno.errorcode.get(exc.errno or 0, str(exc.errno))
        raise CgroupError(f"cannot write {value!r} to {path}: {name}: {exc.strerror}") from None


def read_file(path: Path) -> str:
    try:
        return path.read_text()
    except OSError as exc:
        raise CgroupError(f"cannot read {path}: {exc.strerror}") from None


def read_counter(path: Path, key: str) -> int:
    """A counter from a flat-keyed file ("oom_kill 1" lines); 0 if absent or unreadable."""
    try:
        text = path.read_text()
    except OSError:
        return 0
    for line in text.splitlines():
        name, _, value = line.partition(" ")
        if name == key:
            return int(value)
    return 0


def make_directories(top: Path, relative: str) -> list[Path]:
    """mkdir each missing level of `relative` under `top`; return the ones created."""
    created: list[Path] = []
    current = top
    for part in [p for p in relative.split("/") if p]:
        if part in (".", ".."):
            raise CgroupError(f"invalid cgroup path {relative!r}")
        current = current / part
        try:
            os.mkdir(current)
            created.append(current)
        except FileExistsError:
            pass
        except OSError as exc:
            raise CgroupError(f"cannot create cgroup {current}: {exc.strerror}") from None
    return created


def remove_directory(path: Path, timeout: float = 2.0) -> None:
    """rmdir a cgroup, waiting briefly for exiting processes to leave it."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            os.rmdir(path)
            return
        except FileNotFoundError:
            return
        except OSError as exc:
            if exc.errno != errno.EBUSY or time.monotonic() > deadline:
                raise CgroupError(f"cannot remove cgroup {path}: {exc.strerror}") from None
            time.sleep(0.005)


def remove_if_empty(path: Path) -> None:
    """rmdir a shared parent cgroup if nothing uses it any more (best effort)."""
    try:
        os.rmdir(path)
    except OSError:
        pass


class CgroupDriver(ABC):
    """What the runtime needs from a cgroup hierarchy, whatever its version."""

    version: int

    @abstractmethod
    def create(self, path: str, resources: CgroupResources) -> None:
        """Make the cgroup `path` (and missing parents) and apply `resources`."""

    @abstractmethod
    def update(self, path: str, resources: CgroupResources) -> None:
        """Change the limits of an existing cgroup."""

    @abstractmethod
    def join(self, path: str, pid: int = 0) -> None:
        """Move `pid` (0: the calling process) into the cgroup."""

    @abstractmethod
    def pids(self, path: str) -> list[int]:
        """The processes in the cgroup."""

    @abstractmethod
    def oom_kills(self, path: str) -> int:
        """How many processes of the cgroup the OOM killer has killed."""

    @abstractmethod
    def exists(self, path: str) -> bool:
        """Whether the cgroup is there."""

    @abstractmethod
    def remove(self, path: str, prune_parent: bool = False) -> None:
        """Remove the cgroup (it must be empty); with `prune_parent`, its parent if now empty."""

    @abstractmethod
    def mounts(self, path: str) -> list[CgroupMount]:
        """How the container's /sys/fs/cgroup is made from this hierarchy."""

    @abstractmethod
    def directory(self, path: str, controller: str) -> Path:
        """The host directory of `path` in the hierarchy holding `controller`."""

    def enforces_device_rules(self) -> bool:
        """Whether device rules are enforced by the cgroup itself."""
        return False

    @abstractmethod
    def freeze(self, path: str, frozen: bool) -> None:
        """Freeze (or thaw) every process of the cgroup; returns once the kernel has done it."""

    @abstractmethod
    def is_frozen(self, path: str) -> bool:
        """Whether the cgroup is frozen."""

    @abstractmethod
    def oom_file(self, path: str) -> tuple[Path, str]:
        """The file and key whose counter says how many OOM kills the cgroup has seen."""


def wait_for_state(read: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    """Wait (bounded, backing off) until the kernel reports a state change it makes lazily."""
    deadline = time.monotonic() + timeout
    delay = 0.001
    while not read():
        if time.monotonic() > deadline:
            raise CgroupError(f"{what} did not happen within {timeout:g} s")
        time.sleep(delay)
        delay = min(delay * 2, 0.05)
