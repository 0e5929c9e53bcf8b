"""Endpoints: a container's veth on a network, its address, and its default route.

These functions do the kernel work and the bookkeeping for one endpoint; the
caller (runtime.network.networks.Networks) holds the network lock and brings
the nftables table and the DNS responder up to date afterwards.
"""

from __future__ import annotations

import hashlib
import ipaddress
import os
import secrets
from collections.abc import Sequence
from dataclasses import replace

from runtime.errors import EngineError
from runtime.linux import netns
from runtime.network import ipam, links
from runtime.network.errors import NetworkError
from runtime.network.forwarding import VETH_PREFIX
from runtime.network.model import Endpoint, Network
from runtime.network.records import NetworkRecords


def host_ifname(network_id: str, container_id: str) -> str:
    """The host end of a container's veth on a network: `pcv` and 11 hex digits (stable)."""
    digest = hashlib.sha256(f"{network_id}/{container_id}".encode()).hexdigest()
    return VETH_PREFIX + digest[:11]


def random_mac() -> str:
    """A random, locally administered, unicast MAC address."""
    raw = bytearray(secrets.token_bytes(6))
    raw[0] = (raw[0] & 0xFC) | 0x02
    return ":".join(f"{byte:02x}" for byte in raw)


def bridge_mac(network_id: str) -> str:
    """A stable MAC for a network's bridge, so it does not change as ports come and go."""
    raw = bytearray(bytes.fromhex(network_id[:12]))
    raw[0] = (raw[0] & 0xFC) | 0x02
    return ":".join(f"{byte:02x}" for byte in raw)


def _same_namespace(first: str, second: str) -> bool:
    if first == second:
        return True
    try:
        return netns.same_namespace(first, second)
    except OSError:
        return False


def _is_live(endpoint: Endpoint) -> bool:
    return (
        endpoint.active
        and os.path.exists(endpoint.netns)
        and links.link_exists(endpoint.host_ifname)
    )


def find_adoptable(
    records: NetworkRecords, network: Network, netns_path: str, container_id: str
) -> Endpoint | None:
    """An active endpoint of another container in the same namespace on `network`."""
    for endpoint in records.endpoints(network_id=network.id, active_only=True):
        if endpoint.container_id != container_id and _same_namespace(endpoint.netns, netns_path):
            return endpoint if _is_live(endpoint) else None
    return None


def choose_address(
    records: NetworkRecords,
    network: Network,
    container_id: str,
    previous: Endpoint | None,
    requested: str | None,
) -> ipaddress.IPv4Address:
    """A static address if asked, else the one the container had, else the lowest free one."""
    used = records.used_addresses(network.id)
    if previous is not None:
        used.discard(previous.address)
    if requested:
        return ipam.reserve_static(network.subnet, network.gateway, used, requested)
    if previous is not None:
        return previous.address
    return ipam.allocate_address(network.subnet, network.gateway, used)


def attach(
    records: NetworkRecords,
    network: Network,
    netns_path: str,
    *,
    container_id: str,
    container_name: str,
    hostname: str,
    aliases: Sequence[str],
    ipv4_address: str | None,
    mac_address: str | None,
    mtu: int,
) -> Endpoint:
    """Connect the namespace at `netns_path` to `network` (or adopt its live endpoint)."""
    if not netns.is_pinned(netns_path) and not os.path.exists(netns_path):
        raise NetworkError(f"network namespace {netns_path} does not exist")
    identity = {
        "container_id": container_id,
        "container_name": container_name,
        "hostname": hostname,
        "aliases": tuple(aliases),
    }
    adopted = find_adoptable(records, network, netns_path, container_id)
    if adopted is not None:
        if ipv4_address and ipaddress.IPv4Address(ipv4_address) != adopted.address:
            raise NetworkError(
                f"{netns_path} is already on {network.name} as {adopted.address}, "
                f"not {ipv4_address}"
            )
        endpoint = replace(adopted, **identity)  # type: ignore[arg-type]
        records.save_endpoint(endpoint, replaces=adopted.container_id)
        return endpoint
    previous = records.endpoint(network.id, container_id)
    if previous is not None and _is_live(previous) and _same_namespace(previous.netns, netns_path):
        if ipv4_address and ipaddress.IPv4Address(ipv4_address) != previous.address:
            raise NetworkError(
                f"container {container_name or container_id} is already on {network.name} "
                f"as {previous.address}; disconnect it first to change its address"
            )
        endpoint = replace(previous, **identity)  # type: ignore[arg-type]
        records.save_endpoint(endpoint)
        return endpoint
    address = choose_address(records, network, container_id, previous, ipv4_address)
    links.ensure_bridge(
        network.bridge, network.gateway, network.subnet.prefixlen, bridge_mac(network.id), mtu
    )
    veth = previous.host_ifname if previous is not None else host_ifname(network.id, container_id)
    ifname = links.free_ifname(netns_path)
    mac = mac_address or (previous.mac if previous is not None else random_mac())
    links.create_veth(
        bridge=network.bridge,
        host_ifname=veth,
        netns_path=netns_path,
        ifname=ifname,
        address=address,
        prefixlen=network.subnet.prefixlen,
        mac=mac,
        mtu=mtu,
    )
    try:
        if not network.internal and not links.has_default_route(netns_path):
            links.add_default_route(netns_path, network.gateway)
        endpoint = Endpoint(
            network_id=network.id,
            netns=os.fspath(netns_path),
            host_ifname=veth,
            ifname=ifname,
            address=address,
            prefixlen=network.subnet.prefixlen,
            gateway=network.gateway,
            mac=mac,
            active=True,
            created_order=previous.created_order if previous is not None else 0,
            **identity,  # type: ignore[arg-type]
        )
        records.save_endpoint(endpoint)
    except BaseException:
        links.delete_link(veth)
        raise
    return endpoint


def detach(records: NetworkRecords, endpoint: Endpoint, *, keep_address: bool) -> None:
    """Remove an endpoint's veth; keep its record (inactive) or forget it."""
    links.delete_link(endpoint.host_ifname)
    if keep_address:
        records.save_endpoint(replace(endpoint, active=False))
    else:
        records.remove_endpoint(endpoint.network_id, endpoint.container_id)
    if endpoint.active and os.path.exists(endpoint.netns):
        _restore_default_route(records, endpoint)


def _restore_default_route(records: NetworkRecords, gone: Endpoint) -> None:
    """After a network leaves a namespace, route through another of its networks if any."""
    try:
        if links.has_default_route(gone.netns):
            return
    except (EngineError, OSError):
        return
    networks = {network.id: network for network in records.networks()}
    for other in records.endpoints(active_only=True):
        network = networks.get(other.network_id)
        if (
            network is not None
            and not network.internal
            and other.host_ifname != gone.host_ifname
            and _same_namespace(other.netns, gone.netns)
        ):
            links.add_default_route(gone.netns, network.gateway)
            return
