"""What exists of a project, read back from the store through container, network and volume labels.

The reconciler never trusts memory: each command observes the project anew.
`ObservedProject` is plain data, so the planner that compares it with the file
is a pure function; `observe()` is the one place that reads it from an engine.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from orchestrator import labels as L

if TYPE_CHECKING:
    from runtime.containers.model import Container
    from runtime.engine import Engine

RUNNING_STATES = frozenset({"running", "restarting", "paused"})


@dataclass(frozen=True)
class ObservedContainer:
    """One container of the project as the store knows it."""

    id: str
    name: str
    service: str
    number: int
    state: str
    """`created`, `running`, `paused`, `restarting`, `exited`, `dead` or `removing`."""
    config_hash: str = ""
    image_id: str = ""
    oneoff: bool = False
    health: str | None = None
    """`starting`, `healthy` or `unhealthy`; None without a healthcheck."""
    exit_code: int | None = None
    created: str = ""
    labels: Mapping[str, str] = field(default_factory=dict)

    @property
    def running(self) -> bool:
        """Whether its process is alive (paused and restarting count)."""
        return self.state in RUNNING_STATES

    @property
    def short_id(self) -> str:
        return self.id[:12]


@dataclass(frozen=True)
class ObservedProject:
    """A project's containers, and which of the networks and volumes it wants exist."""

    name: str
    containers: tuple[ObservedContainer, ...] = ()
    networks: frozenset[str] = frozenset()
    """Names (real names, `app_default`) of the networks that exist."""
    volumes: frozenset[str] = frozenset()
    """Names of the volumes that exist."""

    def of_service(self, service: str, *, oneoff: bool = False) -> list[ObservedContainer]:
        """The service's containers (the one-off ones of `run` only when asked), by number."""
        return sorted(
            (c for c in self.containers if c.service == service and c.oneoff == oneoff),
            key=lambda c: (c.number, c.created),
        )

    def orphans(self, services: Iterable[str]) -> list[ObservedContainer]:
        """Containers of services that the file no longer has (`services`: all it has)."""
        known = set(services)
        return [c for c in self.containers if c.service not in known and not c.oneoff]

    @property
    def config_hashes(self) -> set[str]:
        return {c.config_hash for c in self.containers if c.config_hash}


def observed_container(container: Container) -> ObservedContainer | None:
    """An engine container as an ObservedContainer; None for one that belongs to no project."""
    labels = container.labels
    identity = L.identity_of(labels)
    if identity is None:
        return None
    state = container.state
    return ObservedContainer(
        id=container.id,
        name=container.name,
        service=identity.service,
        number=identity.number,
        state=state.status,
        config_hash=labels.get(L.CONFIG_HASH, ""),
        image_id=container.image_id or labels.get(L.IMAGE, ""),
        oneoff=identity.oneoff,
        health=state.health.status if state.health is not None else None,
        exit_code=state.exit_code,
        created=container.created,
        labels=dict(labels),
    )


def observe(
    engine: Engine,
    project: str,
    *,
    networks: Iterable[str] = (),
    volumes: Iterable[str] = (),
) -> ObservedProject:
    """Read the project's containers from the store, and which of the named networks and
    volumes exist."""
    found = engine.containers.list(all=True, labels=dict(L.project_filter(project)))
    containers = tuple(c for c in map(observed_container, found) if c is not None)
    # The network records alone (no netlink): observing must stay cheap for a no-change `up`.
    from runtime.network.records import NetworkRecords

    records = NetworkRecords(engine.store.db)
    return ObservedProject(
        name=project,
        containers=containers,
        networks=frozenset(name for name in networks if records.network(name) is not None),
        volumes=frozenset(name for name in volumes if engine.volumes.exists(name)),
    )
