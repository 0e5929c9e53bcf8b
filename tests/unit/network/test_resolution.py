"""Name resolution data: the responder's view, its answers, and the files containers read."""

from __future__ import annotations

import ipaddress
import json
import struct
from pathlib import Path

import pytest

from runtime.network import dns_server, resolver_files
from runtime.network.errors import NetworkError
from runtime.network.model import Endpoint, Network, PublishedPort, ResolverOptions
from runtime.network.responder import render_config

FRONT = Network(
    "f" * 64,
    "front",
    "pc-front",
    ipaddress.IPv4Network("10.89.0.0/24"),
    ipaddress.IPv4Address("10.89.0.1"),
)
SECRET = Network(
    "5" * 64,
    "secret",
    "pc-secret",
    ipaddress.IPv4Network("10.89.1.0/24"),
    ipaddress.IPv4Address("10.89.1.1"),
    internal=True,
)


def _endpoint(
    network: Network, container: str, address: str, *aliases: str, active: bool = True
) -> Endpoint:
    return Endpoint(
        network_id=network.id,
        container_id=container * 64,
        container_name=f"app-{container}",
        netns="/run/x",
        host_ifname="pcv0",
        ifname="eth0",
        address=ipaddress.IPv4Address(address),
        prefixlen=24,
        gateway=network.gateway,
        mac="02:00:00:00:00:01",
        hostname=f"host-{container}",
        aliases=aliases,
        active=active,
    )


ENDPOINTS = [
    _endpoint(FRONT, "a", "10.89.0.2", "api"),
    _endpoint(FRONT, "b", "10.89.0.3", "api", "API"),
    _endpoint(SECRET, "b", "10.89.1.2", "vault"),
    _endpoint(SECRET, "c", "10.89.1.3"),
    _endpoint(FRONT, "d", "10.89.0.9", "api", active=False),
]


def test_config_views_per_network_and_clients_per_address() -> None:
    held = PublishedPort("a" * 64, FRONT.id, "udp", "127.0.0.1", 5353, ENDPOINTS[0].address, 53)
    config = render_config(
        [FRONT, SECRET], ENDPOINTS, {"b" * 64: ["192.0.2.53"]}, ["192.0.2.1"], [held]
    )
    assert config["listen"] == ["10.89.0.1", "10.89.1.1"]
    assert config["reserve"] == [{"protocol": "udp", "address": "127.0.0.1", "port": 5353}]
    front = config["views"][FRONT.id]["names"]
    assert front["api"] == ["10.89.0.2", "10.89.0.3"]  # the stopped replica is left out
    assert front["app-a"] == ["10.89.0.2"] and front["host-a"] == ["10.89.0.2"]
    assert front["a" * 12] == ["10.89.0.2"]
    assert config["views"][FRONT.id]["reverse"]["10.89.0.3"] == "app-b"
    # b is on both networks: from either of its addresses it sees both.
    assert config["clients"]["10.89.0.3"] == {
        "views": [FRONT.id, SECRET.id],
        "upstreams": ["192.0.2.53"],
        "forward": True,
    }
    # c is on an internal network only: nothing is forwarded for it.
    assert config["clients"]["10.89.1.3"]["forward"] is False


def _query(name: str, qtype: int = dns_server.TYPE_A, ident: int = 0x1234) -> bytes:
    question = b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\0"
    return (
        struct.pack("!HHHHHH", ident, 0x0100, 1, 0, 0, 0) + question + struct.pack("!HH", qtype, 1)
    )


def _answers(reply: bytes) -> tuple[int, list[bytes]]:
    flags, _, ancount = struct.unpack("!HHH", reply[2:8])
    offset = reply.index(b"\0", 12) + 5
    records = []
    for _ in range(ancount):
        length = struct.unpack("!H", reply[offset + 10 : offset + 12])[0]
        records.append(reply[offset + 12 : offset + 12 + length])
        offset += 12 + length
    return flags & 0xF, records


@pytest.fixture
def responder(tmp_path: Path) -> dns_server.Responder:
    path = tmp_path / "dns.json"
    path.write_text(json.dumps(render_config([FRONT, SECRET], ENDPOINTS, {}, ["192.0.2.1"])))
    return dns_server.Responder(str(path))


