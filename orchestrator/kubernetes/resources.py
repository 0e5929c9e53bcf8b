"""Compute resources: limits and reservations become container limits and requests.

CPUs are written in millicores (`1.5` is `1500m`), bytes in the largest binary
unit that divides them (`536870912` is `512Mi`). A limit of 0 is Compose's
"no limit" and is left out. Process limits, swap, CPU shares and CPU sets have
no per-container equivalent and are reported.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from specs.model import Service

_BINARY_UNITS = (
    ("Ei", 1 << 60),
    ("Pi", 1 << 50),
    ("Ti", 1 << 40),
    ("Gi", 1 << 30),
    ("Mi", 1 << 20),
    ("Ki", 1 << 10),
)


def memory_quantity(size: int) -> str:
    """Bytes as a Kubernetes quantity: `512Mi`, `1Gi`, or plain bytes."""
    for suffix, unit in _BINARY_UNITS:
        if size >= unit and size % unit == 0:
            return f"{size // unit}{suffix}"
    return str(size)


def cpu_quantity(cpus: float) -> str:
    """A number of CPUs as a Kubernetes quantity: `2`, `500m`."""
    millicores = max(1, round(cpus * 1000))
    return str(millicores // 1000) if millicores % 1000 == 0 else f"{millicores}m"


def container_resources(service: Service, warn: Callable[[str], None]) -> dict[str, Any]:
    """`resources` of a service's container (empty when it sets none)."""
    limits = service.deploy.resources.limits
    reservations = service.deploy.resources.reservations
    result: dict[str, Any] = {}
    requested = _quantities(reservations.cpus, reservations.memory)
    limited = _quantities(limits.cpus, limits.memory)
    if limited:
        result["limits"] = limited
    if requested:
        result["requests"] = requested
    origin = f"services.{service.name}"
    if limits.pids not in (None, -1, 0):
        warn(f"{origin}: the process limit ({limits.pids}) has no per-container equivalent")
    for key in ("memswap_limit", "cpu_shares", "cpuset"):
        if getattr(service, key) is not None:
            warn(f"{origin}.{key}: has no Kubernetes equivalent; left out")
    return result


def _quantities(cpus: float | None, memory: int | None) -> dict[str, str]:
    values = {}
    if cpus:
        values["cpu"] = cpu_quantity(cpus)
    if memory:
        values["memory"] = memory_quantity(memory)
    return values
