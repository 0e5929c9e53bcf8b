"""Compose's label names, and the labels a project's containers, networks and volumes carry.

The names are Docker Compose's own, so tools that read them (dashboards,
`docker compose`-aware scripts, log shippers) see pycompose's containers the
same way. The reconciler reads everything it needs about what exists back
from these labels; nothing is kept in memory between commands.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from orchestrator.version import version

PREFIX = "com.docker.compose."
PROJECT = PREFIX + "project"
SERVICE = PREFIX + "service"
NUMBER = PREFIX + "container-number"
CONFIG_HASH = PREFIX + "config-hash"
IMAGE = PREFIX + "image"
ONEOFF = PREFIX + "oneoff"
WORKING_DIR = PREFIX + "project.working_dir"
CONFIG_FILES = PREFIX + "project.config_files"
DEPENDS_ON = PREFIX + "depends_on"
COMPOSE_VERSION = PREFIX + "version"
NETWORK = PREFIX + "network"
VOLUME = PREFIX + "volume"


@dataclass(frozen=True)
class ContainerIdentity:
    """Who a container is to its project: service, replica number, one-off or not."""

    project: str
    service: str
    number: int
    oneoff: bool = False


def container_labels(
    identity: ContainerIdentity,
    *,
    config_hash: str,
    image_id: str,
    working_dir: str,
    config_files: list[str],
    depends_on: Mapping[str, tuple[str, bool]],
) -> dict[str, str]:
    """The Compose labels of one container of a service.

    `depends_on` maps a dependency to (condition, restart), written as Compose writes
    it: `db:service_healthy:false,cache:service_started:true`.
    """
    return {
        PROJECT: identity.project,
        SERVICE: identity.service,
        NUMBER: str(identity.number),
        CONFIG_HASH: config_hash,
        IMAGE: image_id,
        ONEOFF: "True" if identity.oneoff else "False",
        WORKING_DIR: working_dir,
        CONFIG_FILES: ",".join(config_files),
        DEPENDS_ON: ",".join(
            f"{name}:{condition}:{'true' if restart else 'false'}"
            for name, (condition, restart) in sorted(depends_on.items())
        ),
        COMPOSE_VERSION: version(),
    }


def parse_depends_on(text: str) -> dict[str, tuple[str, bool]]:
    """The `depends_on` label back: dependency -> (condition, restart)."""
    found: dict[str, tuple[str, bool]] = {}
    for entry in filter(None, text.split(",")):
        name, _, rest = entry.partition(":")
        condition, _, restart = rest.partition(":")
        found[name] = (condition or "service_started", restart == "true")
    return found


def resource_labels(project: str, kind: str, key: str) -> dict[str, str]:
    """Labels of a project's network or volume (`kind` is NETWORK or VOLUME)."""
    return {PROJECT: project, kind: key, COMPOSE_VERSION: version()}


def project_filter(project: str) -> dict[str, str]:
    """The label filter selecting everything of one project."""
    return {PROJECT: project}


def identity_of(labels: Mapping[str, str]) -> ContainerIdentity | None:
    """The identity a container's labels give, or None for a container of no project."""
    project = labels.get(PROJECT)
    service = labels.get(SERVICE)
    if not project or not service:
        return None
    try:
        number = int(labels.get(NUMBER, "0"))
    except ValueError:
        number = 0
    return ContainerIdentity(project, service, number, labels.get(ONEOFF) == "True")
