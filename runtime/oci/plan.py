"""What a container's first process (or an exec'd one) must do, worked out before the fork.

Everything that can fail for a reason a user can fix (an unknown capability,
a bad rlimit, a seccomp profile that does not compile, a relative mount
source) is checked here, in the caller, so that the forked child only makes
system calls. The seccomp program is compiled (or taken from the cache) here.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from runtime.errors import EngineError
from runtime.linux import capabilities, rlimits, sysctl
from runtime.linux.cgroups import CgroupDriver, CgroupMount
from runtime.linux.devices import DEFAULT_DEVICES, DeviceNode
from runtime.linux.mounts import PROPAGATION_OPTIONS
from runtime.linux.namespaces import NamespaceRequest
from runtime.linux.seccomp import compile_cached
from runtime.oci.spec import Namespace, Process, Spec


class PlanError(EngineError):
    """A bundle asks for something the runtime cannot do."""


@dataclass
class ProcessPlan:
    """How to become the user's process: identity, privileges, limits, then execve."""

    args: list[str]
    env: list[str]
    cwd: str
    uid: int
    gid: int
    additional_gids: list[int]
    umask: int | None
    capabilities: capabilities.CapabilitySets | None
    rlimits: list[rlimits.Rlimit]
    no_new_privileges: bool
    oom_score_adj: int | None
    terminal: bool
    seccomp: bytes | None
    notes: list[str] = field(default_factory=list)


@dataclass
class MountPlan:
    destination: str
    source: str | None
    fstype: str | None
    options: list[str]


@dataclass
class ContainerPlan:
    """The container's filesystem, names and namespaces, plus its process plan."""

    rootfs: str
    readonly_root: bool
    mounts: list[MountPlan]
    devices: list[DeviceNode]
    cgroup_mounts: list[CgroupMount]
    namespaces: list[NamespaceRequest]
    hostname: str | None
    domainname: str | None
    sysctl: dict[str, str]
    masked_paths: list[str]
    readonly_paths: list[str]
    root_propagation: int
    process: ProcessPlan


_PROC_NAMES = {"network": "net", "mount": "mnt"}


def _is_hosts(namespace: Namespace) -> bool:
    """Whether a namespace path names the namespace this process (the host's side) is in."""
    name = _PROC_NAMES.get(namespace.type, namespace.type)
    try:
        joined = os.stat(namespace.path or "")
        mine = os.stat(f"/proc/self/ns/{name}")
    except OSError:
        return False
    return (joined.st_dev, joined.st_ino) == (mine.st_dev, mine.st_ino)


def plan_process(
    process: Process, seccomp: dict | None, cache_dir: Path | None, can_raise_rlimits: bool
) -> ProcessPlan:
    """Check and prepare an OCI process section."""
    caps = None
    if process.capabilities is not None:
        c = process.capabilities
        try:
            for names in (c.bounding, c.effective, c.permitted, c.inheritable, c.ambient):
                capabilities.to_mask(names)
        except ValueError as exc:
            raise PlanError(str(exc)) from None
        caps = capabilities.CapabilitySets(
            tuple(c.bounding),
            tuple(c.effective),
            tuple(c.permitted),
            tuple(c.inheritable),
            tuple(c.ambient),
        )
    try:
        limits = [rlimits.Rlimit(r.type, r.soft, r.hard) for r in process.rlimits]
        for limit in limits:
            rlimits.number_of(limit.name)
        limits, notes = rlimits.cap_to_allowed(limits, can_raise_rlimits)
    except rlimits.RlimitError as exc:
        raise PlanError(str(exc)) from None
    program = compile_cached(seccomp, cache_dir) if seccomp else None
    if not process.args:
        raise PlanError("process.args is empty: nothing to run")
    return ProcessPlan(
        args=list(process.args),
        env=list(process.env),
        cwd=process.cwd or "/",
        uid=process.user.uid,
        gid=process.user.gid,
        additional_gids=list(process.user.additional_gids),
        umask=process.user.umask,
        capabilities=caps,
        rlimits=limits,
        no_new_privileges=process.no_new_privileges,
        oom_score_adj=process.oom_score_adj,
        terminal=process.terminal,
        seccomp=program,
        notes=notes,
    )


def plan_container(
    spec: Spec,
    bundle: Path,
    cgroups: CgroupDriver | None,
    cgroup_path: str | None,
    cache_dir: Path | None,
    can_raise_rlimits: bool,
) -> ContainerPlan:
    """Check a loaded spec and turn it into the plan the container init follows."""
    if spec.process is None:
        raise PlanError("config.json has no process to run")
    kinds = [ns.type for ns in spec.linux.namespaces]
    if "mount" not in kinds:
        raise PlanError("a mount namespace is required (linux.namespaces lacks 'mount')")
    if "user" in kinds:
        raise PlanError("user namespaces are not supported by this runtime")
    for kind in kinds:
        if kinds.count(kind) > 1:
            raise PlanError(f"namespace {kind!r} is listed twice")
    rootfs = spec.rootfs_path(bundle)
    if not rootfs.is_dir():
        raise PlanError(f"root filesystem {rootfs} does not exist")
    mounts = []
    for mount in spec.mounts:
        if not mount.destination.startswith("/"):
            raise PlanError(f"mount destination {mount.destination!r} must be absolute")
        source = mount.source
        is_bind = "bind" in mount.options or "rbind" in mount.options or mount.type == "bind"
        if is_bind and source and not source.startswith("/"):
            source = str((bundle / source).resolve())
        if is_bind and source and not os.path.exists(source):
            raise PlanError(f"bind mount source {source} does not exist")
        options = list(mount.options)
        if mount.type == "bind" and not is_bind:
            options.append("rbind")
        mounts.append(MountPlan(mount.destination, source, mount.type, options))
    devices = list(DEFAULT_DEVICES)
    for device in spec.linux.devices:
        devices.append(
            DeviceNode(
                device.path,
                device.type,
                device.major,
                device.minor,
                device.file_mode if device.file_mode is not None else 0o666,
                device.uid or 0,
                device.gid or 0,
            )
        )
    own = {ns.type for ns in spec.linux.namespaces if not ns.path or not _is_hosts(ns)}
    for key in spec.linux.sysctl:
        try:
            sysctl.check_isolated(key, own)
        except sysctl.SysctlError as exc:
            raise PlanError(str(exc)) from None
    propagation = PROPAGATION_OPTIONS.get(spec.linux.rootfs_propagation or "rslave")
    if propagation is None:
        raise PlanError(f"unknown rootfsPropagation {spec.linux.rootfs_propagation!r}")
    cgroup_mounts = cgroups.mounts(cgroup_path) if cgroups and cgroup_path else []
    return ContainerPlan(
        rootfs=str(rootfs),
        readonly_root=spec.root.readonly,
        mounts=mounts,
        devices=devices,
        cgroup_mounts=cgroup_mounts,
        namespaces=[NamespaceRequest(ns.type, ns.path) for ns in spec.linux.namespaces],
        hostname=spec.hostname,
        domainname=spec.domainname,
        sysctl=dict(spec.linux.sysctl),
        masked_paths=list(spec.linux.masked_paths),
        readonly_paths=list(spec.linux.readonly_paths),
        root_propagation=propagation,
        process=plan_process(spec.process, spec.linux.seccomp, cache_dir, can_raise_rlimits),
    )
