"""Removing containers: `rm` (with `-f`, `-v`), `prune`, and `--rm` once the process ended.

A removed container leaves nothing: no row, mount, veth, published port,
netns pin (unless kept for a successor), cgroup, runtime state, directory,
lock file, image or volume hold; anonymous volumes go with `-v`.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from runtime.containers import rootfs, sandbox, state
from runtime.containers.errors import ContainerNotFound, ContainerStateConflict
from runtime.containers.lifecycle import clean_up, stop_container, stop_waiting_monitor
from runtime.containers.paths import ContainerPaths
from runtime.crashpoints import crashpoint
from runtime.volumes.mounts import release_mounts

if TYPE_CHECKING:
    from runtime.containers.manager import Containers

HOLDER = "container"


def remove_container(
    manager: Containers, key: str, *, force: bool, volumes: bool, keep_sandbox: bool
) -> None:
    """Remove one container (see the module docstring)."""
    row = manager.registry.row(key)
    container_id = row["id"]
    container = manager.registry.container(row)
    if container.state.status not in state.LIVE_STATUSES:
        stop_waiting_monitor(manager, row)
    if container.state.status in state.LIVE_STATUSES:
        if not force:
            if container.state.status == "paused":
                raise ContainerStateConflict(
                    f'cannot remove container "/{container.name}": container is paused: '
                    "unpause the container before removing or force remove"
                )
            raise ContainerStateConflict(
                f'cannot remove container "/{container.name}": container is running: '
                "stop the container before removing or force remove"
            )
        stop_container(manager, container_id, 0, "SIGKILL", release_network=not keep_sandbox)
    with manager.registry.lock(container_id):
        found = manager.registry.find_row(container_id)
        if found is None:
            return
        row = found
        container = manager.registry.container(row)
        manager.registry.update(container_id, {"status": "removing"})
        crashpoint(f"remove {container.name}: marked")
        plan = sandbox.SandboxPlan(**container.resolved["sandbox"])
        if state.cleanup_needed(row) or rootfs.is_mounted(container.directory / "rootfs"):
            # With keep_sandbox the successor adopts the live endpoints: nothing is released.
            clean_up(manager, container_id, release_network=not keep_sandbox)
            crashpoint(f"remove {container.name}: cleaned up")
        sandbox.forget(manager.networks, container_id, plan, keep_pin=keep_sandbox)
        crashpoint(f"remove {container.name}: network forgotten")
        release_mounts(manager.volumes, container_id, remove_anonymous=volumes)
        manager.images.release_holder(HOLDER, container_id)
        crashpoint(f"remove {container.name}: holds released")
        paths = ContainerPaths(manager.store.layout, container_id)
        rootfs.remove_rootfs(paths.rootfs)
        shutil.rmtree(paths.directory, ignore_errors=True)
        shutil.rmtree(paths.run_directory, ignore_errors=True)
        crashpoint(f"remove {container.name}: files removed")
        manager.registry.delete(container_id, container.name, container.image)
        crashpoint(f"remove {container.name}: removed")


def prune_containers(
    manager: Containers, labels: Mapping[str, str | None] | None = None
) -> list[str]:
    """Remove every container that is not running; their ids."""
    removed = []
    for container in manager.list(all=True, labels=labels):
        if container.state.status in ("created", "exited", "dead"):
            try:
                remove_container(
                    manager, container.id, force=False, volumes=False, keep_sandbox=False
                )
            except (ContainerNotFound, ContainerStateConflict):
                continue
            removed.append(container.id)
    return removed


def finish_exit(manager: Containers, container_id: str) -> None:
    """The monitor's exit command: clean up after the process, and `--rm`."""
    row = manager.registry.find_row(container_id)
    if row is None:
        return
    with manager.registry.lock(container_id):
        row = manager.registry.find_row(container_id)
        if row is None:
            return
        if state.cleanup_needed(row):
            clean_up(manager, container_id)
    container = manager.registry.container(row)
    if container.request.auto_remove and container.state.status not in state.LIVE_STATUSES:
        try:
            remove_container(manager, container_id, force=False, volumes=True, keep_sandbox=False)
        except ContainerNotFound:
            pass


def writable_layer_size(upper: Path) -> int:
    """Bytes of the files in a container's upper dir (hard links once)."""
    seen: set[tuple[int, int]] = set()
    total = 0
    for directory, _, files in os.walk(upper):
        for name in files:
            try:
                info = os.lstat(os.path.join(directory, name))
            except OSError:
                continue
            if (info.st_dev, info.st_ino) not in seen:
                seen.add((info.st_dev, info.st_ino))
                total += info.st_size
    return total
