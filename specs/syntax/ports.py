"""Port mappings: `[HOST_IP:][HOST_PORT:]CONTAINER_PORT[/PROTO]`, ranges included."""

from __future__ import annotations

import ipaddress
from typing import Any

EXPECTED = "expected [HOST_IP:][HOST_PORT:]CONTAINER_PORT[/PROTO]"
PROTOCOLS = ("tcp", "udp", "sctp")


def _invalid(spec: str, reason: str = EXPECTED) -> ValueError:
    return ValueError(f'"{spec}" is not a valid port mapping ({reason})')


def _range(text: str, spec: str, *, allow_zero: bool = False) -> tuple[int, int]:
    first, dash, last = text.partition("-")
    if not first.isdigit() or (dash and not last.isdigit()):
        raise _invalid(spec)
    start, end = int(first), int(last) if dash else int(first)
    lowest = 0 if allow_zero else 1
    for number in (start, end):
        if not lowest <= number <= 65535:
            raise _invalid(spec, f"{number} is not a port number, 1 to 65535")
    if end < start:
        raise _invalid(spec, f"the range {text} ends before it starts")
    return start, end


def _split(text: str) -> tuple[str, str, str]:
    """(host ip, host port, container port) of the part before `/proto`."""
    if text.startswith("["):
        close = text.find("]")
        if close < 0 or text[close + 1 : close + 2] != ":":
            return "-", "", ""
        host_ip, rest = text[1:close], text[close + 2 :]
        host_port, _, container = rest.rpartition(":")
        return host_ip, host_port, container
    parts = text.split(":")
    if len(parts) == 1:
        return "", "", parts[0]
    if len(parts) == 2:
        return "", parts[0], parts[1]
    return ":".join(parts[:-2]), parts[-2], parts[-1]


def parse_port(value: int | str) -> list[dict[str, Any]]:
    """One short-syntax port into one long-syntax entry per container port."""
    spec = str(value)
    text, slash, protocol = spec.partition("/")
    protocol = protocol.lower() if slash else "tcp"
    if protocol not in PROTOCOLS:
        raise _invalid(spec, f"the protocol must be tcp, udp or sctp, not '{protocol}'")
    host_ip, host_port, container = _split(text)
    if host_ip:
        try:
            host_ip = str(ipaddress.ip_address(host_ip))
        except ValueError:
            raise _invalid(spec) from None
    if not container:
        raise _invalid(spec)
    start, end = _range(container, spec)
    published: list[str | None] = [None] * (end - start + 1)
    if host_port:
        host_start, host_end = _range(host_port, spec, allow_zero=True)
        if start == end:
            published = [host_port if host_start != host_end else str(host_start)]
        elif host_end - host_start == end - start:
            published = [str(host_start + offset) for offset in range(end - start + 1)]
        else:
            raise _invalid(spec, "the host and container port ranges differ in size")
    entries = []
    for offset, host in enumerate(published):
        entry: dict[str, Any] = {"target": start + offset, "protocol": protocol}
        if host is not None:
            entry["published"] = host
        if host_ip:
            entry["host_ip"] = host_ip
        entry["mode"] = "ingress"
        entries.append(entry)
    return entries


def parse_expose(value: int | str) -> str:
    """`3000`, `3000/udp`, `8000-8010` into the canonical `PORT[-END]/PROTO`."""
    spec = str(value)
    text, slash, protocol = spec.partition("/")
    protocol = protocol.lower() if slash else "tcp"
    if protocol not in PROTOCOLS:
        raise ValueError(f'"{spec}" is not a port (the protocol must be tcp, udp or sctp)')
    try:
        start, end = _range(text, spec)
    except ValueError:
        raise ValueError(f'"{spec}" is not a port (like 3000, 3000/udp or 8000-8010)') from None
    ports = str(start) if start == end else f"{start}-{end}"
    return f"{ports}/{protocol}"
