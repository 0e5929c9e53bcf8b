"""Address management: carve subnets out of pools and hand out addresses inside them.

Pure functions over what is taken; the caller reads what is taken from the
store (other networks, other endpoints) and from the kernel (the host's routes).
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from runtime.network.errors import AddressError

POOLS_ENV = "PYCOMPOSE_ADDRESS_POOLS"


@dataclass(frozen=True)
class AddressPool:
    """A range that new networks' subnets are carved from, `size` bits each."""

    base: ipaddress.IPv4Network
    size: int

    def subnets(self) -> Iterable[ipaddress.IPv4Network]:
        """Every subnet of the pool, lowest first."""
        return self.base.subnets(new_prefix=self.size)


DEFAULT_POOLS = (AddressPool(ipaddress.IPv4Network("10.89.0.0/16"), 24),)


def parse_pools(text: str) -> tuple[AddressPool, ...]:
    """Parse `10.89.0.0/16:24,172.30.0.0/16:26` (base CIDR, then the subnet size)."""
    pools: list[AddressPool] = []
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        base_text, _, size_text = item.partition(":")
        try:
            base = ipaddress.IPv4Network(base_text, strict=True)
        except ValueError as exc:
            raise AddressError(f"address pool {item!r}: {exc}") from exc
        size = int(size_text) if size_text.isdigit() else 24
        if not base.prefixlen <= size <= 30:
            raise AddressError(
                f"address pool {item!r}: subnet size /{size} must be between "
                f"/{base.prefixlen} and /30"
            )
        pools.append(AddressPool(base, size))
    if not pools:
        raise AddressError(f"no address pool in {text!r}")
    return tuple(pools)


def pools_from_environment() -> tuple[AddressPool, ...]:
    """The pools PYCOMPOSE_ADDRESS_POOLS names, else 10.89.0.0/16 in /24s."""
    text = os.environ.get(POOLS_ENV, "").strip()
    return parse_pools(text) if text else DEFAULT_POOLS


def parse_subnet(text: str) -> ipaddress.IPv4Network:
    """A subnet in CIDR form, host bits clear, with room for a gateway and a container."""
    try:
        subnet = ipaddress.IPv4Network(text, strict=True)
    except ValueError as exc:
        raise AddressError(f"invalid subnet {text!r}: {exc}") from exc
    if subnet.prefixlen > 30:
        raise AddressError(f"subnet {subnet} is too small: at most /30")
    return subnet


def first_overlap(
    subnet: ipaddress.IPv4Network, taken: Iterable[ipaddress.IPv4Network]
) -> ipaddress.IPv4Network | None:
    """The first of `taken` that overlaps `subnet`, or None."""
    for other in taken:
        if subnet.overlaps(other):
            return other
    return None


def choose_subnet(
    pools: Iterable[AddressPool], taken: Collection[ipaddress.IPv4Network]
) -> ipaddress.IPv4Network:
    """The lowest subnet of the pools that overlaps nothing in `taken`."""
    for pool in pools:
        for candidate in pool.subnets():
            if first_overlap(candidate, taken) is None:
                return candidate
    raise AddressError(
        "all address pools are used up by other networks and the host's routes; "
        "remove unused networks (network prune) or give a subnet explicitly"
    )


def choose_gateway(
    subnet: ipaddress.IPv4Network, requested: str | None = None
) -> ipaddress.IPv4Address:
    """The gateway asked for (checked to be a host of `subnet`), else the subnet's first host."""
    if not requested:
        return next(subnet.hosts())
    return check_host_address(subnet, requested, what="gateway")


def check_host_address(
    subnet: ipaddress.IPv4Network, text: str, *, what: str = "address"
) -> ipaddress.IPv4Address:
    """`text` as an address usable by a host of `subnet` (not the network or broadcast address)."""
    try:
        address = ipaddress.IPv4Address(text)
    except ValueError as exc:
        raise AddressError(f"invalid {what} {text!r}: not an IPv4 address") from exc
    if address not in subnet:
        raise AddressError(f"{what} {address} is not in the subnet {subnet}")
    if address in (subnet.network_address, subnet.broadcast_address):
        raise AddressError(f"{what} {address} is reserved in the subnet {subnet}")
    return address


def allocate_address(
    subnet: ipaddress.IPv4Network,
    gateway: ipaddress.IPv4Address,
    used: Collection[ipaddress.IPv4Address],
) -> ipaddress.IPv4Address:
    """The lowest free host address of `subnet` (the gateway and `used` are not free)."""
    for candidate in subnet.hosts():
        if candidate != gateway and candidate not in used:
            return candidate
    raise AddressError(f"no free address left in {subnet}")


def reserve_static(
    subnet: ipaddress.IPv4Network,
    gateway: ipaddress.IPv4Address,
    used: Collection[ipaddress.IPv4Address],
    requested: str,
) -> ipaddress.IPv4Address:
    """A static address: valid in `subnet`, not the gateway and not in use."""
    address = check_host_address(subnet, requested, what="ipv4_address")
    if address == gateway:
        raise AddressError(f"ipv4_address {address} is the gateway of {subnet}")
    if address in used:
        raise AddressError(f"ipv4_address {address} is already in use on {subnet}")
    return address
