"""Resource limits (setrlimit) by OCI name, capped to what this process may grant.

Raising a hard limit needs CAP_SYS_RESOURCE. Where the engine runs without
it, a request above the current hard limit is lowered to that limit and the
change is reported, rather than failing the container.
"""

from __future__ import annotations

import resource
from dataclasses import dataclass

from runtime.errors import EngineError

RLIMITS = {
    "RLIMIT_CPU": resource.RLIMIT_CPU,
    "RLIMIT_FSIZE": resource.RLIMIT_FSIZE,
    "RLIMIT_DATA": resource.RLIMIT_DATA,
    "RLIMIT_STACK": resource.RLIMIT_STACK,
    "RLIMIT_CORE": resource.RLIMIT_CORE,
    "RLIMIT_RSS": resource.RLIMIT_RSS,
    "RLIMIT_NPROC": resource.RLIMIT_NPROC,
    "RLIMIT_NOFILE": resource.RLIMIT_NOFILE,
    "RLIMIT_MEMLOCK": resource.RLIMIT_MEMLOCK,
    "RLIMIT_AS": resource.RLIMIT_AS,
    "RLIMIT_LOCKS": 10,
    "RLIMIT_SIGPENDING": resource.RLIMIT_SIGPENDING,
    "RLIMIT_MSGQUEUE": resource.RLIMIT_MSGQUEUE,
    "RLIMIT_NICE": resource.RLIMIT_NICE,
    "RLIMIT_RTPRIO": resource.RLIMIT_RTPRIO,
    "RLIMIT_RTTIME": resource.RLIMIT_RTTIME,
}
UNLIMITED = 2**64 - 1


class RlimitError(EngineError):
    """An rlimit request names an unknown resource or is not coherent."""


@dataclass(frozen=True)
class Rlimit:
    """One limit to set: the OCI type name, soft and hard values (2**64-1 is unlimited)."""

    name: str
    soft: int
    hard: int


def number_of(name: str) -> int:
    """The RLIMIT_* number of an OCI name such as RLIMIT_NOFILE (or 'nofile')."""
    key = name.upper()
    if not key.startswith("RLIMIT_"):
        key = "RLIMIT_" + key
    try:
        return RLIMITS[key]
    except KeyError:
        raise RlimitError(f"unknown rlimit {name!r}") from None


def _kernel(value: int) -> int:
    return resource.RLIM_INFINITY if value >= UNLIMITED or value < 0 else value


def cap_to_allowed(limits: list[Rlimit], can_raise: bool) -> tuple[list[Rlimit], list[str]]:
    """Lower requests above the current hard limits when they cannot be raised; say which."""
    result: list[Rlimit] = []
    notes: list[str] = []
    for limit in limits:
        if limit.soft > limit.hard:
            raise RlimitError(f"{limit.name}: soft limit {limit.soft} exceeds hard {limit.hard}")
        _, current_hard = resource.getrlimit(number_of(limit.name))
        host_hard = UNLIMITED if current_hard == resource.RLIM_INFINITY else current_hard
        if can_raise or limit.hard <= host_hard:
            result.append(limit)
            continue
        hard = host_hard
        soft = min(limit.soft, hard)
        notes.append(
            f"{limit.name}: hard limit {limit.hard} lowered to {hard} "
            "(raising it needs CAP_SYS_RESOURCE, which this engine lacks)"
        )
        result.append(Rlimit(limit.name, soft, hard))
    return result, notes


def apply(limits: list[Rlimit]) -> None:
    """setrlimit each limit in this process."""
    for limit in limits:
        resource.setrlimit(number_of(limit.name), (_kernel(limit.soft), _kernel(limit.hard)))
