"""Kernel network devices through netlink: bridges, veth pairs, addresses, routes, sysctls.

Everything here acts on the calling thread's network namespace, except where a
function takes the path of a container's namespace: then it opens a netlink
socket inside that namespace (see runtime.linux.netns.entered) and works
through it, without forking and without moving the rest of the program.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from runtime.linux import netns
from runtime.network.errors import NetworkError

if TYPE_CHECKING:
    from pyroute2 import IPRoute
    from pyroute2.netlink.exceptions import NetlinkError

DEFAULT_MTU = 1500
AF_INET = 2
RT_TABLE_MAIN = 254


@contextmanager
def netlink(netns_path: str | None = None) -> Iterator[IPRoute]:
    """A netlink route socket in this thread's namespace, or in the one at `netns_path`."""
    from pyroute2 import IPRoute

    if netns_path is None:
        ipr = IPRoute()
    else:
        with netns.entered(netns_path):
            ipr = IPRoute()
    try:
        yield ipr
    finally:
        ipr.close()


def _netlink_error() -> type[NetlinkError]:
    """pyroute2's error class. pyroute2 takes ~0.13 s to import, so it is imported on
    first use: commands that only read /proc (a no-change `up`'s recovery pass) skip it."""
    from pyroute2.netlink.exceptions import NetlinkError

    return NetlinkError


def _index(ipr: IPRoute, ifname: str) -> int | None:
    found = ipr.link_lookup(ifname=ifname)
    return found[0] if found else None


def link_exists(ifname: str, netns_path: str | None = None) -> bool:
    """Whether a device named `ifname` exists (here, or in the namespace at `netns_path`)."""
    with netlink(netns_path) as ipr:
        return _index(ipr, ifname) is not None


def link_names(netns_path: str | None = None) -> list[str]:
    """Names of every device (here, or in the namespace at `netns_path`).

    Here, they are read from /proc/thread-self/net/dev: a netlink dump decodes every
    link's attributes, which costs milliseconds per hundred veths on each network change.
    """
    if netns_path is None:
        try:
            with open("/proc/thread-self/net/dev", encoding="ascii") as handle:
                lines = handle.read().splitlines()[2:]
            return [line.split(":", 1)[0].strip() for line in lines if ":" in line]
        except OSError:
            pass
    with netlink(netns_path) as ipr:
        return [str(link.get_attr("IFLA_IFNAME")) for link in ipr.get_links()]


def host_routes() -> list[ipaddress.IPv4Network]:
    """Destinations of every IPv4 route here except default routes, in all tables."""
    routes: list[ipaddress.IPv4Network] = []
    with netlink() as ipr:
        for route in ipr.get_routes(family=AF_INET):
            length = route["dst_len"]
            destination = route.get_attr("RTA_DST")
            if length == 0 or destination is None:
                continue
            routes.append(ipaddress.IPv4Network(f"{destination}/{length}", strict=False))
    return routes


def uplink_mtu() -> int:
    """The MTU of the device the default route leaves through, else 1500."""
    with netlink() as ipr:
        for route in ipr.get_routes(family=AF_INET, table=RT_TABLE_MAIN):
            if route["dst_len"] != 0:
                continue
            index = route.get_attr("RTA_OIF")
            if index is None:
                continue
            links = ipr.get_links(index)
            if links:
                return int(links[0].get_attr("IFLA_MTU") or DEFAULT_MTU)
    return DEFAULT_MTU


def ensure_bridge(
    name: str,
    gateway: ipaddress.IPv4Address,
    prefixlen: int,
    mac: str,
    mtu: int,
) -> None:
    """Make the bridge `name` exist, up, with the gateway address (idempotent)."""
    with netlink() as ipr:
        index = _index(ipr, name)
        try:
            if index is None:
                ipr.link("add", ifname=name, kind="bridge", address=mac, mtu=mtu)
                index = _index(ipr, name)
            assert index is not None
            present = {
                (addr.get_attr("IFA_ADDRESS"), addr["prefixlen"])
                for addr in ipr.get_addr(index=index, family=AF_INET)
            }
            if (str(gateway), prefixlen) not in present:
                ipr.addr("add", index=index, address=str(gateway), prefixlen=prefixlen)
            ipr.link("set", index=index, state="up")
        except _netlink_error() as exc:
            raise NetworkError(f"cannot set up bridge {name}: {exc.args[-1]}") from exc
    set_interface_sysctl(name, "forwarding", "1")
    # Lets 127.0.0.1 be DNATed to a container and its replies come back on this bridge.
    set_interface_sysctl(name, "route_localnet", "1")


