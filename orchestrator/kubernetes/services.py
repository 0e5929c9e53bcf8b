"""Services: every pod group gets a Service named after it, so names resolve as in Compose.

    ports / expose   a ClusterIP Service (or `x-kubernetes.service-type`: NodePort or
                     LoadBalancer) with each container port as a port of the same number;
                     a published port of another number is a port too (`8080` -> `80`),
                     and a NodePort Service asks for it as node port when in range
    neither          a headless Service: the name resolves to the ready Pods' addresses
                     and every port is reachable, as on a Compose network

Network aliases, `container_name` and link aliases become more Services with
the same selector and ports.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from orchestrator.kubernetes.grouping import PodGroup
from orchestrator.kubernetes.metadata import object_metadata, pod_selector
from orchestrator.kubernetes.naming import dns_label, is_dns_label, port_name
from specs.model import Project, Service

NODE_PORTS = range(30000, 32768)


@dataclass(frozen=True)
class DeclaredPort:
    """A port a container listens on, and the host port Compose would publish it on."""

    number: int
    protocol: str
    published: int | None = None
    app_protocol: str | None = None


def declared_ports(service: Service) -> list[DeclaredPort]:
    """The service's container ports (`ports` then `expose`), each number and protocol once."""
    found: dict[tuple[int, str], DeclaredPort] = {}
    for port in service.ports:
        published = port.published_range
        single = published[0] if published and published[0] == published[1] else None
        key = (port.target, port.protocol)
        if key not in found or found[key].published is None:
            found[key] = DeclaredPort(port.target, port.protocol, single, port.app_protocol)
    for entry in service.expose:
        numbers, _, protocol = entry.partition("/")
        first, _, last = numbers.partition("-")
        for number in range(int(first), int(last or first) + 1):
            found.setdefault((number, protocol), DeclaredPort(number, protocol))
    return list(found.values())


def service_spec(
    group: PodGroup, project: str, service_type: str, warn: Callable[[str], None]
) -> dict[str, Any]:
    """The spec of the group's Service."""
    ports = _service_ports(group.members, service_type, warn)
    spec: dict[str, Any] = {"selector": pod_selector(project, group.name)}
    if not ports:
        if service_type != "ClusterIP":
            warn(
                f"services.{group.owner.name}: a {service_type} Service needs ports; "
                "it gets a headless one"
            )
        spec["clusterIP"] = "None"
        return spec
    if service_type != "ClusterIP":
        spec["type"] = service_type
    spec["ports"] = ports
    return spec


def service_document(
    name: str, spec: dict[str, Any], labels: dict[str, str], annotations: dict[str, str]
) -> dict[str, Any]:
    """A Service object."""
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": object_metadata(name, labels, extra_annotations=annotations),
        "spec": spec,
    }


def alias_spec(spec: dict[str, Any]) -> dict[str, Any]:
    """The spec of an alias of a Service: the same Pods and ports, inside the cluster only."""
    alias = {key: value for key, value in spec.items() if key != "type"}
    if "ports" in alias:
        alias["ports"] = [
            {key: value for key, value in port.items() if key != "nodePort"}
            for port in alias["ports"]
        ]
    return alias


def aliases(project: Project, group: PodGroup, warn: Callable[[str], None]) -> list[str]:
    """More names the group answers to: network aliases, container names, link aliases."""
    members = {service.name for service in group.members}
    names: list[str] = []
    for service in group.members:
        for attachment in service.networks.values():
            names.extend(attachment.aliases)
        if service.container_name:
            names.append(service.container_name)
    for service in project.services.values():
        for link in service.links:
            target, _, alias = link.partition(":")
            if target in members and alias:
                names.append(alias)
    result = []
    for name in dict.fromkeys(names):
        if not is_dns_label(name):
            label = dns_label(name, what="alias")
            warn(f'services.{group.owner.name}: alias "{name}" is named "{label}" in Kubernetes')
            name = label
        if name != group.name and name not in result:
            result.append(name)
    return result


def _service_ports(
    members: Sequence[Service], service_type: str, warn: Callable[[str], None]
) -> list[dict[str, Any]]:
    entries: dict[tuple[int, str], dict[str, Any]] = {}
    for service in members:
        for port in declared_ports(service):
            entries.setdefault((port.number, port.protocol), _entry(port, port.number))
            if port.published is not None and port.published != port.number:
                entries.setdefault((port.published, port.protocol), _entry(port, port.published))
            if service_type == "NodePort" and port.published is not None:
                _node_port(entries[(port.published, port.protocol)], service.name, warn)
    return list(entries.values())


def _entry(port: DeclaredPort, number: int) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "name": port_name(port.protocol, number),
        "port": number,
        "targetPort": port.number,
        "protocol": port.protocol.upper(),
    }
    if port.app_protocol:
        entry["appProtocol"] = port.app_protocol
    return entry


def _node_port(entry: dict[str, Any], service: str, warn: Callable[[str], None]) -> None:
    if entry["port"] in NODE_PORTS:
        entry["nodePort"] = entry["port"]
    else:
        warn(
            f"services.{service}: published port {entry['port']} is outside the node port "
            "range (30000-32767); the cluster picks the node port"
        )
