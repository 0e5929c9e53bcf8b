"""Port specifications and the choice of host ports."""

from __future__ import annotations

import ipaddress

import pytest

from runtime.network.errors import PortError
from runtime.network.model import PortRequest, PublishedPort
from runtime.network.ports import choose_host_ports, parse_long_syntax, parse_port_spec


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("80", [PortRequest(80)]),
        ("8080:80", [PortRequest(80, "tcp", "", 8080)]),
        ("127.0.0.1:8080:80/udp", [PortRequest(80, "udp", "127.0.0.1", 8080)]),
        ("127.0.0.1::80", [PortRequest(80, "tcp", "127.0.0.1")]),
        ("0.0.0.0:81:80", [PortRequest(80, "tcp", "", 81)]),
        ("8000-8001:80-81", [PortRequest(80, "tcp", "", 8000), PortRequest(81, "tcp", "", 8001)]),
        ("8000-8010:80", [PortRequest(80, "tcp", "", 8000, 8010)]),
        ("53-54/udp", [PortRequest(53, "udp"), PortRequest(54, "udp")]),
    ],
)
def test_short_syntax(spec: str, expected: list[PortRequest]) -> None:
    assert parse_port_spec(spec) == expected


@pytest.mark.parametrize(
    "spec",
    ["", "x", "0", "70000", "80/sctp", "1.2.3:80:80", "8000-8002:80-81", "90-80", "[::1]:80:80"],
)
def test_bad_short_syntax(spec: str) -> None:
    with pytest.raises(PortError):
        parse_port_spec(spec)


def test_long_syntax() -> None:
    assert parse_long_syntax(80, "8080", "127.0.0.1", "tcp") == [
        PortRequest(80, "tcp", "127.0.0.1", 8080)
    ]
    assert parse_long_syntax(80, "9000-9009") == [PortRequest(80, "tcp", "", 9000, 9009)]
    assert parse_long_syntax(53, None, protocol="UDP") == [PortRequest(53, "udp")]


def _published(port: int, host_ip: str = "", protocol: str = "tcp") -> PublishedPort:
    return PublishedPort(
        "c" * 64, "n", protocol, host_ip, port, ipaddress.IPv4Address("10.89.0.2"), 80
    )


def test_host_ports_avoid_published_and_busy_ports() -> None:
    busy = {8081}

    def is_free(protocol: str, host_ip: str, port: int) -> bool:
        return port not in busy

    existing = [_published(8080), _published(9000, "127.0.0.1"), _published(53, protocol="udp")]
    chosen = choose_host_ports(
        [
            *parse_port_spec("8080-8083:80"),
            *parse_port_spec("10.0.0.1:9000:90"),
            *parse_port_spec("53:53"),
        ],
        existing,
        is_free=is_free,
    )
    assert [port for _, port in chosen] == [8082, 9000, 53]
    with pytest.raises(PortError, match="already published for container cccccccccccc"):
        choose_host_ports(parse_port_spec("9000:80"), existing, is_free=is_free)
    with pytest.raises(PortError, match="a program on the host is using it"):
        choose_host_ports(parse_port_spec("8081:80"), existing, is_free=is_free)
    with pytest.raises(PortError, match="asked for twice"):
        choose_host_ports(
            parse_port_spec("7000:80") + parse_port_spec("7000:81"), [], is_free=is_free
        )


def test_random_ports_skip_published_ones() -> None:
    offers = iter([8080, 8080, 40000])
    chosen = choose_host_ports(
        parse_port_spec("80"), [_published(8080)], pick_free=lambda protocol, host_ip: next(offers)
    )
    assert chosen[0][1] == 40000
