"""Published ports: parse Docker's `-p` syntax, pick host ports, find conflicts.

Parsing and conflict checks are pure; `host_port_free` and `free_host_port`
ask the kernel (a bind(2) probe in the host's network namespace), because a
DNAT rule for a port some program already listens on would silently steal
that program's traffic.
"""

from __future__ import annotations

import errno
import ipaddress
import socket
from collections.abc import Callable, Iterable, Sequence

from runtime.network.errors import PortError
from runtime.network.model import PortRequest, PublishedPort

PROTOCOLS = ("tcp", "udp")


def _port_range(text: str, what: str, spec: str) -> tuple[int, int]:
    first, _, last = text.partition("-")
    try:
        low = int(first)
        high = int(last) if last else low
    except ValueError as exc:
        raise PortError(f"invalid {what} {text!r} in port specification {spec!r}") from exc
    if not (1 <= low <= 65535 and 1 <= high <= 65535) or high < low:
        raise PortError(f"invalid {what} {text!r} in port specification {spec!r}")
    return low, high


def _host_ip(text: str, spec: str) -> str:
    if text in ("", "0.0.0.0"):
        return ""
    try:
        address = ipaddress.ip_address(text.strip("[]"))
    except ValueError as exc:
        raise PortError(f"invalid host address {text!r} in port specification {spec!r}") from exc
    if address.version != 4:
        raise PortError(f"port specification {spec!r}: only IPv4 host addresses are supported")
    return str(address)


def parse_port_spec(spec: str) -> list[PortRequest]:
    """Parse `[ip:][host[-host]:]container[-container][/proto]` into port requests."""
    text, _, protocol = spec.strip().partition("/")
    protocol = (protocol or "tcp").lower()
    if protocol not in PROTOCOLS:
        raise PortError(f"invalid protocol {protocol!r} in port specification {spec!r}")
    if text.startswith("["):
        raise PortError(f"port specification {spec!r}: only IPv4 host addresses are supported")
    parts = text.rsplit(":", 2)
    host_ip, host_text, container_text = (["", "", *parts])[-3:]
    container_low, container_high = _port_range(container_text, "container port", spec)
    return expand_ports(
        container_low,
        container_high,
        protocol=protocol,
        host_ip=_host_ip(host_ip, spec),
        host_ports=_port_range(host_text, "host port", spec) if host_text else None,
        spec=spec,
    )


def expand_ports(
    container_low: int,
    container_high: int,
    *,
    protocol: str = "tcp",
    host_ip: str = "",
    host_ports: tuple[int, int] | None = None,
    spec: str = "",
) -> list[PortRequest]:
    """One request per container port; host ranges pair up or give a range to pick from."""
    count = container_high - container_low + 1
    if host_ports is None:
        return [
            PortRequest(port, protocol, host_ip)
            for port in range(container_low, container_high + 1)
        ]
    host_low, host_high = host_ports
    if count == 1:
        end = host_high if host_high > host_low else 0
        return [PortRequest(container_low, protocol, host_ip, host_low, end)]
    if host_high - host_low + 1 != count:
        raise PortError(
            f"port specification {spec or container_low!r}: the host range and the "
            "container range differ in length"
        )
    return [
        PortRequest(container_low + offset, protocol, host_ip, host_low + offset)
        for offset in range(count)
    ]


def parse_long_syntax(
    target: int, published: str | int | None = None, host_ip: str = "", protocol: str = "tcp"
) -> list[PortRequest]:
    """Compose's long syntax: `target`, `published` (port or range), `host_ip`, `protocol`."""
    spec = f"{host_ip}:{published or ''}:{target}/{protocol}"
    protocol = protocol.lower()
    if protocol not in PROTOCOLS:
        raise PortError(f"invalid protocol {protocol!r} for port {target}")
    if not 1 <= int(target) <= 65535:
        raise PortError(f"invalid container port {target}")
    host_ports = _port_range(str(published), "host port", spec) if published else None
    return expand_ports(
        int(target),
        int(target),
        protocol=protocol,
        host_ip=_host_ip(host_ip, spec),
        host_ports=host_ports,
        spec=spec,
    )


def overlaps(
    protocol: str, host_ip: str, host_port: int, existing: Iterable[PublishedPort]
) -> PublishedPort | None:
    """The already-published port this one would clash with, or None."""
    for other in existing:
        if other.protocol != protocol or other.host_port != host_port:
            continue
        if not host_ip or not other.host_ip or host_ip == other.host_ip:
            return other
    return None


def host_port_free(protocol: str, host_ip: str, port: int) -> bool:
    """Whether no socket on the host holds `host_ip:port` (all addresses when empty)."""
    kind = socket.SOCK_STREAM if protocol == "tcp" else socket.SOCK_DGRAM
    with socket.socket(socket.AF_INET, kind) as probe:
        if protocol == "tcp":
            # Connections lingering in TIME_WAIT are no conflict; a listener is.
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host_ip or "0.0.0.0", port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return False
            if exc.errno == errno.EADDRNOTAVAIL:
                raise PortError(f"{host_ip} is not an address of this host") from exc
            raise PortError(f"cannot probe {protocol} port {port}: {exc.strerror}") from exc
    return True


def free_host_port(protocol: str, host_ip: str) -> int:
    """A port the kernel would hand out now (from the ephemeral range) for `host_ip`."""
    kind = socket.SOCK_STREAM if protocol == "tcp" else socket.SOCK_DGRAM
    with socket.socket(socket.AF_INET, kind) as probe:
        try:
            probe.bind((host_ip or "0.0.0.0", 0))
        except OSError as exc:
            raise PortError(f"cannot pick a free {protocol} port: {exc.strerror}") from exc
        return int(probe.getsockname()[1])


def choose_host_ports(
    requests: Sequence[PortRequest],
    existing: Sequence[PublishedPort],
    *,
    is_free: Callable[[str, str, int], bool] = host_port_free,
    pick_free: Callable[[str, str], int] = free_host_port,
) -> list[tuple[PortRequest, int]]:
    """Give every request a host port, or raise naming the first one already taken."""
    chosen: list[tuple[PortRequest, int]] = []
    claimed: list[PublishedPort] = list(existing)

    def claim(request: PortRequest, port: int) -> None:
        chosen.append((request, port))
        claimed.append(PublishedPort("", "", request.protocol, request.host_ip, port, _ANY, 0))

    for request in requests:
        if request.host_port == 0:
            for _ in range(64):
                port = pick_free(request.protocol, request.host_ip)
                if overlaps(request.protocol, request.host_ip, port, claimed) is None:
                    claim(request, port)
                    break
            else:
                raise PortError(
                    f"no free host port for {request.container_port}/{request.protocol}"
                )
            continue
        last = max(request.host_port_end, request.host_port)
        reason = ""
        for port in range(request.host_port, last + 1):
            clash = overlaps(request.protocol, request.host_ip, port, claimed)
            if clash is not None:
                reason = f"it is already published for container {clash.container_id[:12]}"
                if not clash.container_id:
                    reason = "it is asked for twice"
                continue
            if not is_free(request.protocol, request.host_ip, port):
                reason = "a program on the host is using it"
                continue
            claim(request, port)
            break
        else:
            where = f"{request.host_ip}:" if request.host_ip else ""
            ports = f"{request.host_port}" + (f"-{last}" if last > request.host_port else "")
            raise PortError(
                f"cannot publish {where}{ports}/{request.protocol} -> "
                f"{request.container_port}: port is already allocated ({reason})"
            )
    return chosen


_ANY = ipaddress.IPv4Address(0)
