"""pycompose's own nftables table: published ports (DNAT), egress (masquerade), isolation.

The whole table is rendered from the store's records by a pure function and
replaced in one `nft -f` transaction, so the kernel never holds a half-made
ruleset and nothing outside the table is touched. With no networks left the
table is deleted.

Chains (family `ip`):
- `prerouting`/`output` (nat): traffic for one of the host's own addresses
  (`fib daddr type local`, so 127.0.0.1 too) jumps to `published`, whose rules
  DNAT a host port to a container's address and port.
- `postrouting` (nat): masquerade egress of non-internal subnets; masquerade
  DNATed traffic that came from 127.0.0.0/8 (the container could not answer
  it otherwise) or from the same subnet (hairpin).
- `forward` (filter): internal networks reach nothing beyond their bridge;
  replies and DNATed connections pass; networks are isolated from each other;
  nothing from outside reaches a container unless published; interfaces
  whose forwarding the engine turned on (`guarded`) forward nothing but to
  pycompose bridges.
- `loopback_guard` (filter, before NAT): a bridge never delivers to
  127.0.0.0/8, which `route_localnet` would otherwise allow.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from dataclasses import dataclass

from runtime.errors import CommandError
from runtime.external import require_program, run_command
from runtime.network.errors import NetworkError

FAMILY = "ip"
# Every pycompose bridge's name starts with this, whichever root made it.
BRIDGE_PREFIX = "pc-"
_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]*$")


@dataclass(frozen=True)
class BridgeRule:
    """What the rules need to know of a network."""

    bridge: str
    subnet: ipaddress.IPv4Network
    internal: bool


@dataclass(frozen=True)
class PortRule:
    """One DNAT: host address (empty = every host address) and port to a container's."""

    protocol: str
    host_ip: str
    host_port: int
    container_ip: ipaddress.IPv4Address
    container_port: int


def _quote(name: str) -> str:
    if not _NAME_RE.match(name):
        raise NetworkError(f"unexpected interface or table name {name!r}")
    return f'"{name}"'


def _set(name: str, elements: Sequence[str]) -> list[str]:
    lines = [f"\tset {name} {{", "\t\ttype ifname"]
    if elements:
        lines.append("\t\telements = { " + ", ".join(_quote(e) for e in elements) + " }")
    lines.append("\t}")
    return lines


def render(
    table: str,
    bridges: Sequence[BridgeRule],
    ports: Sequence[PortRule],
    guarded: Sequence[str] = (),
) -> str:
    """The nft script that replaces `table` with the rules for these networks and ports."""
    _quote(table)
    header = [f"table {FAMILY} {table}", f"delete table {FAMILY} {table}"]
    if not bridges:
        return "\n".join(header) + "\n"
    published = [_dnat(port) for port in sorted(ports, key=_port_key)]
    postrouting = ["\t\tip saddr 127.0.0.0/8 oifname @bridges masquerade"]
    forward = []
    for bridge in bridges:
        name = _quote(bridge.bridge)
        postrouting.append(f"\t\tct status dnat ip saddr {bridge.subnet} oifname {name} masquerade")
        if bridge.internal:
            forward.append(f"\t\tiifname {name} oifname != {name} drop")
            forward.append(f"\t\toifname {name} iifname != {name} drop")
        else:
            postrouting.append(f"\t\tip saddr {bridge.subnet} oifname != {name} masquerade")
    forward += [
        "\t\tct state established,related accept",
        "\t\tct status dnat oifname @bridges accept",
    ]
    forward += [
        f"\t\tiifname {_quote(b.bridge)} oifname @bridges oifname != {_quote(b.bridge)} drop"
        for b in bridges
    ]
    forward += [
        "\t\toifname @bridges iifname != @bridges drop",
        f'\t\tiifname @guarded oifname != "{BRIDGE_PREFIX}*" drop',
    ]
    lines = [
        *header,
        f"table {FAMILY} {table} {{",
        *_set("bridges", [b.bridge for b in bridges]),
        *_set("guarded", sorted(guarded)),
        "\tchain published {",
        *published,
        "\t}",
        "\tchain prerouting {",
        "\t\ttype nat hook prerouting priority dstnat; policy accept;",
        "\t\tfib daddr type local jump published",
        "\t}",
        "\tchain output {",
        "\t\ttype nat hook output priority -100; policy accept;",
        "\t\tfib daddr type local jump published",
        "\t}",
        "\tchain postrouting {",
        "\t\ttype nat hook postrouting priority srcnat; policy accept;",
        *postrouting,
        "\t}",
        "\tchain forward {",
        "\t\ttype filter hook forward priority filter; policy accept;",
        *forward,
        "\t}",
        "\tchain loopback_guard {",
        "\t\ttype filter hook prerouting priority -150; policy accept;",
        "\t\tiifname @bridges ip daddr 127.0.0.0/8 drop",
        "\t}",
        "}",
    ]
    return "\n".join(lines) + "\n"


def _port_key(port: PortRule) -> tuple[int, str, str]:
    return (port.host_port, port.protocol, port.host_ip)


def _dnat(port: PortRule) -> str:
    match = f"ip daddr {ipaddress.IPv4Address(port.host_ip)} " if port.host_ip else ""
    return (
        f"\t\t{match}{port.protocol} dport {port.host_port} "
        f"dnat to {port.container_ip}:{port.container_port}"
    )


def apply(script: str) -> None:
    """Load a rendered script in one transaction."""
    nft = require_program("nft", "nftables")
    run_command([nft, "-f", "-"], what="loading the nftables rules", input=script.encode())


def table_text(table: str) -> str | None:
    """The kernel's listing of `table`, or None when it does not exist."""
    nft = require_program("nft", "nftables")
    try:
        result = run_command([nft, "list", "table", FAMILY, table], what="listing nftables")
    except CommandError:
        return None
    return result.stdout.decode()
