"""`commit`: a container's writable layer becomes an image layer on top of its image.

The overlay upper dir is diffed into a layer (deletions as whiteouts, opaque
directories kept), leaving out what the engine owns rather than the user:
the init layer's files (/etc/hosts, /etc/hostname, /etc/resolv.conf are bind
mounts whose placeholders live in the init layer, so they are never in the
upper dir; they are excluded anyway in case an image put them there) and
everything inside a mount point (volumes, binds, tmpfs), whose empty
directory is kept, as Docker does. A running container is frozen for the
copy unless `pause=False`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from runtime.containers.changes import apply_changes
from runtime.containers.errors import ContainerError
from runtime.containers.paths import ContainerPaths
from runtime.containers.rootfs import INIT_FILES
from runtime.crashpoints import crashpoint
from runtime.images.creation import create_image, images_lock, layer_from_upper, now_rfc3339
from runtime.images.reference import parse_reference
from runtime.linux.cgroups import detect_driver
from runtime.store.scratch import sweep_scratch

if TYPE_CHECKING:
    from runtime.containers.manager import Containers
    from runtime.images.imagestore import Image

ENGINE_FILES = (*(f"/{name}" for name in INIT_FILES), "/.dockerenv")


def commit_container(
    manager: Containers,
    key: str,
    *,
    reference: str | None,
    changes: Sequence[str],
    message: str | None,
    author: str | None,
    pause: bool,
) -> Image:
    """Make an image of the container (see the module docstring)."""
    container = manager.get(key)
    tags = [parse_reference(reference)] if reference else []
    parent = manager.images.get(container.image_id)
    config = apply_changes(dict(parent.runtime_config), changes)
    paths = ContainerPaths(manager.store.layout, container.id)
    upper = paths.rootfs.upper
    if not upper.is_dir():
        raise ContainerError(f"container {container.name} has no writable layer")
    mount_points = [str(m["destination"]) for m in container.resolved.get("mounts") or []]
    cgroup = container.resolved["cgroup"]
    driver = detect_driver()
    frozen_here = (
        pause and container.state.status == "running" and driver.exists(cgroup)
        # Frozen while `running` (not `paused`) is a commit killed half-way: thawed below.
    )
    args = [*(container.spec.entrypoint or ()), *(container.spec.command or ())]
    created = now_rfc3339()
    history = {"created": created, "created_by": " ".join(args)}
    if message:
        history["comment"] = message
    sweep_scratch(manager.store.layout)
    if frozen_here:
        driver.freeze(cgroup, True)
        crashpoint(f"commit {container.name}: frozen")
    try:
        with images_lock(manager.store):
            layer = layer_from_upper(
                manager.store, upper, exclude=ENGINE_FILES, exclude_contents=mount_points
            )
            crashpoint(f"commit {container.name}: layer written")
            image = create_image(
                manager.images,
                parent=parent,
                layers=[layer],
                config=config,
                history=[history],
                tags=tags,
                author=author,
                created=created,
            )
            crashpoint(f"commit {container.name}: image made")
    finally:
        if frozen_here:
            driver.freeze(cgroup, False)
    manager.registry.event(container.id, "commit", {"comment": message or ""})
    return image
