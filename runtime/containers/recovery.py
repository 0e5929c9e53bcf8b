"""Recovery: containers a killed command left half-made or half-removed are removed.

`create` writes the row first, as 'creating', and `rm` marks it 'removing',
both under the container's lock. A row in either state whose lock nobody holds
belongs to a command that died (SIGKILL, power loss) half-way: the next command
that changes containers removes it (and lock files of containers whose row was
never committed) with whatever pieces the dead one made
(mounts, image and volume holds, directories, network records), so the name is
free again and nothing is left on the machine.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from runtime.errors import StoreError

if TYPE_CHECKING:
    from runtime.containers.manager import Containers

UNFINISHED = ("creating", "removing")


def abandoned(manager: Containers) -> list[tuple[str, str]]:
    """(id, status) of every unfinished container whose command is gone."""
    rows = manager.store.db.query(
        "SELECT id, status FROM containers WHERE status IN (?, ?)", UNFINISHED
    )
    found = []
    for row in rows:
        lock = manager.store.lock(f"container-{row['id']}", timeout=0)
        try:
            lock.acquire()
        except StoreError:
            continue  # its command is still at work
        lock.release()
        found.append((row["id"], row["status"]))
    return found


def recover_containers(manager: Containers, *, stale_locks: bool = False) -> list[str]:
    """Remove what dead commands left unfinished (with `stale_locks`, also lock files of
    containers that were never committed); the ids removed."""
    from runtime.containers.creation import undo_create
    from runtime.containers.errors import ContainerNotFound
    from runtime.containers.paths import ContainerPaths
    from runtime.containers.removal import remove_container

    removed = []
    for container_id, status in abandoned(manager):
        if status == "creating":
            with manager.registry.lock(container_id):
                row = manager.registry.find_row(container_id)
                if row is None or row["status"] != "creating":
                    continue
                undo_create(
                    manager, container_id, ContainerPaths(manager.store.layout, container_id)
                )
        else:
            try:
                remove_container(
                    manager, container_id, force=True, volumes=False, keep_sandbox=False
                )
            except ContainerNotFound:
                continue
        removed.append(container_id)
    if stale_locks:
        _drop_stale_locks(manager)
    return removed


def _drop_stale_locks(manager: Containers) -> None:
    """Lock files of containers without a row that nobody holds (a create killed before its
    row was committed)."""
    prefix = "container-"
    known = {row["id"] for row in manager.store.db.query("SELECT id FROM containers")}
    for path in manager.store.layout.locks.glob(f"{prefix}*.lock"):
        container_id = path.name[len(prefix) : -len(".lock")]
        if container_id in known:
            continue
        lock = manager.store.lock(f"{prefix}{container_id}", timeout=0)
        try:
            lock.acquire()
        except StoreError:
            continue
        if manager.registry.find_row(container_id) is None:
            lock.discard()
        lock.release()
