"""`create`: an image, run options and a sandbox plan become a container on disk.

    row ('creating', name taken) -> image hold -> rootfs mounted -> volumes (copy-up, holds)
    -> name files -> bundle (config.json) -> rootfs unmounted -> `create` event

The rootfs is mounted only for what needs the image's files (copy-up into new
volumes, the user's passwd entry); `start` mounts it again. If any step
fails, what the earlier ones made is undone and the row is dropped. The
container's lock is held throughout and the row says 'creating' until the last
step: a create killed half-way leaves a row that the next command removes
(runtime.containers.recovery), with whatever the steps had made.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

from runtime.containers import bundle, rootfs, sandbox
from runtime.containers.errors import ContainerError
from runtime.containers.model import ContainerRequest, resolve_healthcheck
from runtime.containers.names import new_id
from runtime.containers.paths import ContainerPaths
from runtime.containers.serialization import to_json
from runtime.containers.spec import ContainerSpec, NamespaceMode
from runtime.containers.timestamps import format_timestamp
from runtime.crashpoints import crashpoint
from runtime.linux.cgroups import CgroupV2, detect_driver
from runtime.volumes.mounts import release_mounts, resolve_mounts

if TYPE_CHECKING:
    from runtime.containers.manager import Containers
    from runtime.containers.model import Container, HealthcheckPlan
    from runtime.images.imagestore import Image

HOLDER = "container"
SHARED_KINDS = ("ipc", "pid", "uts")


def shared_namespace_paths(manager: Containers, spec: ContainerSpec) -> dict[str, str]:
    """`--ipc/--pid/--uts container:<x>`: x's namespaces by its current process."""
    paths: dict[str, str] = {}
    for kind in SHARED_KINDS:
        mode: NamespaceMode = getattr(spec, kind)
        if mode.mode != "container":
            continue
        other = manager.get(str(mode.value))
        if other.state.status not in ("running", "paused") or not other.state.pid:
            raise ContainerError(f"container {other.name} must be running to share its {kind}")
        paths[kind] = f"/proc/{other.state.pid}/ns/{kind}"
    return paths


def bundle_spec(spec: ContainerSpec, plan: sandbox.SandboxPlan) -> ContainerSpec:
    """The run options as the bundle sees them: the network namespace is always a path."""
    network = NamespaceMode("host") if plan.mode == "host" else NamespaceMode("path", plan.pin)
    return dataclasses.replace(spec, network=network, hostname=plan.hostname or None)


def write_bundle(
    manager: Containers,
    container_id: str,
    spec: ContainerSpec,
    plan: sandbox.SandboxPlan,
    merged: Path,
    mounts: list[Any],
    files: dict[str, Path],
) -> None:
    """Build and write the container's config.json."""
    layout = manager.store.layout
    inputs = bundle.BundleInputs(
        container_id=container_id,
        rootfs=merged,
        cgroup_parent=layout.instance_name,
        mounts=tuple(mounts),
        files=files,
        namespace_paths=shared_namespace_paths(manager, spec),
        cgroup_v2=isinstance(detect_driver(), CgroupV2),
    )
    oci_spec = bundle.build_spec(bundle_spec(spec, plan), inputs)
    bundle.write_bundle(ContainerPaths(layout, container_id).bundle, oci_spec)


def create_container(manager: Containers, request: ContainerRequest) -> Container:
    """Make a container from `request` (see the module's docstring)."""
    from runtime.containers.paths import runtime_state_root
    from runtime.containers.runtimes import open_runtime

    layout = manager.store.layout
    image = manager.images.get(request.image)
    spec = request.spec
    if not spec.image_config:
        spec = dataclasses.replace(spec, image_config=image.runtime_config)
    bundle.command_line(spec)  # "no command specified" before anything is made
    health = resolve_healthcheck(request.healthcheck, spec.image_config)
    runtime_name = request.runtime or manager.default_runtime
    open_runtime(runtime_name, runtime_state_root(layout, runtime_name))
    owner = manager.get(str(spec.network.value)) if spec.network.mode == "container" else None
    container_id = new_id()
    plan = sandbox.plan_sandbox(manager.networks, request, container_id, owner)
    with manager.registry.lock(container_id):
        return _create(manager, request, container_id, spec, plan, image, health, runtime_name)


def _create(
    manager: Containers,
    request: ContainerRequest,
    container_id: str,
    spec: ContainerSpec,
    plan: sandbox.SandboxPlan,
    image: Image,
    health: HealthcheckPlan | None,
    runtime_name: str,
) -> Container:
    layout = manager.store.layout
    stored = dataclasses.replace(request, spec=dataclasses.replace(spec, image_config={}))
    name = manager.registry.insert(
        status="creating",
        container_id=container_id,
        name=spec.name or None,
        image=request.image,
        image_id=image.id,
        created=format_timestamp(),
        runtime=runtime_name,
        request=to_json(stored),
        labels=dict(spec.labels),
    )
    paths = ContainerPaths(layout, container_id)
    dirs = paths.rootfs
    crashpoint(f"create {name}: row written")
    try:
        manager.images.hold(image.id, HOLDER, container_id)
        crashpoint(f"create {name}: image held")
        merged = rootfs.mount_rootfs(dirs, manager.images.lower_dirs(image))
        crashpoint(f"create {name}: rootfs mounted")
        try:
            named = dataclasses.replace(spec, name=name)
            mounts, held = resolve_mounts(manager.volumes, container_id, named, merged)
            crashpoint(f"create {name}: volumes ready")
            sandbox.prepare_files(paths.files, request, plan)
            owner_files = ContainerPaths(layout, plan.owner).files if plan.owner else None
            files = sandbox.file_paths(paths.files, plan, owner_files)
            write_bundle(manager, container_id, named, plan, merged, mounts, files)
            crashpoint(f"create {name}: bundle written")
        finally:
            rootfs.unmount_rootfs(dirs)
        resolved = {
            "sandbox": dataclasses.asdict(plan),
            "hostname": plan.hostname,
            "mounts": [m.to_dict() for m in mounts],
            "volumes": held,
            "health": dataclasses.asdict(health) if health else None,
            "image_config": dict(spec.image_config),
            "cgroup": f"/{layout.instance_name}/{container_id}",
        }
        fields = {
            "status": "created",
            "resolved": json.dumps(resolved),
            "sandbox": plan.pin if plan.owned else "",
            "sandbox_owner": plan.owner,
        }
        manager.registry.update(container_id, fields, [("create", {})])
        crashpoint(f"create {name}: created")
    except BaseException:
        undo_create(manager, container_id, paths)
        raise
    return manager.get(container_id)


def undo_create(manager: Containers, container_id: str, paths: ContainerPaths) -> None:
    """Take back what a failed create made."""
    try:
        release_mounts(manager.volumes, container_id, remove_anonymous=True)
        manager.images.release_holder(HOLDER, container_id)
        rootfs.remove_rootfs(paths.rootfs)
        shutil.rmtree(paths.directory, ignore_errors=True)
    finally:
        with manager.store.db.transaction() as conn:
            conn.execute("DELETE FROM containers WHERE id = ?", (container_id,))
