"""Waiting for a dependency's condition: started, healthy, or completed successfully.

A wait is woken by the engine when the container's state or health changes
(never a sleep loop), and each call is bounded: the engine is asked again at
least every few seconds, so a lost wake-up costs seconds, never a hang. The
answer is decided by what the container *is*: a dependency that exits
non-zero, dies, or turns unhealthy fails the wait at once with a message
naming it; one that has no healthcheck cannot become healthy, and says so.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from orchestrator.errors import OrchestratorError

if TYPE_CHECKING:
    from runtime.containers.manager import Containers
    from runtime.containers.model import Container

SLICE = 5.0
"""Longest single wait on the engine before the state is read again."""
STARTED = "service_started"
HEALTHY = "service_healthy"
COMPLETED = "service_completed_successfully"


class DependencyFailed(OrchestratorError):
    """A dependency cannot satisfy the condition a service waits for."""


@dataclass(frozen=True)
class Verdict:
    """Whether the condition holds (True), cannot hold any more (False, with why), or not yet."""

    satisfied: bool | None
    why: str = ""


def judge(container: Container | None, condition: str) -> Verdict:
    """Where `container` stands with respect to `condition` (pure)."""
    if container is None:
        return Verdict(False, "was removed")
    state = container.state
    status = state.status
    exited = status in ("exited", "dead")
    if condition == COMPLETED:
        if exited:
            if state.exit_code == 0:
                return Verdict(True)
            return Verdict(False, f"exited with code {state.exit_code}")
        return Verdict(None)
    if condition == HEALTHY:
        health = state.health
        if exited or status == "restarting":
            return Verdict(False, f"exited with code {state.exit_code} before it became healthy")
        if status == "created":
            return Verdict(None)
        if health is None:
            return Verdict(False, "has no healthcheck, so it cannot become healthy")
        if health.status == "healthy":
            return Verdict(True)
        if health.status == "unhealthy":
            return Verdict(False, "is unhealthy")
        return Verdict(None)
    # service_started: it ran; a one-shot that already finished counts.
    if status in ("running", "paused", "restarting") or state.started_at:
        return Verdict(True)
    if exited:
        return Verdict(False, f"exited with code {state.exit_code}")
    return Verdict(None)


def wait_for_condition(
    containers: Containers,
    container_id: str,
    service: str,
    condition: str,
    *,
    deadline: float | None = None,
    needed_by: str | None = None,
) -> Container | None:
    """Block until the container satisfies `condition`; DependencyFailed when it cannot or when
    `deadline` (a time.monotonic() value) passes."""
    whom = f" (needed by {needed_by})" if needed_by else ""
    while True:
        current = containers.find(container_id)
        verdict = judge(current, condition)
        if verdict.satisfied:
            return current
        if verdict.satisfied is False:
            raise DependencyFailed(
                f"dependency {service}{whom} {verdict.why}: see `pycompose logs {service}`"
            )
        remaining = None if deadline is None else deadline - time.monotonic()
        if remaining is not None and remaining <= 0:
            raise DependencyFailed(
                f"dependency {service}{whom} is still not {_WORDS[condition]}: gave up waiting "
                "(raise --wait-timeout, or look at `pycompose logs " + service + "`)"
            )
        bound = SLICE if remaining is None else min(SLICE, remaining)
        try:
            containers.wait_for(
                container_id,
                lambda seen: judge(seen, condition).satisfied is not None,
                timeout=bound,
            )
        except TimeoutError:
            continue


_WORDS = {
    STARTED: "started",
    HEALTHY: "healthy",
    COMPLETED: "completed",
}
