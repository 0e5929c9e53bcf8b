"""The orchestrator's exception family."""

from __future__ import annotations


class OrchestratorError(Exception):
    """A failure to converge or to run a command, naming the service and what to do next."""
