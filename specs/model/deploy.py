"""Deployment: replicas, resource limits and reservations, restart policy.

The service-level `mem_limit`, `mem_reservation`, `cpus`, `pids_limit` and
`scale` are moved here by the loader, so this is the one place to read them.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_serializer, field_validator

from specs.model.base import SpecModel
from specs.model.scalars import ByteSize, Cpus, Duration, Int64, NonNegative


class ResourceLimits(SpecModel):
    """Upper bounds for each container of the service."""

    cpus: Cpus | None = None
    """CPU time as a number of CPUs (0.5 is half of one)."""
    memory: ByteSize | None = None
    """Memory in bytes."""
    pids: Int64 | None = None
    """Number of processes; -1 for no limit."""

    @field_serializer("memory", when_used="json")
    def _memory_text(self, value: int | None) -> str | None:
        # The Compose schema types this field as a string; a bare number is bytes.
        return None if value is None else str(value)

    @field_validator("pids")
    @classmethod
    def _pids(cls, value: int | None) -> int | None:
        if value is not None and value < -1:
            raise ValueError(f"{value} is not a process limit (a positive number, or -1)")
        return value


class ResourceReservations(SpecModel):
    """What each container of the service is guaranteed (soft limits)."""

    cpus: Cpus | None = None
    memory: ByteSize | None = None
    """Memory in bytes (a soft limit)."""

    unsupported = frozenset({"devices", "generic_resources"})

    @field_serializer("memory", when_used="json")
    def _memory_text(self, value: int | None) -> str | None:
        return None if value is None else str(value)


class Resources(SpecModel):
    """Limits and reservations."""

    limits: ResourceLimits = Field(default_factory=ResourceLimits)
    reservations: ResourceReservations = Field(default_factory=ResourceReservations)


class RestartPolicy(SpecModel):
    """Compose's deploy-level restart policy (the `restart` key is its short form)."""

    condition: Literal["none", "on-failure", "any"] = "any"
    delay: Duration | None = None
    max_attempts: NonNegative | None = None
    window: Duration | None = None
    """How long a restart must stay up to count as a success."""

    always_dumped = frozenset({"condition"})


class Deploy(SpecModel):
    """How many containers run a service and with which resources."""

    mode: Literal["replicated"] = "replicated"
    replicas: NonNegative = 1
    """Number of containers (the service-level `scale` is moved here)."""
    resources: Resources = Field(default_factory=Resources)
    restart_policy: RestartPolicy | None = None
    labels: dict[str, str] = Field(default_factory=dict)
    """Labels of the service (not of its containers)."""

    unsupported = frozenset({"endpoint_mode", "placement", "rollback_config", "update_config"})

    @field_validator("mode", mode="before")
    @classmethod
    def _replicated_only(cls, value: Any) -> Any:
        if value == "global":
            raise ValueError("pycompose does not support deploy mode 'global' yet")
        return value
