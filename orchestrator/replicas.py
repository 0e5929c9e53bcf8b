"""Making the request for one container of a service: labels, files, mounts, run options.

Shared by converging (`up`) and one-off runs (`run`): the configuration behind
the config hash is recorded, the configs and secrets are written, and the
mounts of `volumes_from` are read from the containers they name. A
recreation passes the anonymous volumes of the container it replaces, which
the new one mounts again at the same targets (as Compose does), so their data
survives.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from orchestrator import labels as L
from orchestrator.desired import comparable_config, container_name
from orchestrator.errors import OrchestratorError
from orchestrator.graph import ServiceGraph
from orchestrator.records import ServiceConfigs
from orchestrator.service_files import materialise
from orchestrator.translation import Targets, container_request, container_spec
from specs.model import Project, Service

if TYPE_CHECKING:
    from runtime.containers.model import ContainerRequest
    from runtime.containers.spec import ContainerSpec, MountSpec
    from runtime.engine import Engine


def replica_request(
    engine: Engine,
    project: Project,
    graph: ServiceGraph,
    service: Service,
    *,
    name: str,
    number: int,
    oneoff: bool = False,
    extra_mounts: Sequence[MountSpec] = (),
    command: Sequence[str] | None = None,
    publish: bool = True,
    carried_volumes: Mapping[str, str] | None = None,
) -> ContainerRequest:
    """The request for container `name` (replica `number`, or a one-off) of `service`."""
    reference = project.image_name(service)
    image = engine.images.find(reference)
    if image is None:
        raise OrchestratorError(
            f"service {service.name}: image {reference} is not here: run `pycompose pull` or "
            "`pycompose build` first"
        )
    config_hash = service.config_hash()
    ServiceConfigs(engine.store).remember(
        project.name, service.name, config_hash, comparable_config(service)
    )
    labels = L.container_labels(
        L.ContainerIdentity(project.name, service.name, number, oneoff),
        config_hash=config_hash,
        image_id=image.id,
        working_dir=project.working_dir,
        config_files=project.compose_files,
        depends_on={
            dependency: (edge.condition, edge.restart)
            for dependency, edge in graph.dependencies(service.name).items()
        },
    )
    targets = Targets(containers=first_containers(project))
    mounts = [
        *materialise(engine.store.layout.root, project, service),
        *volumes_from(engine, project, service),
        *extra_mounts,
    ]
    spec = container_spec(
        project,
        service,
        name,
        labels=labels,
        image_config=image.runtime_config,
        targets=targets,
        extra_mounts=mounts,
        command=command,
    )
    spec = _with_volumes(spec, carried_volumes or {})
    return container_request(project, service, spec, reference, targets, publish=publish)


def first_containers(project: Project) -> dict[str, str]:
    """Each service's first replica's container name (what `service:x` modes join)."""
    return {
        name: container_name(project.name, name, 1, service.container_name)
        for name, service in project.services.items()
    }


def volumes_from(engine: Engine, project: Project, service: Service) -> list[MountSpec]:
    """The mounts `volumes_from` gives: those of the named service's first container (or of
    `container:NAME`), read-only with `:ro`."""
    from runtime.containers.spec import MountSpec

    mounts: list[MountSpec] = []
    for entry in service.volumes_from:
        parts = entry.split(":")
        if parts[0] == "container":
            source, mode = parts[1], (parts[2] if len(parts) > 2 else "rw")
        else:
            other = project.services.get(parts[0])
            if other is None:
                raise OrchestratorError(
                    f"service {service.name}: volumes_from {parts[0]}, which is not a service"
                )
            source = container_name(project.name, parts[0], 1, other.container_name)
            mode = parts[1] if len(parts) > 1 else "rw"
        for mount in _mounts_of(engine.containers.inspect(source)):
            read_only = mode == "ro" or not mount.get("RW", True)
            kind = mount.get("Type")
            if kind == "volume":
                mounts.append(
                    MountSpec("volume", mount["Destination"], mount["Name"], read_only=read_only)
                )
            elif kind == "bind":
                mounts.append(
                    MountSpec("bind", mount["Destination"], mount["Source"], read_only=read_only)
                )
    return mounts


def anonymous_volumes(engine: Engine, container_id: str) -> dict[str, str]:
    """The anonymous volumes of a container, by target (to carry them over a recreation)."""
    try:
        mounts = _mounts_of(engine.containers.inspect(container_id))
    except Exception:
        return {}
    carried: dict[str, str] = {}
    for mount in mounts:
        name = mount.get("Name")
        if mount.get("Type") == "volume" and name and _is_anonymous(engine, name):
            carried[mount["Destination"]] = name
    return carried


def _is_anonymous(engine: Engine, name: str) -> bool:
    try:
        return bool(engine.volumes.get(name).anonymous)
    except Exception:
        return False


def _mounts_of(details: Mapping[str, object]) -> list[dict[str, Any]]:
    """The `Mounts` of a Docker-shaped inspect document."""
    mounts = details.get("Mounts") or []
    return [dict(mount) for mount in mounts] if isinstance(mounts, list) else []


def _with_volumes(spec: ContainerSpec, carried: Mapping[str, str]) -> ContainerSpec:
    """`spec` mounting the carried anonymous volumes where it would make new ones."""
    from runtime.containers.spec import MountSpec

    if not carried:
        return spec
    mounts = []
    covered = set()
    for mount in spec.mounts:
        if mount.kind == "volume" and mount.source is None and mount.target in carried:
            mount = replace(mount, source=carried[mount.target])
        covered.add(mount.target)
        mounts.append(mount)
    for target in spec.image_config.get("Volumes") or {}:
        if target not in covered and target in carried:
            mounts.append(MountSpec("volume", target, carried[target]))
    return replace(spec, mounts=tuple(mounts))
