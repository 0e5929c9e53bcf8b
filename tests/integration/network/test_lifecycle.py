"""Networks come and go without a trace: links, addresses, routes, rules, forwarding, processes."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from runtime.network import NetworkError, NetworkNotFound, Networks, parse_port_spec
from runtime.network.links import interface_sysctl
from tests.support import netlab
from tests.support.netlab import Box, run


def test_everything_goes_with_the_last_network(
    networks: Networks, lab: netlab.Lab, make_box: Callable[..., Box]
) -> None:
    assert interface_sysctl("lan0", "forwarding") == "0"
    front = networks.create("front", labels={"com.example.tier": "web"})
    networks.create("back", internal=True)
    web = make_box("web", "front", "back")
    networks.publish(web.id, parse_port_spec("8080:80"))
    assert interface_sysctl(front.bridge, "forwarding") == "1"
    assert interface_sysctl("lan0", "forwarding") == "1"
    assert "lan0" in run(["nft", "list", "set", "ip", networks.table, "guarded"]).stdout
    responder = networks.responder.pid()
    assert responder is not None

    with pytest.raises(NetworkError, match="has active endpoints \\(web\\)"):
        networks.remove("front")
    inspected = networks.inspect("front")
    assert inspected["Labels"] == {"com.example.tier": "web"}
    assert list(inspected["Containers"]) == [web.id]  # type: ignore[call-overload]

    networks.release(web.id)  # stopped: interfaces and rules go, addresses stay reserved
    assert "dport 8080" not in run(["nft", "list", "ruleset"]).stdout
    assert not [line for line in run(["ip", "-o", "link"]).stdout.splitlines() if "pcv" in line]
    assert networks.prune() == []  # a stopped container still uses its networks
    networks.forget(web.id)
    assert sorted(networks.prune()) == ["back", "front"]

    state = netlab.kernel_state()
    assert "pc-" not in state["links"]
    assert "10.89." not in state["addresses"] + state["routes"]
    assert state["rules"] == ""
    assert interface_sysctl("lan0", "forwarding") == "0"
    assert networks.responder.pid() is None
    assert not netlab.process_alive(responder)
    with pytest.raises(NetworkNotFound):
        networks.get("front")


def test_a_half_made_network_leaves_nothing(networks: Networks, lab: netlab.Lab) -> None:
    with pytest.raises(NetworkError, match="invalid network name"):
        networks.create("-bad")
    with pytest.raises(NetworkError, match="overlaps the host's route"):
        networks.create("clash", subnet="198.51.100.0/24")
    assert networks.all() == []
    assert run(["nft", "list", "ruleset"]).stdout == ""


def test_sync_remakes_bridges_and_rules(networks: Networks, make_box: Callable[..., Box]) -> None:
    network = networks.create("front")
    run(["nft", "delete", "table", "ip", networks.table])
    run(["ip", "link", "del", network.bridge])
    networks.sync()
    assert network.bridge in run(["ip", "-o", "link"]).stdout
    assert network.bridge in run(["nft", "list", "ruleset"]).stdout


def test_default_network_is_made_once(networks: Networks) -> None:
    first = networks.ensure_default()
    again = networks.ensure_default()
    assert first.id == again.id
    assert first.name == "bridge"
    networks.remove("bridge")
