"""Egress through masquerade, internal networks, isolation, addresses and MTU."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from runtime.network import AddressError, NetworkError, Networks
from tests.support import netlab
from tests.support.netlab import HOST_ADDRESS, OTHER_ADDRESS, Box, http_get, run


def test_ordinary_networks_reach_other_hosts_through_masquerade(
    networks: Networks, lab: netlab.Lab, make_box: Callable[..., Box]
) -> None:
    lab.serve(lab.lan, "lan-server")
    networks.create("front")
    web = make_box("web", "front", serve=False)
    # The other host sees the host's address: the container's was masqueraded.
    assert http_get(f"http://{OTHER_ADDRESS}/", web.netns) == f"lan-server {HOST_ADDRESS}\n"


def test_internal_networks_have_no_egress(
    networks: Networks, lab: netlab.Lab, make_box: Callable[..., Box]
) -> None:
    lab.serve(lab.lan, "lan-server")
    networks.create("secret", internal=True)
    hidden = make_box("hidden", "secret", serve=False)
    peer = make_box("peer", "secret")
    assert http_get(f"http://{OTHER_ADDRESS}/", hidden.netns, timeout=1) is None
    # Not even through a route of its own making.
    run(
        netlab.in_netns(
            hidden.netns, ["ip", "route", "add", "default", "via", str(hidden.endpoints[0].gateway)]
        )
    )
    assert http_get(f"http://{OTHER_ADDRESS}/", hidden.netns, timeout=1) is None
    # Neighbours on the same internal network still talk.
    assert http_get(f"http://{peer.address}/", hidden.netns) == f"peer {hidden.address}\n"


def test_networks_are_isolated_and_multi_homed_containers_bridge_them(
    networks: Networks, make_box: Callable[..., Box]
) -> None:
    networks.create("one")
    networks.create("two")
    first = make_box("first", "one")
    second = make_box("second", "two")
    both = make_box("both", "one", "two", serve=False)
    assert http_get(f"http://{second.address}/", first.netns, timeout=1) is None
    assert http_get(f"http://{first.address}/", both.netns) is not None
    assert http_get(f"http://{second.address}/", both.netns) is not None
    assert [e.ifname for e in both.endpoints] == ["eth0", "eth1"]


def test_static_addresses_subnets_and_gateways(
    networks: Networks, make_box: Callable[..., Box]
) -> None:
    network = networks.create("fixed", subnet="172.31.5.0/24", gateway="172.31.5.254")
    assert str(network.gateway) == "172.31.5.254"
    box = make_box("fixed-1", "fixed", ipv4_address="172.31.5.10", serve=False)
    assert box.address == "172.31.5.10"
    with pytest.raises(AddressError, match="already in use"):
        make_box("fixed-2", "fixed", ipv4_address="172.31.5.10", serve=False)
    with pytest.raises(AddressError, match="not in the subnet"):
        make_box("fixed-3", "fixed", ipv4_address="10.1.1.1", serve=False)
    with pytest.raises(NetworkError, match="overlaps the subnet"):
        networks.create("clash", subnet="172.31.0.0/16")
    # Automatic subnets skip the host's own routes.
    routes = run(["ip", "-o", "route"]).stdout
    assert "198.51.100.0/24" in routes
    with pytest.raises(NetworkError, match="overlaps the host's route"):
        networks.create("lanlike", subnet="198.51.100.0/25")


def test_automatic_subnets_avoid_host_routes(networks: Networks, lab: netlab.Lab) -> None:
    run(["ip", "route", "add", "10.89.0.0/23", "via", OTHER_ADDRESS])
    try:
        network = networks.create("auto")
    finally:
        run(["ip", "route", "del", "10.89.0.0/23", "via", OTHER_ADDRESS])
    assert str(network.subnet) == "10.89.2.0/24"


def test_mtu_follows_the_uplink(
    networks: Networks, lab: netlab.Lab, make_box: Callable[..., Box]
) -> None:
    run(["ip", "link", "set", "lan0", "mtu", "1400"])
    run(["ip", "route", "add", "default", "via", OTHER_ADDRESS])
    try:
        networks.create("front")
        box = make_box("mtu", "front", serve=False)
        inside = run(netlab.in_netns(box.netns, ["ip", "-o", "link", "show", "eth0"])).stdout
    finally:
        run(["ip", "route", "del", "default"])
        run(["ip", "link", "set", "lan0", "mtu", "1500"])
    assert "mtu 1400" in inside


def test_disconnect_takes_one_network_away_and_keeps_the_route_out(
    networks: Networks, lab: netlab.Lab, make_box: Callable[..., Box]
) -> None:
    lab.serve(lab.lan, "lan-server")
    networks.create("one")
    networks.create("two")
    networks.create("secret", internal=True)
    box = make_box("multi", "one", "two", "secret", serve=False)
    networks.disconnect("one", box.id)
    inside = run(netlab.in_netns(box.netns, ["ip", "-o", "addr"])).stdout
    assert box.address not in inside
    assert str(box.endpoints[1].address) in inside
    # The default route moved to the other non-internal network.
    assert http_get(f"http://{OTHER_ADDRESS}/", box.netns) == f"lan-server {HOST_ADDRESS}\n"
    assert [e.network_id for e in networks.endpoints(container_id=box.id)] == [
        box.endpoints[1].network_id,
        box.endpoints[2].network_id,
    ]
    with pytest.raises(NetworkError, match="is not on network one"):
        networks.disconnect("one", box.id)
    # Ports are published from bridge networks with egress only.
    only_secret = make_box("hidden", "secret", serve=False)
    with pytest.raises(NetworkError, match="no non-internal network"):
        networks.publish(only_secret.id, [])
