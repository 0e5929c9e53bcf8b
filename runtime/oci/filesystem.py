"""The container's filesystem, built in its new mount namespace (runs in the forked child).

Order, as runc: make / a slave (mounts of the container never reach the
host), bind the rootfs onto itself, mount every spec mount inside it with
confined targets (/proc, /dev, /dev/pts, /dev/shm, /dev/mqueue, /sys, the
cgroup fs, volumes...), fill /dev, pivot_root and drop the old root, then
write sysctls, make Docker's read-only paths read-only, mask its masked
paths and finally make the root read-only if asked.
"""

from __future__ import annotations

from pathlib import Path

from runtime.linux import devices, mounts, syscalls, sysctl
from runtime.linux.cgroups import CgroupMount
from runtime.oci.plan import ContainerPlan, MountPlan


def _mount_cgroups(
    root: Path, plan_mount: MountPlan, cgroup_mounts: list[CgroupMount], private_ns: bool
) -> None:
    opts = mounts.parse_options(plan_mount.options)
    readonly = bool(opts.flags & syscalls.MS_RDONLY)
    base_flags = opts.flags & ~syscalls.MS_RDONLY
    if len(cgroup_mounts) == 1 and cgroup_mounts[0].fstype == "cgroup2":
        cg = cgroup_mounts[0]
        if private_ns:
            mounts.mount_in_root(root, plan_mount.destination, "cgroup2", "cgroup2", opts)
        else:
            bind = mounts.parse_options(["rbind", *(["ro"] if readonly else [])])
            mounts.mount_in_root(root, plan_mount.destination, str(cg.host_path), None, bind)
        return
    # v1: a tmpfs holding one directory per hierarchy, each showing the container's cgroup;
    # the tmpfs itself stays writable as runc and crun leave it (it is the container's own).
    tmpfs = mounts.MountOptions(base_flags, (), "mode=755")
    mounts.mount_in_root(root, plan_mount.destination, "tmpfs", "tmpfs", tmpfs)
    for cg in cgroup_mounts:
        target = f"{plan_mount.destination.rstrip('/')}/{cg.name}"
        if private_ns:
            hierarchy = mounts.MountOptions(opts.flags, (), cg.data)
            mounts.mount_in_root(root, target, "cgroup", "cgroup", hierarchy)
        else:
            bind = mounts.parse_options(["rbind", *(["ro"] if readonly else [])])
            mounts.mount_in_root(root, target, str(cg.host_path), None, bind)


def _fill_dev(root: Path, plan: ContainerPlan) -> None:
    for node in plan.devices:
        devices.create_node(str(root), node)
    devices.create_symlinks(str(root))


def prepare_root(plan: ContainerPlan) -> None:
    """Mount everything into the rootfs and pivot into it."""
    syscalls.mount(None, "/", None, syscalls.MS_SLAVE | syscalls.MS_REC)
    root = Path(plan.rootfs)
    syscalls.mount(str(root), str(root), None, syscalls.MS_BIND | syscalls.MS_REC)
    cgroup_private = any(ns.kind == "cgroup" and not ns.path for ns in plan.namespaces)
    dev_is_tmpfs = False
    for entry in plan.mounts:
        if entry.fstype == "cgroup" or entry.fstype == "cgroup2":
            _mount_cgroups(root, entry, plan.cgroup_mounts, cgroup_private)
            continue
        opts = mounts.parse_options(entry.options)
        mounts.mount_in_root(root, entry.destination, entry.source, entry.fstype, opts)
        if entry.destination.rstrip("/") == "/dev" and not opts.is_bind:
            dev_is_tmpfs = True
            _fill_dev(root, plan)
    if not dev_is_tmpfs:
        for node in plan.devices[len(devices.DEFAULT_DEVICES) :]:
            devices.create_node(str(root), node)
    mounts.pivot_into(str(root))


def finish_root(plan: ContainerPlan) -> None:
    """After pivot_root: sysctls, read-only and masked paths, read-only root, propagation."""
    for key, value in plan.sysctl.items():
        sysctl.write_sysctl(key, value)
    for path in plan.readonly_paths:
        mounts.make_readonly_path(path)
    for path in plan.masked_paths:
        mounts.mask_path(path)
    if plan.readonly_root:
        mounts.remount_readonly("/")
    syscalls.mount(None, "/", None, plan.root_propagation)
