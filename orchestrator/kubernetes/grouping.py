"""Pod groups: services that share namespaces run as the containers of one Pod.

Containers of a Pod share one network namespace (and IPC and UTS), which is
exactly what `network_mode: service:x` (legacy `net: container:x`) asks for; a
service that borrows another's IPC or PID namespace (`ipc: service:x`,
`pid: service:x`) goes into the same Pod too, with `shareProcessNamespace`
for PID. Each group is named after its owner: the service whose network
namespace the others join.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from orchestrator.kubernetes.errors import KubernetesError
from orchestrator.kubernetes.naming import dns_label
from specs.model import Project, Service

SERVICE_PREFIX = "service:"
CONTAINER_PREFIX = "container:"
SHARED_NAMESPACES = ("network_mode", "ipc", "pid", "uts")


@dataclass(frozen=True)
class PodGroup:
    """The services that run together in one Pod; the owner first."""

    name: str
    """The name of the Pod's workload and Service (the owner's, as a DNS label)."""
    members: tuple[Service, ...]
    shares_processes: bool = False
    """A member borrows another's PID namespace: the Pod shares one."""

    @property
    def owner(self) -> Service:
        """The service whose network namespace the others join."""
        return self.members[0]

    @property
    def replicas(self) -> int:
        """How many Pods run: the owner's replica count."""
        return self.owner.replicas


def container_name(service: Service) -> str:
    """The name of a service's container in its Pod."""
    return dns_label(service.name, what="service")


def group_services(project: Project, warn: Callable[[str], None]) -> list[PodGroup]:
    """Split the project's services into pod groups, sorted by name."""
    parent = {name: name for name in project.services}

    def root(name: str) -> str:
        while parent[name] != name:
            parent[name] = parent[parent[name]]
            name = parent[name]
        return name

    for service in project.services.values():
        for target in _namespace_targets(service, project, warn):
            parent[root(service.name)] = root(target)
    members: dict[str, list[Service]] = {}
    for service in project.services.values():
        members.setdefault(root(service.name), []).append(service)
    groups = [_group(services, warn) for services in members.values()]
    _check_unique_names(project, warn)
    return sorted(groups, key=lambda group: group.name)


def _namespace_targets(
    service: Service, project: Project, warn: Callable[[str], None]
) -> list[str]:
    targets = []
    for key in SHARED_NAMESPACES:
        mode = getattr(service, key)
        if not mode:
            continue
        if mode.startswith(SERVICE_PREFIX):
            target = mode[len(SERVICE_PREFIX) :]
            if target in project.services:
                targets.append(target)
            else:
                warn(f"services.{service.name}.{key}: service {target} is not part of the app")
        elif mode.startswith(CONTAINER_PREFIX):
            warn(
                f"services.{service.name}.{key}: {mode} joins a container outside the app, "
                "which Kubernetes cannot do; the service gets its own namespace"
            )
    return targets


def _group(services: list[Service], warn: Callable[[str], None]) -> PodGroup:
    joined = {service.shared_namespace_owner() for service in services}
    owners = [service for service in services if service.shared_namespace_owner() is None]
    owner = next((s for s in owners if s.name in joined), owners[0] if owners else services[0])
    if len(owners) > 1:
        names = ", ".join(service.name for service in owners)
        warn(
            f"services {names} share IPC or PID namespaces but have their own networks; "
            "in one Pod they share the network too"
        )
    ordered = (owner, *(service for service in services if service is not owner))
    for member in ordered[1:]:
        if member.replicas != owner.replicas:
            warn(
                f"services.{member.name}: runs in the Pod of {owner.name}, so with its "
                f"{owner.replicas} replica(s), not {member.replicas}"
            )
    shares_processes = any((service.pid or "").startswith(SERVICE_PREFIX) for service in services)
    return PodGroup(name=container_name(owner), members=ordered, shares_processes=shares_processes)


def _check_unique_names(project: Project, warn: Callable[[str], None]) -> None:
    seen: dict[str, str] = {}
    for name in project.services:
        label = dns_label(name, what="service")
        if label in seen:
            raise KubernetesError(
                f'services {seen[label]} and {name} would both be named "{label}" in Kubernetes; '
                "rename one of them"
            )
        seen[label] = name
        if label != name:
            warn(
                f'services.{name}: is named "{label}" in Kubernetes (names there are lowercase '
                "letters, digits and '-'); other services must reach it by that name"
            )
