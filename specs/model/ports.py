"""Container ports: published ports in Compose's long syntax."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import field_validator

from specs.model.base import SpecModel
from specs.model.scalars import IPAddress, PortNumber

_PUBLISHED = re.compile(r"^(\d+)(?:-(\d+))?$")
Protocol = Literal["tcp", "udp", "sctp"]


class Port(SpecModel):
    """A container port, published on the host or not (`8080:80/tcp` in short syntax)."""

    target: PortNumber
    """The port inside the container."""
    published: str | None = None
    """The host port (`"8080"`) or a range to pick a free port from (`"8000-8010"`); None picks any."""
    host_ip: IPAddress | None = None
    """The host address to publish on; None means every address."""
    protocol: Protocol = "tcp"
    mode: Literal["host", "ingress"] = "ingress"
    """Compose's publishing mode; on one machine both publish on the host."""
    name: str | None = None
    """A human-readable name for the port."""
    app_protocol: str | None = None
    """The application protocol (`http`, `grpc`...), for tools that care."""

    always_dumped = frozenset({"protocol", "mode"})

    @field_validator("published")
    @classmethod
    def _check_published(cls, value: str | None) -> str | None:
        if value is None:
            return None
        match = _PUBLISHED.match(value)
        if not match:
            raise ValueError(f'"{value}" is not a port or a port range, like 8080 or 8000-8010')
        first = int(match.group(1))
        last = int(match.group(2) or first)
        for number in (first, last):
            if not 0 <= number <= 65535:
                raise ValueError(f"port {number} is out of range (0-65535)")
        if last < first:
            raise ValueError(f'"{value}" is not a port range: {last} is lower than {first}')
        return value

    @property
    def published_range(self) -> tuple[int, int] | None:
        """The published port as (first, last); None when not published."""
        if self.published is None:
            return None
        first, _, last = self.published.partition("-")
        return int(first), int(last or first)
