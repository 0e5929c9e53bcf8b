"""Healthchecks: the command that tells whether a container is healthy, and its timing."""

from __future__ import annotations

from pydantic import ValidationInfo, field_validator

from specs.model.base import SpecModel
from specs.model.scalars import Duration, NonNegative
from specs.units import MILLISECOND, format_duration

TEST_KINDS = ("NONE", "CMD", "CMD-SHELL")


class Healthcheck(SpecModel):
    """A healthcheck; None durations and retries mean the image's or Docker's defaults."""

    test: list[str] | None = None
    """`["CMD", exe, args...]`, `["CMD-SHELL", "shell command"]` or `["NONE"]` (disabled);
    None keeps the image's test."""
    interval: Duration | None = None
    """Time between checks, in nanoseconds (default 30s)."""
    timeout: Duration | None = None
    """Time one check may take, in nanoseconds (default 30s)."""
    retries: NonNegative | None = None
    """Consecutive failures that make the container unhealthy (default 3)."""
    start_period: Duration | None = None
    """Time after start when failures do not count, in nanoseconds (default 0)."""
    start_interval: Duration | None = None
    """Time between checks during the start period, in nanoseconds (default 5s)."""

    rewritten = frozenset({"disable"})

    @field_validator("interval", "timeout", "start_period", "start_interval")
    @classmethod
    def _check_timing(cls, value: int | None, info: ValidationInfo) -> int | None:
        # Docker's API refuses a negative time, and (but for start_period) one under 1ms; 0 is
        # the default.
        if value is None or value == 0:
            return value
        least = 0 if info.field_name == "start_period" else MILLISECOND
        if value < least:
            text = "0" if least == 0 else "1ms (or 0 for the default)"
            raise ValueError(f"{format_duration(value)} is too short (at least {text})")
        return value

    @field_validator("test")
    @classmethod
    def _check_test(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        if not value or value[0] not in TEST_KINDS:
            first = f'"{value[0]}"' if value else "an empty list"
            raise ValueError(
                f'{first} does not start a test (expected "CMD", "CMD-SHELL" or "NONE")'
            )
        if value[0] == "NONE" and len(value) > 1:
            raise ValueError('a "NONE" test takes no arguments')
        if value[0] != "NONE" and len(value) < 2:
            raise ValueError(f'a "{value[0]}" test needs a command')
        return value

    @property
    def disabled(self) -> bool:
        """True when the healthcheck is switched off (`disable: true` or `test: ["NONE"]`)."""
        return self.test == ["NONE"]
