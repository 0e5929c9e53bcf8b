"""A project's networks and named volumes: which the services use, made before them, gone with `down`.

Networks are `<project>_<key>` (`app_default` for the one every service joins
unless it names others) and volumes `<project>_<key>`, unless the file names
them; both carry the project's labels, which is how `down` finds them again,
including those the file no longer declares. `external: true` ones are used,
never made or removed: a missing one is an error before anything starts.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from orchestrator import labels as L
from orchestrator.errors import OrchestratorError
from orchestrator.observed import ObservedProject
from orchestrator.plan import Action, ActionKind
from specs.model import Network, Project, Volume

if TYPE_CHECKING:
    from runtime.engine import Engine


def used_networks(project: Project, services: Iterable[str]) -> dict[str, Network]:
    """The networks (by key) the services join."""
    keys = {key for name in services for key in project.services[name].networks}
    return {key: project.networks[key] for key in sorted(keys) if key in project.networks}


def used_volumes(project: Project, services: Iterable[str]) -> dict[str, Volume]:
    """The named volumes (by key) the services mount."""
    keys = {
        mount.source
        for name in services
        for mount in project.services[name].volumes
        if mount.type == "volume" and mount.source
    }
    return {key: project.volumes[key] for key in sorted(keys) if key in project.volumes}


def resource_names(project: Project, services: Iterable[str]) -> tuple[list[str], list[str]]:
    """The real names of the networks and volumes the services need (to observe them)."""
    chosen = list(services)
    return (
        [network.name for network in used_networks(project, chosen).values()],
        [volume.name for volume in used_volumes(project, chosen).values()],
    )


def plan_resources(
    project: Project, services: Iterable[str], observed: ObservedProject
) -> list[Action]:
    """Create-actions for the missing networks and volumes; an error for a missing external one."""
    chosen = list(services)
    actions: list[Action] = []
    for key, network in used_networks(project, chosen).items():
        if network.name in observed.networks:
            continue
        if network.external:
            raise OrchestratorError(
                f"network {network.name} is declared as external, but could not be found: "
                f"create it with `pycompose network create {network.name}`"
            )
        actions.append(Action(ActionKind.CREATE_NETWORK, network.name, f"network {key} is missing"))
    for key, volume in used_volumes(project, chosen).items():
        if volume.name in observed.volumes:
            continue
        if volume.external:
            raise OrchestratorError(
                f"volume {volume.name} is declared as external, but could not be found: "
                f"create it with `pycompose volume create {volume.name}`"
            )
        actions.append(Action(ActionKind.CREATE_VOLUME, volume.name, f"volume {key} is missing"))
    return actions


def _network_by_name(project: Project, name: str) -> tuple[str, Network]:
    for key, network in project.networks.items():
        if network.name == name:
            return key, network
    raise OrchestratorError(f"network {name} is not a network of project {project.name}")


def create_network(engine: Engine, project: Project, name: str) -> None:
    """Make the project's network `name` (idempotent: an existing one is kept)."""
    key, network = _network_by_name(project, name)
    if engine.networks.exists(name):
        return
    if network.enable_ipv6:
        raise OrchestratorError(f"network {key}: IPv6 networks are not supported yet")
    pool = network.ipam.config[0] if network.ipam and network.ipam.config else None
    from runtime.network.errors import NetworkError

    try:
        engine.networks.create(
            name,
            subnet=pool.subnet if pool else None,
            gateway=pool.gateway if pool else None,
            internal=network.internal,
            labels={**network.labels, **L.resource_labels(project.name, L.NETWORK, key)},
            options=dict(network.driver_opts),
            driver=network.driver or "bridge",
        )
    except NetworkError:
        # Another command of the same project may have made it a moment ago.
        if not engine.networks.exists(name):
            raise


def create_volume(engine: Engine, project: Project, name: str) -> None:
    """Make the project's volume `name` (idempotent)."""
    for key, volume in project.volumes.items():
        if volume.name == name:
            if volume.driver not in (None, "local") or volume.driver_opts:
                raise OrchestratorError(
                    f"volume {key}: only the local driver without options is supported"
                )
            engine.volumes.create(
                name, labels={**volume.labels, **L.resource_labels(project.name, L.VOLUME, key)}
            )
            return
    raise OrchestratorError(f"volume {name} is not a volume of project {project.name}")


def remove_networks(engine: Engine, project: str) -> list[str]:
    """Remove every network labelled as the project's; return their names."""
    removed = []
    for network in engine.networks.all():
        if network.labels.get(L.PROJECT) == project:
            engine.networks.remove(network.name)
            removed.append(network.name)
    return removed


def remove_volumes(engine: Engine, project: str) -> list[str]:
    """Remove every volume labelled as the project's (`down -v`); return their names."""
    removed = []
    for volume in engine.volumes.list_volumes(labels={L.PROJECT: project}):
        engine.volumes.remove(volume.name)
        removed.append(volume.name)
    return removed
