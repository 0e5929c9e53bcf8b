"""The run options of one container, as `docker run` takes them, as plain frozen data.

The orchestrator fills a ContainerSpec from a Compose service (or a `run`
command line); bundle.py turns it plus the image config into an OCI bundle.
Sizes are bytes, CPU is in cores, durations in seconds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from runtime.errors import EngineError

MountKind = Literal["bind", "volume", "tmpfs"]
NamespaceKind = Literal["private", "host", "path", "container", "none"]
DEFAULT_SHM_SIZE = 64 * 1024 * 1024


class ContainerSpecError(EngineError):
    """Run options that cannot be honoured (a bad mount, limit or namespace mode)."""


@dataclass(frozen=True)
class MountSpec:
    """One `--mount` / `-v` / `--tmpfs`: what goes where and how.

    `source` is a host path (bind), a volume name (named volume) or None
    (anonymous volume, tmpfs). `propagation` applies to binds; `no_copy`
    skips filling a new empty volume with the image's content.
    """

    kind: MountKind
    target: str
    source: str | None = None
    read_only: bool = False
    propagation: str | None = None
    no_copy: bool = False
    tmpfs_size: int | None = None
    tmpfs_mode: int | None = None
    create_host_path: bool = True


@dataclass(frozen=True)
class Resources:
    """Limits: memory, swap (memory + swap, -1 unlimited), CPU, cpuset, pids."""

    memory: int | None = None
    memory_reservation: int | None = None
    memory_swap: int | None = None
    cpus: float | None = None
    cpu_shares: int | None = None
    cpu_period: int | None = None
    cpu_quota: int | None = None
    cpuset_cpus: str | None = None
    cpuset_mems: str | None = None
    pids_limit: int | None = None


@dataclass(frozen=True)
class Ulimit:
    """`--ulimit name=soft[:hard]`."""

    name: str
    soft: int
    hard: int


@dataclass(frozen=True)
class DeviceMapping:
    """`--device host[:container[:permissions]]`."""

    host_path: str
    container_path: str | None = None
    permissions: str = "rwm"


@dataclass(frozen=True)
class NamespaceMode:
    """How a container gets one namespace: its own, the host's, a path, or another's.

    `container` names another container; the container layer resolves it to
    that container's namespace path before the bundle is written.
    """

    mode: NamespaceKind = "private"
    value: str | None = None

    @classmethod
    def parse(cls, text: str | None) -> NamespaceMode:
        """Docker's syntax: "", "host", "none", "container:<name>", "ns:<path>" or a path."""
        if not text or text in ("private", "default", "bridge", "shareable"):
            return cls("private")
        if text == "host":
            return cls("host")
        if text == "none":
            return cls("none")
        for prefix in ("container:", "service:"):
            if text.startswith(prefix):
                return cls("container", text[len(prefix) :])
        if text.startswith("ns:"):
            return cls("path", text[3:])
        if text.startswith("/"):
            return cls("path", text)
        raise ContainerSpecError(f"unknown namespace mode {text!r}")


@dataclass(frozen=True)
class ContainerSpec:
    """Everything `docker run` can say about one container, besides the image itself."""

    name: str
    image_config: Mapping[str, Any] = field(default_factory=dict)
    command: tuple[str, ...] | None = None
    entrypoint: tuple[str, ...] | None = None
    env: Mapping[str, str] = field(default_factory=dict)
    working_dir: str | None = None
    user: str | None = None
    group_add: tuple[str, ...] = ()
    hostname: str | None = None
    domainname: str | None = None
    mounts: tuple[MountSpec, ...] = ()
    resources: Resources = field(default_factory=Resources)
    cap_add: tuple[str, ...] = ()
    cap_drop: tuple[str, ...] = ()
    privileged: bool = False
    read_only: bool = False
    sysctls: Mapping[str, str] = field(default_factory=dict)
    ulimits: tuple[Ulimit, ...] = ()
    devices: tuple[DeviceMapping, ...] = ()
    security_opt: tuple[str, ...] = ()
    shm_size: int | None = None
    init: bool = False
    tty: bool = False
    stdin_open: bool = False
    stop_signal: str | None = None
    stop_grace_period: float = 10.0
    oom_score_adj: int | None = None
    network: NamespaceMode = field(default_factory=NamespaceMode)
    ipc: NamespaceMode = field(default_factory=NamespaceMode)
    pid: NamespaceMode = field(default_factory=NamespaceMode)
    uts: NamespaceMode = field(default_factory=NamespaceMode)
    cgroupns: NamespaceMode = field(default_factory=NamespaceMode)
    labels: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)

    @property
    def no_new_privileges(self) -> bool:
        """`--security-opt no-new-privileges[:true]`."""
        return any(
            opt in ("no-new-privileges", "no-new-privileges:true", "no-new-privileges=true")
            for opt in self.security_opt
        )

    @property
    def seccomp_profile(self) -> str | None:
        """`--security-opt seccomp=unconfined|<file>`; None is Docker's default profile."""
        for opt in self.security_opt:
            for prefix in ("seccomp=", "seccomp:"):
                if opt.startswith(prefix):
                    return opt[len(prefix) :]
        return None

    @property
    def effective_stop_signal(self) -> str:
        """The stop signal: the run option, else the image's StopSignal, else SIGTERM."""
        return self.stop_signal or str(self.image_config.get("StopSignal") or "SIGTERM")
