"""The network layer's records: networks, endpoints and published ports, as plain data."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any

DEFAULT_DRIVER = "bridge"


@dataclass(frozen=True)
class Network:
    """A bridge network: its bridge device, subnet, gateway and flags."""

    id: str
    name: str
    bridge: str
    subnet: ipaddress.IPv4Network
    gateway: ipaddress.IPv4Address
    internal: bool = False
    labels: dict[str, str] = field(default_factory=dict)
    options: dict[str, str] = field(default_factory=dict)
    driver: str = DEFAULT_DRIVER
    created: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The network as `docker network inspect` shows one."""
        return {
            "Name": self.name,
            "Id": self.id,
            "Created": self.created,
            "Driver": self.driver,
            "Internal": self.internal,
            "IPAM": {
                "Driver": "default",
                "Config": [{"Subnet": str(self.subnet), "Gateway": str(self.gateway)}],
            },
            "Options": {"bridge.name": self.bridge, **self.options},
            "Labels": dict(self.labels),
        }


@dataclass(frozen=True)
class Endpoint:
    """A container's attachment to a network: a veth pair and an address.

    `active` is false while the container is stopped: its address stays
    reserved, but its interface is gone and its names do not resolve.
    """

    network_id: str
    container_id: str
    container_name: str
    netns: str
    host_ifname: str
    ifname: str
    address: ipaddress.IPv4Address
    prefixlen: int
    gateway: ipaddress.IPv4Address
    mac: str
    hostname: str = ""
    aliases: tuple[str, ...] = ()
    active: bool = True
    created_order: int = 0

    @property
    def names(self) -> tuple[str, ...]:
        """Every name this endpoint answers to on its network, without repeats."""
        candidates = [self.container_name, self.container_id[:12], self.hostname, *self.aliases]
        seen: list[str] = []
        for name in candidates:
            lowered = name.lower().rstrip(".")
            if lowered and lowered not in seen:
                seen.append(lowered)
        return tuple(seen)

    def to_dict(self) -> dict[str, Any]:
        """The endpoint as `docker inspect` shows a container's network settings."""
        return {
            "ContainerId": self.container_id,
            "Name": self.container_name,
            "Interface": self.ifname,
            "HostInterface": self.host_ifname,
            "IPAddress": str(self.address),
            "IPPrefixLen": self.prefixlen,
            "Gateway": str(self.gateway),
            "MacAddress": self.mac,
            "Aliases": list(self.aliases),
            "Active": self.active,
        }


@dataclass(frozen=True)
class PortRequest:
    """One container port to publish, with the host side as asked (0 = any free port).

    `host_port_end` above `host_port` means "any free port of that range".
    """

    container_port: int
    protocol: str = "tcp"
    host_ip: str = ""
    host_port: int = 0
    host_port_end: int = 0


@dataclass(frozen=True)
class PublishedPort:
    """A host address and port forwarded by the kernel to a container's address and port."""

    container_id: str
    network_id: str
    protocol: str
    host_ip: str
    host_port: int
    container_ip: ipaddress.IPv4Address
    container_port: int

    def describe(self) -> str:
        """`0.0.0.0:8080->80/tcp`, as `docker ps` prints it."""
        host = self.host_ip or "0.0.0.0"
        return f"{host}:{self.host_port}->{self.container_port}/{self.protocol}"


@dataclass(frozen=True)
class ResolverOptions:
    """What a container asks of name resolution (Compose's dns, dns_search, dns_opt, ...)."""

    hostname: str = ""
    domainname: str = ""
    dns: tuple[str, ...] = ()
    dns_search: tuple[str, ...] = ()
    dns_options: tuple[str, ...] = ()
    extra_hosts: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class ResolverFiles:
    """The contents of a container's /etc/resolv.conf, /etc/hosts and /etc/hostname."""

    resolv_conf: str
    hosts: str
    hostname: str
