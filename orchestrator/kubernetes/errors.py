"""Errors of the Kubernetes target: a project that cannot be converted, a cluster that refuses."""

from __future__ import annotations

from orchestrator.errors import OrchestratorError


class KubernetesError(OrchestratorError):
    """A conversion or a cluster request that failed, with what to do about it."""
