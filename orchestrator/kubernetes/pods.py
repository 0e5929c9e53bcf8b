"""The Pod of a group: its containers, init containers, volumes and what the Pod shares.

Pod-wide settings come from the services in it: host namespaces
(`network_mode`/`ipc`/`pid: host`), the owner's `hostname`, `extra_hosts` as
host aliases, `dns`/`dns_search`/`dns_opt` added to the cluster's DNS
settings (the cluster's resolver stays first so service names keep
resolving), sysctls, the platform as a node selector and the longest
`stop_grace_period`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from orchestrator.kubernetes.containers import container
from orchestrator.kubernetes.context import ConversionContext
from orchestrator.kubernetes.dependencies import InitStep, wait_container
from orchestrator.kubernetes.errors import KubernetesError
from orchestrator.kubernetes.grouping import PodGroup
from orchestrator.kubernetes.naming import is_dns_label
from orchestrator.kubernetes.probes import seconds
from orchestrator.kubernetes.security import sysctls
from orchestrator.kubernetes.storage import PodVolumes
from specs.model import Service

MAX_NAMESERVERS = 3


@dataclass
class Pod:
    """A Pod spec being made, and its volumes (claims may still become templates)."""

    spec: dict[str, Any]
    volumes: PodVolumes = field(default_factory=PodVolumes)


def build_pod(
    group: PodGroup,
    context: ConversionContext,
    steps: Sequence[InitStep],
    service_specs: Mapping[str, Mapping[str, Any]],
) -> Pod:
    """The Pod spec of `group`; its workload sets `volumes` and the restart policy."""
    volumes = PodVolumes()
    in_pod = {service.name for service in group.members}
    in_pod.update(step.run.name for step in steps if step.run is not None)
    init_containers = []
    for step in steps:
        if step.run is not None:
            init_containers.append(container(step.run, context, volumes, in_pod, init=True))
        elif step.wait_for is not None:
            name = step.wait_for.name
            init_containers.append(
                wait_container(name, service_specs[name], context.settings.wait_image)
            )
    containers = [container(service, context, volumes, in_pod) for service in group.members]
    _check_names(group, [*init_containers, *containers])
    spec: dict[str, Any] = {}
    if init_containers:
        spec["initContainers"] = init_containers
    spec["containers"] = containers
    spec["restartPolicy"] = "Always"
    if group.shares_processes:
        spec["shareProcessNamespace"] = True
    spec.update(_namespaces(group, context))
    spec.update(_names(group, context))
    spec.update(_settings(group.members, context))
    return Pod(spec=spec, volumes=volumes)


def _check_names(group: PodGroup, containers: list[dict[str, Any]]) -> None:
    seen: set[str] = set()
    for made in containers:
        if made["name"] in seen:
            raise KubernetesError(
                f"services.{group.owner.name}: two containers of its Pod are named {made['name']}"
            )
        seen.add(made["name"])


def _namespaces(group: PodGroup, context: ConversionContext) -> dict[str, Any]:
    owner = group.owner
    origin = f"services.{owner.name}"
    spec: dict[str, Any] = {}
    if owner.network_mode == "host":
        spec["hostNetwork"] = True
        spec["dnsPolicy"] = "ClusterFirstWithHostNet"
    elif owner.network_mode == "none":
        context.warn(f"{origin}.network_mode: every Pod has a network in Kubernetes; it gets one")
    for service in group.members:
        if service.ipc == "host":
            spec["hostIPC"] = True
        if service.pid == "host":
            spec["hostPID"] = True
        if service.uts == "host" and owner.network_mode != "host":
            context.warn(
                f"services.{service.name}.uts: a Pod shares the host's UTS namespace only "
                "with the host's network; left out"
            )
    return spec


def _names(group: PodGroup, context: ConversionContext) -> dict[str, Any]:
    spec: dict[str, Any] = {}
    hostname = group.owner.hostname
    if hostname:
        if is_dns_label(hostname):
            spec["hostname"] = hostname
        else:
            context.warn(
                f'services.{group.owner.name}.hostname: "{hostname}" is not a Pod hostname '
                "(a DNS label); left out"
            )
    addresses: dict[str, list[str]] = {}
    for service in group.members:
        for host, ips in service.extra_hosts.items():
            for ip in ips:
                if ip == "host-gateway":
                    context.warn(
                        f"services.{service.name}.extra_hosts: {host} is the host gateway, "
                        "which a Pod has no address for; left out"
                    )
                    continue
                addresses.setdefault(ip, [])
                if host not in addresses[ip]:
                    addresses[ip].append(host)
    if addresses:
        spec["hostAliases"] = [{"ip": ip, "hostnames": names} for ip, names in addresses.items()]
    dns: dict[str, Any] = {}
    for service in group.members:
        _merge(dns, "nameservers", service.dns)
        _merge(dns, "searches", service.dns_search)
        options = [
            dict(zip(("name", "value"), option.split(":", 1), strict=False))
            for option in service.dns_opt
        ]
        _merge(dns, "options", options)
    if len(dns.get("nameservers", [])) > MAX_NAMESERVERS:
        context.warn(
            f"services.{group.owner.name}.dns: a Pod takes at most {MAX_NAMESERVERS} "
            "name servers; the first ones are kept"
        )
        dns["nameservers"] = dns["nameservers"][:MAX_NAMESERVERS]
    if dns:
        spec["dnsConfig"] = dns
    return spec


def _settings(members: Sequence[Service], context: ConversionContext) -> dict[str, Any]:
    spec: dict[str, Any] = {}
    merged_sysctls: list[dict[str, str]] = []
    for service in members:
        _merge(merged_sysctls, None, sysctls(service))
    if merged_sysctls:
        spec["securityContext"] = {"sysctls": merged_sysctls}
    selector: dict[str, str] = {}
    for service in members:
        if service.platform:
            os_name, _, rest = service.platform.partition("/")
            selector.setdefault("kubernetes.io/os", os_name)
            if rest:
                selector.setdefault("kubernetes.io/arch", rest.split("/")[0])
    if selector:
        spec["nodeSelector"] = selector
    grace = [service.stop_grace_period for service in members if service.stop_grace_period]
    if grace:
        spec["terminationGracePeriodSeconds"] = max(seconds(value, 0) for value in grace)
    return spec


def _merge(target: Any, key: str | None, values: Sequence[Any]) -> None:
    items = target if key is None else target.setdefault(key, [])
    for value in values:
        if value not in items:
            items.append(value)
    if key is not None and not items:
        del target[key]
