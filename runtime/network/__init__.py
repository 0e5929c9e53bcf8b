"""Bridge networks, addresses, veths, name resolution, published ports and egress.

The container layer drives it through `Networks` on network-namespace paths
made with `runtime.linux.netns`; see docs/networking.md.

Names load on first use: the records (`runtime.network.model`) and port
parsing must not pull in netlink (pyroute2) for a command that only reads.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "AddressError": "runtime.network.errors",
    "NetworkError": "runtime.network.errors",
    "NetworkNotFound": "runtime.network.errors",
    "PortError": "runtime.network.errors",
    "Endpoint": "runtime.network.model",
    "Network": "runtime.network.model",
    "PortRequest": "runtime.network.model",
    "PublishedPort": "runtime.network.model",
    "ResolverFiles": "runtime.network.model",
    "ResolverOptions": "runtime.network.model",
    "Networks": "runtime.network.networks",
    "host_resolver_files": "runtime.network.networks",
    "isolated_resolver_files": "runtime.network.networks",
    "parse_long_syntax": "runtime.network.ports",
    "parse_port_spec": "runtime.network.ports",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'runtime.network' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
