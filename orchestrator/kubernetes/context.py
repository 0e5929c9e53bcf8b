"""What one conversion carries along: the project, the options, warnings, shared documents."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from orchestrator.kubernetes.errors import KubernetesError
from orchestrator.kubernetes.extensions import ProjectSettings, project_settings
from orchestrator.kubernetes.metadata import project_labels
from specs.model import Project


@dataclass(frozen=True)
class ConversionOptions:
    """How to convert: what the command line asked for."""

    allow_hostpath: bool = False
    """Turn bind mounts into hostPath volumes (else they are left out, with a warning)."""


@dataclass(frozen=True)
class Conversion:
    """The result of converting a project: manifests in apply order, and what to tell the user."""

    project: str
    documents: tuple[dict[str, Any], ...]
    warnings: tuple[str, ...] = ()
    images_to_push: tuple[str, ...] = ()
    """Images the project builds: the cluster can only pull them once pushed."""


@dataclass
class ConversionContext:
    """The state shared by the builders while one project is converted."""

    project: Project
    options: ConversionOptions
    settings: ProjectSettings = field(init=False)
    labels: dict[str, str] = field(init=False)
    warnings: list[str] = field(default_factory=list)
    shared: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    """Documents several Pods may ask for (a service's env ConfigMap), by (kind, name)."""

    def __post_init__(self) -> None:
        self.settings = project_settings(self.project.extensions)
        self.labels = project_labels(self.project.name)

    def warn(self, message: str) -> None:
        """Record a warning for the user (each one once)."""
        if message not in self.warnings:
            self.warnings.append(message)

    def share(self, document: dict[str, Any]) -> None:
        """Add a document that may be asked for more than once; the same name must mean
        the same content."""
        key = (document["kind"], document["metadata"]["name"])
        known = self.shared.get(key)
        if known is not None and known != document:
            raise KubernetesError(f"two different {key[0]} objects would be named {key[1]}")
        self.shared[key] = document
