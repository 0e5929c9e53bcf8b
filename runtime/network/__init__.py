"""Bridge networks, addresses, veths, name resolution, published ports and egress.

The container layer drives it through `Networks` on network-namespace paths
made with `runtime.linux.netns`; see docs/networking.md.
"""

from runtime.network.errors import AddressError, NetworkError, NetworkNotFound, PortError
from runtime.network.model import (
    Endpoint,
    Network,
    PortRequest,
    PublishedPort,
    ResolverFiles,
    ResolverOptions,
)
from runtime.network.networks import Networks, host_resolver_files, isolated_resolver_files
from runtime.network.ports import parse_long_syntax, parse_port_spec

__all__ = [
    "AddressError",
    "Endpoint",
    "Network",
    "NetworkError",
    "NetworkNotFound",
    "Networks",
    "PortError",
    "PortRequest",
    "PublishedPort",
    "ResolverFiles",
    "ResolverOptions",
    "host_resolver_files",
    "isolated_resolver_files",
    "parse_long_syntax",
    "parse_port_spec",
]
