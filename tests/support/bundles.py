"""OCI bundles for runtime tests: a busybox layer, an overlay rootfs, Docker-default config."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, replace
from pathlib import Path

from runtime.containers import bundle, rootfs
from runtime.containers.spec import ContainerSpec
from runtime.linux import syscalls
from runtime.linux.cgroups import CgroupV2, detect_driver
from runtime.oci.spec import Mount, Spec, write_spec

BUSYBOX_CONFIG = {
    "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
    "Cmd": ["sh"],
}


@dataclass
class MadeBundle:
    """A bundle on an overlay rootfs; `remove` unmounts and deletes everything it made."""

    container_id: str
    path: Path
    dirs: rootfs.RootfsDirs
    spec: Spec

    def rewrite(self, spec: Spec) -> None:
        self.spec = spec
        write_spec(self.path, spec)

    def remove(self) -> None:
        rootfs.remove_rootfs(self.dirs)
        shutil.rmtree(self.path, ignore_errors=True)


def make_bundle(
    base: Path,
    layers: list[Path],
    spec: ContainerSpec,
    container_id: str,
    cgroup_parent: str,
    mounts: tuple[Mount, ...] = (),
) -> MadeBundle:
    """Mount an overlay of `layers` (lowest first) and write a Docker-default bundle for it."""
    directory = base / container_id
    dirs = rootfs.RootfsDirs(directory)
    merged = rootfs.mount_rootfs(dirs, layers)
    if not spec.image_config:
        spec = replace(spec, image_config=BUSYBOX_CONFIG)
    hostname = spec.hostname or container_id[:12]
    files = bundle.write_container_files(directory / "files", hostname, resolv_conf="")
    inputs = bundle.BundleInputs(
        container_id=container_id,
        rootfs=merged,
        cgroup_parent=cgroup_parent,
        mounts=mounts,
        files=files,
        cgroup_v2=isinstance(detect_driver(), CgroupV2),
    )
    oci_spec = bundle.build_spec(spec, inputs)
    path = bundle.write_bundle(directory / "bundle", oci_spec)
    return MadeBundle(container_id, path, dirs, oci_spec)


def host_mounts() -> set[str]:
    """The mount points of this mount namespace."""
    with open("/proc/self/mountinfo") as handle:
        return {line.split()[4] for line in handle}


def in_private_mount_namespace() -> None:
    """Put this process in its own mount namespace (tests that mount, run under pytest's)."""
    syscalls.unshare(syscalls.CLONE_NEWNS)
    syscalls.mount(None, "/", None, syscalls.MS_REC | syscalls.MS_PRIVATE)


def cgroup_dirs(cgroup_path: str) -> list[Path]:
    """Every host directory a container's cgroup has (all v1 hierarchies, or the v2 one)."""
    driver = detect_driver()
    if isinstance(driver, CgroupV2):
        return [driver.directory(cgroup_path)]
    return [driver.directory(cgroup_path, c) for c in driver.hierarchies]  # type: ignore[attr-defined]


def remove_cgroup_parent(name: str) -> None:
    """Remove a test's parent cgroup everywhere, including where runc and crun also put it.

    runc makes (and leaves) it on the hybrid cgroup2 mount too; crun, run where
    that mount is hidden, writes it into the plain tmpfs directory underneath.
    """
    for directory in cgroup_dirs(f"/{name}"):
        try:
            directory.rmdir()
        except FileNotFoundError:
            pass
    unified = Path("/sys/fs/cgroup/unified") / name
    if os.path.ismount("/sys/fs/cgroup/unified"):
        try:
            unified.rmdir()
        except FileNotFoundError:
            pass
    else:
        shutil.rmtree(unified, ignore_errors=True)


def pids_of(directory: Path) -> list[int]:
    try:
        return [int(p) for p in (directory / "cgroup.procs").read_text().split()]
    except OSError:
        return []


__all__ = ["MadeBundle", "cgroup_dirs", "host_mounts", "make_bundle", "remove_cgroup_parent"]
