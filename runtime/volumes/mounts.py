"""A container's mounts as OCI mounts: binds checked, volumes made, held and filled, tmpfs sized.

Anonymous volumes come from mounts without a source (`-v /data`) and from the
image's VOLUME entries that no mount of the run covers, as in Docker.
"""

from __future__ import annotations

import os
from pathlib import Path

from runtime.containers.spec import ContainerSpec, MountSpec
from runtime.errors import VolumeError
from runtime.linux.mounts import PROPAGATION_OPTIONS
from runtime.oci.spec import Mount
from runtime.volumes.copyup import copy_up
from runtime.volumes.store import VolumeStore

HOLDER_KIND = "container"


def _normalized_target(target: str) -> str:
    if not target.startswith("/"):
        raise VolumeError(f"mount target {target!r} must be an absolute path")
    return os.path.normpath(target)


def _bind(mount: MountSpec) -> Mount:
    source = mount.source or ""
    if not source.startswith("/"):
        raise VolumeError(f"bind source {source!r} must be an absolute host path")
    if not os.path.exists(source):
        if not mount.create_host_path:
            raise VolumeError(f"bind source path does not exist: {source}")
        os.makedirs(source, exist_ok=True)
    propagation = mount.propagation or "rprivate"
    if propagation not in PROPAGATION_OPTIONS:
        raise VolumeError(f"unknown bind propagation {propagation!r}")
    options = ["rbind", "ro" if mount.read_only else "rw", propagation]
    return Mount(_normalized_target(mount.target), "bind", source, options)


def _tmpfs(mount: MountSpec) -> Mount:
    options = ["nosuid", "nodev", "noexec"]
    if mount.read_only:
        options.append("ro")
    if mount.tmpfs_size:
        options.append(f"size={mount.tmpfs_size}")
    if mount.tmpfs_mode is not None:
        options.append(f"mode={mount.tmpfs_mode:o}")
    return Mount(_normalized_target(mount.target), "tmpfs", "tmpfs", options)


def _volume(
    volumes: VolumeStore, container_id: str, mount: MountSpec, rootfs: Path | None
) -> tuple[Mount, str]:
    volume = volumes.create(mount.source) if mount.source else volumes.create(None)
    volumes.hold(volume.name, HOLDER_KIND, container_id)
    if not volume.filled and not mount.no_copy and rootfs is not None:
        copy_up(rootfs, mount.target, volume.mountpoint)
        volumes.mark_filled(volume.name)
    options = ["rbind", "ro" if mount.read_only else "rw", "rprivate"]
    return Mount(
        _normalized_target(mount.target), "bind", str(volume.mountpoint), options
    ), volume.name


def resolve_mounts(
    volumes: VolumeStore, container_id: str, spec: ContainerSpec, rootfs: Path | None
) -> tuple[list[Mount], list[str]]:
    """OCI mounts for the run's mounts and the image's volumes; also the volumes now held.

    `rootfs` is the container's mounted root, the source of copy-up. On error
    the holds taken so far are released.
    """
    mounts: list[Mount] = []
    held: list[str] = []
    wanted = list(spec.mounts)
    covered = {_normalized_target(m.target) for m in wanted}
    for path in spec.image_config.get("Volumes") or {}:
        if _normalized_target(path) not in covered:
            wanted.append(MountSpec("volume", path))
    try:
        for mount in wanted:
            if mount.kind == "bind":
                mounts.append(_bind(mount))
            elif mount.kind == "tmpfs":
                mounts.append(_tmpfs(mount))
            elif mount.kind == "volume":
                oci_mount, name = _volume(volumes, container_id, mount, rootfs)
                mounts.append(oci_mount)
                held.append(name)
            else:
                raise VolumeError(f"unknown mount type {mount.kind!r}")
    except BaseException:
        volumes.release(HOLDER_KIND, container_id)
        raise
    return mounts, held


def release_mounts(
    volumes: VolumeStore, container_id: str, remove_anonymous: bool = False
) -> list[str]:
    """Drop a removed container's holds; with `remove_anonymous` (`rm -v`) delete its anonymous
    volumes that nothing else holds. Returns the removed volume names."""
    names = [v.name for v in volumes.list_volumes() if f"{HOLDER_KIND}:{container_id}" in v.holders]
    volumes.release(HOLDER_KIND, container_id)
    removed = []
    if remove_anonymous:
        for name in names:
            volume = volumes.get(name)
            if volume.anonymous and not volume.holders:
                volumes.remove(name)
                removed.append(name)
    return removed