def test_answers_come_from_the_clients_networks(responder: dns_server.Responder) -> None:
    reply = responder.answer(_query("API"), "10.89.0.2")
    assert reply is not None and reply[:2] == b"\x12\x34"
    rcode, records = _answers(reply)
    assert rcode == 0
    assert sorted(ipaddress.IPv4Address(r) for r in records) == [
        ipaddress.IPv4Address("10.89.0.2"),
        ipaddress.IPv4Address("10.89.0.3"),
    ]
    # vault is on a network a is not on: forwarded (None), not answered.
    assert responder.answer(_query("vault"), "10.89.0.2") is None
    # c is on an internal network only: refused instead of forwarded.
    rcode, _ = _answers(responder.answer(_query("example.com"), "10.89.1.3") or b"")
    assert rcode == dns_server.RCODE_REFUSED
    rcode, records = _answers(
        responder.answer(_query("api", dns_server.TYPE_AAAA), "10.89.0.2") or b""
    )
    assert (rcode, records) == (0, [])
    _, records = _answers(
        responder.answer(_query("3.0.89.10.in-addr.arpa", dns_server.TYPE_PTR), "10.89.0.2") or b""
    )
    assert records == [b"\x05app-b\x00"]
    assert responder.upstreams("10.89.0.2") == ["192.0.2.1"]


def test_changes_are_seen_without_a_signal(responder: dns_server.Responder, tmp_path: Path) -> None:
    config = render_config([FRONT], ENDPOINTS[:1], {}, [])
    (tmp_path / "next.json").write_text(json.dumps(config))
    (tmp_path / "next.json").replace(tmp_path / "dns.json")
    _, records = _answers(responder.answer(_query("api"), "10.89.0.2") or b"")
    assert records == [ipaddress.IPv4Address("10.89.0.2").packed]


def test_malformed_queries_get_formerr(responder: dns_server.Responder) -> None:
    assert responder.answer(b"\x00\x01", "10.89.0.2") is None
    reply = responder.answer(b"\x00\x01\x01\x00\x00\x02" + b"\0" * 6, "10.89.0.2")
    assert reply is not None and reply[3] & 0xF == dns_server.RCODE_FORMERR


def test_bridge_files() -> None:
    options = ResolverOptions(
        hostname="web",
        domainname="example.org",
        dns_search=("corp.test",),
        dns_options=("ndots:2",),
        extra_hosts=(("db.legacy", "192.0.2.5"), ("host.docker.internal", "host-gateway")),
    )
    conf = resolver_files.bridge_resolv_conf(
        ipaddress.IPv4Address("10.89.0.1"), options, "search lan\nnameserver 192.0.2.1\n"
    )
    assert conf.splitlines()[1:] == ["nameserver 10.89.0.1", "search corp.test", "options ndots:2"]
    hosts = resolver_files.render_hosts(
        options, ipaddress.IPv4Address("10.89.0.2"), ipaddress.IPv4Address("10.89.0.1")
    )
    assert "10.89.0.2\tweb.example.org\tweb" in hosts
    assert hosts.endswith("192.0.2.5\tdb.legacy\n10.89.0.1\thost.docker.internal\n")
    with pytest.raises(NetworkError, match="invalid address"):
        resolver_files.render_hosts(ResolverOptions(extra_hosts=(("x", "nope"),)), None)


def test_host_and_none_files() -> None:
    host_conf = "nameserver 192.0.2.1\nnameserver fe80::1%eth0\nsearch lan\noptions edns0\n"
    assert resolver_files.nameservers(host_conf) == ["192.0.2.1", "fe80::1"]
    passthrough = resolver_files.passthrough_resolv_conf(
        ResolverOptions(dns=("192.0.2.9",)), host_conf
    )
    assert "nameserver 192.0.2.9" in passthrough and "192.0.2.1" not in passthrough
    assert "search lan" in passthrough and "options edns0" in passthrough
    hosts = resolver_files.host_mode_hosts(
        ResolverOptions(extra_hosts=(("extra", "192.0.2.8"),)), "127.0.0.1 localhost\n"
    )
    assert hosts == "127.0.0.1 localhost\n192.0.2.8\textra\n"
    with pytest.raises(NetworkError, match="host-gateway"):
        resolver_files.host_mode_hosts(ResolverOptions(extra_hosts=(("h", "host-gateway"),)), "")
