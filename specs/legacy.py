"""The legacy `net:` key, which no current tool accepts, as `network_mode`.

`net: container:x` joins the network namespace of `x`: when `x` is a service
of the project it becomes `network_mode: service:x` (so the orchestrator orders
and recreates them together), otherwise `container:x`. `net: host`, `none` and
`bridge` map across. `net` next to `network_mode` or `networks` is an error.
"""

from __future__ import annotations

from specs import nodes
from specs.nodes import Node

_PLAIN_MODES = ("bridge", "host", "none")
_EXPECTED = 'expected "bridge", "host", "none" or "container:<name>"'


def rewrite_net(root: Node) -> None:
    """Replace every service's `net` with the equivalent `network_mode`, in place."""
    services = root.get("services")
    if services is None or not services.is_mapping:
        return
    names = set(services.value)
    for name, service in services.items():
        net = service.get("net") if service.is_mapping else None
        if net is None:
            continue
        path: nodes.Path = ("services", name, "net")
        key_location = service.key_location("net")
        for other in ("network_mode", "networks"):
            if service.get(other) is not None:
                raise nodes.error(
                    key_location,
                    path,
                    f"'net' and '{other}' cannot both be set ('net' is the old name of 'network_mode')",
                )
        service.pop("net")
        service.set(
            "network_mode", Node(_network_mode(net, path, names), net.location), key_location
        )


def _network_mode(net: Node, path: nodes.Path, services: set[str]) -> str:
    value = net.value
    if not isinstance(value, str):
        raise nodes.error(net, path, f"{nodes.describe(value)} is not a net mode ({_EXPECTED})")
    if value in _PLAIN_MODES:
        return value
    for prefix in ("container:", "service:"):
        if value.startswith(prefix):
            target = value[len(prefix) :]
            if not target:
                raise nodes.error(net, path, f'"{value}" names no container ({_EXPECTED})')
            return f"service:{target}" if target in services else f"container:{target}"
    raise nodes.error(net, path, f'"{value}" is not a net mode ({_EXPECTED})')