def delete_link(name: str) -> None:
    """Delete the device `name` here, if it exists (a veth takes its peer with it)."""
    with netlink() as ipr:
        index = _index(ipr, name)
        if index is None:
            return
        try:
            ipr.link("del", index=index)
        except _netlink_error() as exc:
            if exc.code != 19:  # ENODEV: gone meanwhile
                raise NetworkError(f"cannot delete {name}: {exc.args[-1]}") from exc


def free_ifname(netns_path: str, prefix: str = "eth") -> str:
    """The lowest `ethN` not yet used in the namespace at `netns_path`."""
    taken = set(link_names(netns_path))
    number = 0
    while f"{prefix}{number}" in taken:
        number += 1
    return f"{prefix}{number}"


def create_veth(
    *,
    bridge: str,
    host_ifname: str,
    netns_path: str,
    ifname: str,
    address: ipaddress.IPv4Address,
    prefixlen: int,
    mac: str,
    mtu: int,
) -> None:
    """A veth pair: `host_ifname` on `bridge` here, `ifname` with `address` in `netns_path`."""
    delete_link(host_ifname)
    fd = netns.open_namespace(netns_path)
    try:
        with netlink() as ipr:
            bridge_index = _index(ipr, bridge)
            if bridge_index is None:
                raise NetworkError(f"bridge {bridge} does not exist")
            ipr.link(
                "add",
                ifname=host_ifname,
                kind="veth",
                mtu=mtu,
                peer={"ifname": ifname, "net_ns_fd": fd, "address": mac, "mtu": mtu},
            )
            host_index = _index(ipr, host_ifname)
            assert host_index is not None
            ipr.link("set", index=host_index, master=bridge_index, state="up")
        with netlink(netns_path) as inner:
            index = _index(inner, ifname)
            assert index is not None
            inner.addr("add", index=index, address=str(address), prefixlen=prefixlen)
            inner.link("set", index=index, state="up")
    except _netlink_error() as exc:
        delete_link(host_ifname)
        raise NetworkError(
            f"cannot connect {netns_path} to bridge {bridge}: {exc.args[-1]}"
        ) from exc
    except BaseException:
        delete_link(host_ifname)
        raise
    finally:
        os.close(fd)


def has_default_route(netns_path: str) -> bool:
    """Whether the namespace at `netns_path` has an IPv4 default route."""
    with netlink(netns_path) as ipr:
        return any(
            route["dst_len"] == 0 for route in ipr.get_routes(family=AF_INET, table=RT_TABLE_MAIN)
        )


def add_default_route(netns_path: str, gateway: ipaddress.IPv4Address) -> None:
    """Route everything not on a local subnet through `gateway`, inside `netns_path`."""
    with netlink(netns_path) as ipr:
        try:
            ipr.route("add", dst="0.0.0.0/0", gateway=str(gateway))
        except _netlink_error() as exc:
            if exc.code != 17:  # EEXIST
                raise NetworkError(
                    f"cannot add a default route via {gateway} in {netns_path}: {exc.args[-1]}"
                ) from exc


def set_interface_sysctl(ifname: str, key: str, value: str) -> str | None:
    """Set net.ipv4.conf.<ifname>.<key>; return the previous value (None if no such device)."""
    path = f"/proc/sys/net/ipv4/conf/{ifname}/{key}"
    try:
        with open(path, encoding="ascii") as handle:
            previous = handle.read().strip()
        if previous != value:
            with open(path, "w", encoding="ascii") as handle:
                handle.write(value)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise NetworkError(f"cannot set {path} to {value}: {exc.strerror}") from exc
    return previous


def interface_sysctl(ifname: str, key: str) -> str | None:
    """The value of net.ipv4.conf.<ifname>.<key>, or None if there is no such device."""
    try:
        with open(f"/proc/sys/net/ipv4/conf/{ifname}/{key}", encoding="ascii") as handle:
            return handle.read().strip()
    except FileNotFoundError:
        return None
