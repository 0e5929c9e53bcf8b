"""The nftables ruleset rendered from networks and published ports."""

from __future__ import annotations

import ipaddress

import pytest

from runtime.network import nftables
from runtime.network.errors import NetworkError

FRONT = nftables.BridgeRule("pc-front", ipaddress.IPv4Network("10.89.0.0/24"), internal=False)
SECRET = nftables.BridgeRule("pc-secret", ipaddress.IPv4Network("10.89.1.0/24"), internal=True)


def _rules(script: str, chain: str) -> list[str]:
    body = script.split(f"\tchain {chain} {{\n", 1)[1].split("\t}", 1)[0]
    return [line.strip() for line in body.splitlines() if line.strip()]


def test_no_networks_deletes_the_table() -> None:
    assert nftables.render("pycompose-1", [], []) == (
        "table ip pycompose-1\ndelete table ip pycompose-1\n"
    )


def test_published_ports_become_dnat_rules_for_local_addresses() -> None:
    ports = [
        nftables.PortRule("udp", "", 5353, ipaddress.IPv4Address("10.89.0.2"), 53),
        nftables.PortRule("tcp", "127.0.0.1", 8080, ipaddress.IPv4Address("10.89.0.3"), 80),
    ]
    script = nftables.render("pycompose", [FRONT], ports)
    assert script.startswith("table ip pycompose\ndelete table ip pycompose\ntable ip pycompose {")
    assert _rules(script, "published") == [
        "udp dport 5353 dnat to 10.89.0.2:53",
        "ip daddr 127.0.0.1 tcp dport 8080 dnat to 10.89.0.3:80",
    ]
    assert "fib daddr type local jump published" in _rules(script, "prerouting")
    assert "fib daddr type local jump published" in _rules(script, "output")


def test_masquerade_isolation_and_internal_networks() -> None:
    script = nftables.render("pycompose", [FRONT, SECRET], [], guarded=["eth0"])
    postrouting = _rules(script, "postrouting")
    assert 'ip saddr 10.89.0.0/24 oifname != "pc-front" masquerade' in postrouting
    assert not [rule for rule in postrouting if "10.89.1.0/24 oifname !=" in rule]
    assert "ip saddr 127.0.0.0/8 oifname @bridges masquerade" in postrouting
    assert 'ct status dnat ip saddr 10.89.1.0/24 oifname "pc-secret" masquerade' in postrouting
    forward = _rules(script, "forward")
    # Internal drops come before anything is accepted.
    assert forward.index('iifname "pc-secret" oifname != "pc-secret" drop') < forward.index(
        "ct state established,related accept"
    )
    assert 'iifname "pc-front" oifname @bridges oifname != "pc-front" drop' in forward
    assert forward[-1] == 'iifname @guarded oifname != "pc-*" drop'
    assert 'elements = { "eth0" }' in script
    assert "iifname @bridges ip daddr 127.0.0.0/8 drop" in _rules(script, "loopback_guard")


def test_names_are_checked() -> None:
    with pytest.raises(NetworkError):
        nftables.render('x"; flush ruleset', [FRONT], [])
    with pytest.raises(NetworkError):
        nftables.render("pycompose", [nftables.BridgeRule('a"b', FRONT.subnet, False)], [])
