"""Networks: the project's networks and how a service joins them."""

from __future__ import annotations

from pydantic import Field, model_validator

from specs.model.base import SpecModel
from specs.model.scalars import IPAddress, IPv4, IPv6, Subnet


class IpamPool(SpecModel):
    """One address pool of a network."""

    subnet: Subnet | None = None
    ip_range: Subnet | None = None
    """The part of the subnet containers get addresses from."""
    gateway: IPAddress | None = None
    aux_addresses: dict[str, IPAddress] = Field(default_factory=dict)
    """Addresses the IPAM driver must not hand out, by host name."""


class Ipam(SpecModel):
    """Address management of a network."""

    driver: str | None = None
    config: list[IpamPool] = Field(default_factory=list)
    options: dict[str, str] = Field(default_factory=dict)


class Network(SpecModel):
    """A network of the project (`networks.<key>`)."""

    name: str
    """The network's real name: `<project>_<key>` unless set, or the key when external."""
    driver: str | None = None
    """None is the default driver (bridge)."""
    driver_opts: dict[str, str] = Field(default_factory=dict)
    ipam: Ipam | None = None
    external: bool = False
    """Made outside the project: used, never created or removed."""
    internal: bool = False
    """No route out of the network."""
    labels: dict[str, str] = Field(default_factory=dict)
    enable_ipv4: bool = True
    enable_ipv6: bool = False

    unsupported = frozenset({"attachable"})
    always_dumped = frozenset({"name"})

    @model_validator(mode="after")
    def _external_is_only_a_name(self) -> Network:
        if self.external:
            for key in ("driver", "driver_opts", "ipam", "internal", "enable_ipv6"):
                if getattr(self, key):
                    raise ValueError(
                        f"'{key}' cannot be set on an external network (it is made elsewhere)"
                    )
        return self


class ServiceNetwork(SpecModel):
    """How a service is attached to one network (`services.<name>.networks.<key>`)."""

    aliases: list[str] = Field(default_factory=list)
    """More names the service answers to on this network."""
    ipv4_address: IPv4 | None = None
    """A static address from the network's subnet."""
    ipv6_address: IPv6 | None = None

    unsupported = frozenset(
        {
            "driver_opts",
            "gw_priority",
            "interface_name",
            "link_local_ips",
            "mac_address",
            "priority",
        }
    )
