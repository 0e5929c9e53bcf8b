"""Name resolution: names and aliases on shared networks, scaled services, other names."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from runtime.linux import syscalls
from runtime.network import Networks, ResolverOptions
from tests.support import netlab
from tests.support.netlab import Box, resolve


def _resolve(
    networks: Networks, box: Box, name: str, tmp_path: Path, **options: object
) -> list[str]:
    files = networks.resolver_files(box.id, ResolverOptions(hostname=box.name, **options))  # type: ignore[arg-type]
    return resolve(box.netns, name, files.resolv_conf, tmp_path)


def test_names_and_aliases_resolve_on_a_shared_network(
    networks: Networks, make_box: Callable[..., Box], tmp_path: Path
) -> None:
    networks.create("back")
    networks.create("elsewhere")
    db = make_box("app-db-1", "back", aliases=("db", "database"), serve=False)
    web = make_box("app-web-1", "back", aliases=("web",), serve=False)
    stranger = make_box("stranger", "elsewhere", serve=False)

    for name in ("db", "database", "app-db-1", db.id[:12]):
        assert _resolve(networks, web, name, tmp_path) == [db.address], name
    # Not on a shared network: not visible.
    assert _resolve(networks, stranger, "db", tmp_path) == []
    # Its own hosts file names the container itself.
    files = networks.resolver_files(web.id, ResolverOptions(hostname="app-web-1"))
    assert f"{web.address}\tapp-web-1" in files.hosts


def test_a_scaled_service_resolves_to_every_replica_and_follows_changes(
    networks: Networks, make_box: Callable[..., Box], tmp_path: Path
) -> None:
    networks.create("back")
    client = make_box("client", "back", serve=False)
    replicas = [make_box(f"app-api-{n}", "back", aliases=("api",), serve=False) for n in (1, 2, 3)]
    assert _resolve(networks, client, "api", tmp_path) == sorted(r.address for r in replicas)

    # Scale down: the removed replica disappears without touching the others.
    networks.forget(replicas[2].id)
    assert _resolve(networks, client, "api", tmp_path) == sorted(r.address for r in replicas[:2])
    # Recreate replica 1 as a new container with the same name: the name follows.
    networks.forget(replicas[0].id)
    renewed = make_box("app-api-1", "back", aliases=("api",), serve=False)
    assert _resolve(networks, client, "app-api-1", tmp_path) == [renewed.address]
    assert _resolve(networks, client, "api", tmp_path) == sorted(
        [renewed.address, replicas[1].address]
    )
    # A stopped container's names go; it gets its address back when it starts again.
    address = replicas[1].address
    networks.release(replicas[1].id)
    assert _resolve(networks, client, "app-api-2", tmp_path) == []
    again = networks.connect(
        "back", str(replicas[1].netns), container_id=replicas[1].id, container_name="app-api-2"
    )
    assert str(again.address) == address
    assert _resolve(networks, client, "app-api-2", tmp_path) == [address]


@pytest.fixture
def host_resolver(tmp_path: Path) -> Iterator[None]:
    """The host's resolv.conf names the LAN's resolver (in this test's mount namespace only)."""
    conf = tmp_path / "host-resolv.conf"
    conf.write_text(f"nameserver {netlab.OTHER_ADDRESS}\n")
    syscalls.mount(str(conf), "/etc/resolv.conf", None, syscalls.MS_BIND)
    try:
        yield
    finally:
        syscalls.umount("/etc/resolv.conf")


def test_other_names_go_to_the_host_resolvers(
    host_resolver: None,
    networks: Networks,
    lab: netlab.Lab,
    make_box: Callable[..., Box],
    tmp_path: Path,
) -> None:
    lab.serve_dns({"example.test": ["192.0.2.7"]})
    networks.create("front")
    networks.create("secret", internal=True)
    web = make_box("web", "front", serve=False)
    hidden = make_box("hidden", "secret", serve=False)
    assert _resolve(networks, web, "example.test", tmp_path) == ["192.0.2.7"]
    # Internal networks resolve their own names and nothing else.
    assert _resolve(networks, hidden, "hidden", tmp_path) == [hidden.address]
    assert _resolve(networks, hidden, "example.test", tmp_path) == []


def test_a_containers_own_dns_servers_search_and_options(
    networks: Networks, lab: netlab.Lab, make_box: Callable[..., Box], tmp_path: Path
) -> None:
    lab.serve_dns({"db.corp.test": ["192.0.2.9"]})
    networks.create("front")
    web = make_box("web", "front", serve=False)
    options = {
        "dns": (netlab.OTHER_ADDRESS,),
        "dns_search": ("corp.test",),
        "dns_options": ("ndots:1", "timeout:2"),
        "extra_hosts": (("legacy", "192.0.2.50"), ("host.docker.internal", "host-gateway")),
    }
    # The search domain completes a short name the LAN resolver knows.
    assert _resolve(networks, web, "db", tmp_path, **options) == ["192.0.2.9"]
    files = networks.resolver_files(web.id, ResolverOptions(hostname="web", **options))  # type: ignore[arg-type]
    assert "search corp.test" in files.resolv_conf
    assert "options ndots:1 timeout:2" in files.resolv_conf
    assert f"nameserver {web.endpoints[0].gateway}" in files.resolv_conf
    assert "192.0.2.50\tlegacy" in files.hosts
    assert f"{web.endpoints[0].gateway}\thost.docker.internal" in files.hosts
