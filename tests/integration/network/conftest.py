"""Fixtures for network tests: a store of its own, the LAN lab, and container stand-ins."""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from runtime.linux import netns
from runtime.network import Networks
from runtime.store import Store
from tests.support import netlab
from tests.support.netlab import Box


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[netlab.Lab]:
    before = netlab.kernel_state()
    mounts = netlab.mount_points()
    lab = netlab.Lab(tmp_path)
    try:
        yield lab
    finally:
        lab.close()
    assert netlab.kernel_state() == before
    assert netlab.mount_points() == mounts


@pytest.fixture
def networks(tmp_path: Path, lab: netlab.Lab) -> Iterator[Networks]:
    store = Store.open(tmp_path / "root")
    manager = Networks(store)
    yield manager
    lab.close()  # the containers' processes and pins go first, as a container engine would
    for endpoint in manager.endpoints():
        manager.forget(endpoint.container_id)
    for network in manager.all():
        manager.remove(network.name)
    assert manager.responder.pid() is None
    assert not os.path.exists(manager.responder.config_path)
    shutil.rmtree(store.layout.run_root)


@pytest.fixture
def make_box(lab: netlab.Lab, networks: Networks) -> Callable[..., Box]:
    counter = iter(range(1, 1000))

    def make(
        name: str,
        *nets: str,
        aliases: tuple[str, ...] = (),
        serve: bool = True,
        ipv4_address: str | None = None,
    ) -> Box:
        number = next(counter)
        container_id = hashlib.sha256(f"{name}/{number}".encode()).hexdigest()
        path = lab.adopt(netns.create(networks.namespace_path(f"box{number}")))
        endpoints = [
            networks.connect(
                net,
                str(path),
                container_id=container_id,
                container_name=name,
                hostname=name,
                aliases=aliases,
                ipv4_address=ipv4_address,
            )
            for net in nets
        ]
        if serve:
            lab.serve(path, name, udp=53)
        return Box(container_id, name, path, endpoints)

    return make
