"""Smaller parts of a service: dependencies, env files, logging, ulimits."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from specs.model.base import SpecModel
from specs.model.scalars import Int64

Condition = Literal["service_started", "service_healthy", "service_completed_successfully"]
ULIMIT_NAMES = frozenset(
    {
        "as",
        "core",
        "cpu",
        "data",
        "fsize",
        "locks",
        "memlock",
        "msgqueue",
        "nice",
        "nofile",
        "nproc",
        "rss",
        "rtprio",
        "rttime",
        "sigpending",
        "stack",
    }
)


class Dependency(SpecModel):
    """What a service waits for before it starts (`depends_on.<service>`)."""

    condition: Condition = "service_started"
    required: bool = True
    """When false, a dependency that is missing or disabled is ignored."""
    restart: bool = False
    """Restart this service when the dependency is restarted or recreated."""

    always_dumped = frozenset({"condition"})


class EnvFile(SpecModel):
    """A file of `KEY=value` lines whose variables go into the environment."""

    path: str
    """Absolute path of the file."""
    required: bool = True
    """When false, a missing file is ignored."""
    format: Literal["raw"] | None = None
    """`raw` takes each line literally: no quotes, no interpolation."""


class Logging(SpecModel):
    """Where a container's output goes."""

    driver: str | None = None
    """None is the default (`json-file`)."""
    options: dict[str, str] = Field(default_factory=dict)


class Ulimit(SpecModel):
    """A resource limit of the container's processes (`ulimit -n` and friends)."""

    soft: Int64
    hard: Int64

    @model_validator(mode="after")
    def _soft_below_hard(self) -> Ulimit:
        for value in (self.soft, self.hard):
            if value < -1:
                raise ValueError(f"{value} is not a limit (a positive number, or -1)")
        if self.hard != -1 and (self.soft == -1 or self.soft > self.hard):
            raise ValueError(f"the soft limit {self.soft} is above the hard limit {self.hard}")
        return self
