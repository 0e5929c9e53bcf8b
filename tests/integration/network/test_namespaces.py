"""Pinned network namespaces: no network, joining another's, surviving the owner's recreation."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path

from runtime.linux import netns
from runtime.network import Networks, ResolverOptions, isolated_resolver_files, parse_port_spec
from tests.support import netlab
from tests.support.netlab import Box, http_get, resolve, run


def test_a_pinned_namespace_has_loopback_only_and_outlives_its_processes(tmp_path: Path) -> None:
    pin = netns.create(tmp_path / "none")
    try:
        assert netns.is_pinned(pin)
        links = run(netlab.in_netns(pin, ["ip", "-o", "link"])).stdout
        assert [line.split(":")[1].strip() for line in links.splitlines()] == ["lo"]
        assert (
            run(netlab.in_netns(pin, ["ip", "-o", "addr", "show", "lo"])).stdout.count("127.0.0.1")
            == 1
        )
        here = os.stat("/proc/thread-self/ns/net").st_ino
        with netns.entered(pin):
            assert os.stat("/proc/thread-self/ns/net").st_ino == os.stat(pin).st_ino
        assert os.stat("/proc/thread-self/ns/net").st_ino == here
        files = isolated_resolver_files(ResolverOptions(hostname="lonely"))
        assert files.hosts.startswith("127.0.0.1\tlocalhost")
    finally:
        netns.remove(pin)
    assert not pin.exists()
    assert not netns.is_pinned(pin)


def test_a_joined_namespace_keeps_working_when_its_owner_is_recreated(
    networks: Networks, lab: netlab.Lab, make_box: Callable[..., Box], tmp_path: Path
) -> None:
    networks.create("front")
    owner = make_box("app-x-1", "front", aliases=("x",), serve=False)
    owner_process = lab.serve(owner.netns, "x-old")
    # network_mode: service:x — the joiner runs in the owner's namespace.
    joiner = lab.serve(owner.netns, "y", tcp=81)
    joined = f"/proc/{joiner.popen.pid}/ns/net"
    assert netns.same_namespace(joined, owner.netns)
    assert str(owner.address) in run(netlab.in_netns(joined, ["ip", "-o", "addr"])).stdout
    client = make_box("client", "front", serve=False)
    networks.publish(owner.id, parse_port_spec("8080:80") + parse_port_spec("8081:81"))

    # The owner is recreated: its process goes, a new container adopts the pinned namespace.
    owner_process.stop()
    networks.unpublish(owner.id)
    new_id = hashlib.sha256(b"app-x-1 recreated").hexdigest()
    endpoint = networks.connect(
        "front", str(owner.netns), container_id=new_id, container_name="app-x-1", aliases=("x",)
    )
    networks.forget(owner.id)
    assert endpoint.address == owner.endpoints[0].address
    assert endpoint.host_ifname == owner.endpoints[0].host_ifname
    lab.serve(owner.netns, "x-new")
    networks.publish(new_id, parse_port_spec("8080:80") + parse_port_spec("8081:81"))

    # The joiner never restarted, and is reachable as before: by name, by address, by port.
    files = networks.resolver_files(client.id, ResolverOptions(hostname="client"))
    assert resolve(client.netns, "x", files.resolv_conf, tmp_path) == [owner.address]
    assert http_get(f"http://{owner.address}:81/", client.netns) == f"y {client.address}\n"
    assert http_get("http://127.0.0.1:8081/") is not None
    assert (http_get("http://127.0.0.1:8080/") or "").startswith("x-new ")
    assert joiner.popen.poll() is None
    # And from the shared namespace, the joiner's side still reaches the others.
    lab.serve(client.netns, "client")
    assert http_get(f"http://{client.address}/", joined) == f"client {owner.address}\n"
