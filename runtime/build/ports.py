"""EXPOSE port specifications: `80`, `53/udp`, `8000-8002/tcp` to `port/proto` keys.

The keys are those of an image config's ExposedPorts; a range becomes one key
per port. Errors are worded as BuildKit words them.
"""

from __future__ import annotations

import ipaddress

from runtime.build.gotext import NumberError, parse_int, quote

PROTOCOLS = ("tcp", "udp", "sctp")


class PortError(ValueError):
    """A port specification BuildKit rejects."""


def _port_number(text: str) -> int:
    if not text:
        raise PortError("value is empty")
    try:
        port = parse_int(text, 10, 64)
    except NumberError as error:
        raise PortError(str(error).rsplit(": ", 1)[-1]) from None
    if not 0 <= port <= 65535:
        raise PortError("value out of range (0\u201365535)")
    return port


def _port_range(text: str) -> tuple[int, int]:
    if not text:
        raise PortError("empty string specified for ports")
    start, dash, end = text.partition("-")
    try:
        first = _port_number(start)
    except PortError as error:
        raise PortError(f"invalid start port '{start}': {error}") from None
    if not dash or start == end:
        return first, first
    try:
        last = _port_number(end)
    except PortError as error:
        raise PortError(f"invalid end port '{end}': {error}") from None
    if last < first:
        raise PortError(f"invalid port range: {text}")
    return first, last


def _split(raw: str) -> tuple[str, str, str]:
    parts = raw.split(":")
    if len(parts) == 1:
        return "", "", parts[0]
    if len(parts) == 2:
        return "", parts[0], parts[1]
    return ":".join(parts[:-2]), parts[-2], parts[-1]


def parse_port(raw: str) -> list[str]:
    """The `port/proto` keys one EXPOSE word stands for."""
    ip, host_port, container = _split(raw)
    port, _, protocol = container.partition("/")
    if not port:
        raise PortError(f"invalid port: {quote(raw)}: no port specified")
    if protocol.lower() not in ("", *PROTOCOLS):
        raise PortError(f"invalid port: {quote(raw)}: invalid proto: {protocol}")
    protocol = protocol or "tcp"
    if ip.startswith("[") and ip.endswith("]"):
        ip = ip[1:-1]
    if ip:
        try:
            ipaddress.ip_address(ip)
        except ValueError:
            raise PortError(f"invalid IP address: {ip}") from None
    try:
        start, end = _port_range(port)
    except PortError:
        raise PortError(f"invalid containerPort: {port}") from None
    if host_port:
        try:
            host_start, host_end = _port_range(host_port)
        except PortError:
            raise PortError(f"invalid hostPort: {host_port}") from None
        if end - start != host_end - host_start and end != start:
            raise PortError(
                f"invalid ranges specified for container and host Ports: {port} and {host_port}"
            )
    return [f"{number}/{protocol.lower()}" for number in range(start, end + 1)]
