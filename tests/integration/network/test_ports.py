"""Published ports through kernel NAT: from the host, from another host, from containers."""

from __future__ import annotations

import socket
from collections.abc import Callable

import pytest

from runtime.network import Networks, PortError, parse_port_spec
from tests.support import netlab
from tests.support.netlab import HOST_ADDRESS, Box, http_get, udp_ask


def test_published_port_answers_from_everywhere(
    networks: Networks, lab: netlab.Lab, make_box: Callable[..., Box]
) -> None:
    networks.create("front")
    web = make_box("web", "front")
    client = make_box("client", "front", serve=False)
    published = networks.publish(web.id, parse_port_spec("8080:80"))
    assert [p.describe() for p in published] == ["0.0.0.0:8080->80/tcp"]

    # The host's loopback and the host's own address.
    assert http_get("http://127.0.0.1:8080/") is not None
    assert http_get(f"http://{HOST_ADDRESS}:8080/") is not None
    # Another host on the LAN: the container sees that host's address (no proxy in between).
    assert http_get(f"http://{HOST_ADDRESS}:8080/", lab.lan) == f"web {netlab.OTHER_ADDRESS}\n"
    # Hairpin: a container on the same network through the host's address.
    assert (http_get(f"http://{HOST_ADDRESS}:8080/", client.netns) or "").startswith("web ")


def test_port_forms(networks: Networks, lab: netlab.Lab, make_box: Callable[..., Box]) -> None:
    networks.create("front")
    web = make_box("web", "front")
    requests = [
        *parse_port_spec("127.0.0.1:8081:80"),
        *parse_port_spec("5353:53/udp"),
        *parse_port_spec("80"),
        *parse_port_spec("9000-9001:80-81"),
        *parse_port_spec("9100-9110:80"),
    ]
    published = networks.publish(web.id, requests)
    by_rule = {(p.host_ip, p.container_port, p.protocol): p.host_port for p in published}
    assert by_rule[("127.0.0.1", 80, "tcp")] == 8081
    assert by_rule[("", 53, "udp")] == 5353
    assert by_rule[("", 81, "tcp")] == 9001
    random_port = next(
        p.host_port for p in published if p.host_port not in (8081, 5353, 9000, 9001, 9100)
    )
    assert random_port >= 1024
    assert [p.host_port for p in published if p.host_port == 9100]

    assert http_get("http://127.0.0.1:8081/") is not None
    # Bound to 127.0.0.1 only: not on the host's LAN address.
    assert http_get(f"http://{HOST_ADDRESS}:8081/", timeout=1) is None
    assert udp_ask(HOST_ADDRESS, 5353, lab.lan) == f"web {netlab.OTHER_ADDRESS}"
    assert http_get(f"http://127.0.0.1:{random_port}/") is not None
    assert http_get(f"http://{HOST_ADDRESS}:9100/", lab.lan) is not None


def test_taken_ports_are_refused_before_anything_changes(
    networks: Networks, make_box: Callable[..., Box]
) -> None:
    networks.create("front")
    first = make_box("first", "front")
    second = make_box("second", "front")
    networks.publish(first.id, parse_port_spec("8080:80"))
    rules = netlab.kernel_state()["rules"]

    with pytest.raises(PortError, match="8080/tcp -> 80: port is already allocated"):
        networks.publish(second.id, parse_port_spec("8082:80") + parse_port_spec("8080:80"))
    with socket.socket() as listener:
        listener.bind(("0.0.0.0", 8090))
        listener.listen()
        with pytest.raises(PortError, match="a program on the host is using it"):
            networks.publish(second.id, parse_port_spec("8090:80"))
    assert networks.published_ports(second.id) == []
    # A published port is held: no program on the host can bind it afterwards.
    with socket.socket() as late, pytest.raises(OSError, match="in use"):
        late.bind(("0.0.0.0", 8080))
    assert netlab.kernel_state()["rules"] == rules
    # A range falls back to the next free port.
    published = networks.publish(second.id, parse_port_spec("8080-8085:80"))
    assert published[0].host_port == 8081


def test_unpublish_and_stop_remove_the_rules(
    networks: Networks, make_box: Callable[..., Box]
) -> None:
    networks.create("front")
    web = make_box("web", "front")
    networks.publish(web.id, parse_port_spec("8080:80"))
    assert http_get("http://127.0.0.1:8080/") is not None
    # Publishing again (a restart) may reuse the ports it holds.
    networks.publish(web.id, parse_port_spec("8080:80"))
    networks.unpublish(web.id)
    assert http_get("http://127.0.0.1:8080/", timeout=1) is None
    with socket.socket() as host_program:
        host_program.bind(("0.0.0.0", 8080))
    assert "dport 8080" not in netlab.kernel_state()["rules"]
