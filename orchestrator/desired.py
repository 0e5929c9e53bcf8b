"""What the file wants of each service: its configuration hash, image, replica count and names.

Plain data computed from the Project alone (plus the image ids found in the
store), so the planner can compare it with what is observed without touching
the engine.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from orchestrator.errors import OrchestratorError
from specs.hashing import hashed_config
from specs.model import Project, Service

CONTENT_KEY = "configs and secrets content"
"""The pseudo-key under which the content of a service's configs and secrets is compared."""


@dataclass(frozen=True)
class DesiredService:
    """One service as the file wants it."""

    name: str
    config_hash: str
    image: str
    """The image reference the service runs."""
    replicas: int
    image_id: str | None = None
    """The id of that image in the store; None when it is not there (yet)."""
    container_name: str | None = None
    """The fixed `container_name`, if any (then only one replica is possible)."""
    config: Mapping[str, Any] = field(default_factory=dict)
    """The hashed part of the configuration, by Compose key, for telling what changed."""


def container_name(project: str, service: str, number: int, fixed: str | None = None) -> str:
    """`<project>-<service>-<number>`, as Compose v2 names containers, or `container_name`."""
    return fixed or f"{project}-{service}-{number}"


def comparable_config(service: Service) -> dict[str, Any]:
    """What a change of the service's hash is made of, by key (content as one pseudo-key)."""
    config = hashed_config(service)
    if service.content_digest:
        config[CONTENT_KEY] = service.content_digest
    return config


def desired_services(
    project: Project,
    *,
    scale: Mapping[str, int] | None = None,
    image_ids: Mapping[str, str | None] | None = None,
) -> dict[str, DesiredService]:
    """Every enabled service of the project as wanted; `scale` overrides replica counts
    (`--scale web=3`), `image_ids` gives the store's id of each service's image."""
    overrides = dict(scale or {})
    unknown = sorted(set(overrides) - set(project.services))
    if unknown:
        raise OrchestratorError(f"cannot scale {unknown[0]}: the project has no such service")
    wanted: dict[str, DesiredService] = {}
    for name, service in project.services.items():
        replicas = overrides.get(name, service.replicas)
        if service.container_name and replicas > 1:
            raise OrchestratorError(
                f"service {name} sets container_name {service.container_name}, so it cannot "
                f"run {replicas} replicas: remove container_name or scale it to 1"
            )
        wanted[name] = DesiredService(
            name=name,
            config_hash=service.config_hash(),
            image=project.image_name(service),
            replicas=replicas,
            image_id=(image_ids or {}).get(name),
            container_name=service.container_name,
            config=comparable_config(service),
        )
    return wanted


def changed_keys(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> list[str]:
    """The top-level keys whose values differ between two configurations (sorted);
    `["configuration"]` when the old one is not known."""
    if old is None:
        return ["configuration"]
    return sorted(key for key in set(old) | set(new) if old.get(key) != new.get(key))
