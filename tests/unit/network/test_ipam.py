"""Address pools, subnets, gateways and addresses."""

from __future__ import annotations

import ipaddress

import pytest

from runtime.network import ipam
from runtime.network.errors import AddressError

Net = ipaddress.IPv4Network
Addr = ipaddress.IPv4Address


def test_subnets_are_carved_in_order_around_what_is_taken() -> None:
    taken = [Net("10.89.0.0/24"), Net("10.89.1.128/25"), Net("10.89.2.0/23")]
    assert ipam.choose_subnet(ipam.DEFAULT_POOLS, taken) == Net("10.89.4.0/24")
    assert ipam.choose_subnet(ipam.DEFAULT_POOLS, []) == Net("10.89.0.0/24")


def test_a_host_route_covering_the_pool_moves_to_the_next_pool() -> None:
    pools = ipam.parse_pools("10.89.0.0/16:24, 172.30.0.0/16:26")
    assert ipam.choose_subnet(pools, [Net("10.0.0.0/8")]) == Net("172.30.0.0/26")
    with pytest.raises(AddressError, match="used up"):
        ipam.choose_subnet(pools, [Net("0.0.0.0/1"), Net("128.0.0.0/1")])


def test_pools_parse_and_validate(monkeypatch: pytest.MonkeyPatch) -> None:
    assert ipam.parse_pools("192.168.100.0/22") == (ipam.AddressPool(Net("192.168.100.0/22"), 24),)
    with pytest.raises(AddressError):
        ipam.parse_pools("10.89.0.1/16:24")
    with pytest.raises(AddressError, match="between"):
        ipam.parse_pools("10.89.0.0/16:8")
    monkeypatch.setenv(ipam.POOLS_ENV, "10.200.0.0/16:28")
    assert ipam.pools_from_environment()[0].size == 28


def test_gateways_and_addresses() -> None:
    subnet = Net("10.89.3.0/24")
    assert ipam.choose_gateway(subnet) == Addr("10.89.3.1")
    assert ipam.choose_gateway(subnet, "10.89.3.254") == Addr("10.89.3.254")
    with pytest.raises(AddressError, match="not in the subnet"):
        ipam.choose_gateway(subnet, "10.89.4.1")
    with pytest.raises(AddressError, match="reserved"):
        ipam.choose_gateway(subnet, "10.89.3.255")
    used = {Addr("10.89.3.2"), Addr("10.89.3.3")}
    assert ipam.allocate_address(subnet, Addr("10.89.3.1"), used) == Addr("10.89.3.4")
    assert ipam.reserve_static(subnet, Addr("10.89.3.1"), used, "10.89.3.9") == Addr("10.89.3.9")
    with pytest.raises(AddressError, match="gateway"):
        ipam.reserve_static(subnet, Addr("10.89.3.1"), used, "10.89.3.1")
    with pytest.raises(AddressError, match="in use"):
        ipam.reserve_static(subnet, Addr("10.89.3.1"), used, "10.89.3.2")
    tiny = Net("10.89.9.0/30")
    with pytest.raises(AddressError, match="no free address"):
        ipam.allocate_address(tiny, Addr("10.89.9.1"), {Addr("10.89.9.2")})
    with pytest.raises(AddressError, match="too small"):
        ipam.parse_subnet("10.89.9.0/31")
