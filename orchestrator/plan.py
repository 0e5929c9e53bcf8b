"""The plan: what to do to make what exists match the file, one action per thing, each with a reason.

`plan_project` is a pure function of the desired services, the dependency
graph, the observed project and the options of the command; `up --dry-run`
prints its result, `converge` carries it out. The rules:

- a replica with no container is created; one whose config hash or image
  changed is recreated (always with `--force-recreate` for the services
  named, never with `--no-recreate`); one that is not running is started;
  anything else is kept;
- replicas above the wanted count go (scale down), highest number first, and
  two containers claiming one replica number (a crash between a create and a
  remove) become one;
- a recreated service takes the services living in its namespaces with it,
  and restarts those that declared `restart: true` on it;
- containers of services the file no longer has are orphans: removed with
  `--remove-orphans`, otherwise only reported.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from orchestrator.desired import DesiredService, changed_keys, container_name
from orchestrator.graph import ServiceGraph
from orchestrator.observed import ObservedContainer, ObservedProject

COMPLETED = "service_completed_successfully"

REPLACEABLE_STATES = frozenset({"dead", "removing"})


class ActionKind(StrEnum):
    """What an action does."""

    CREATE_NETWORK = "create network"
    CREATE_VOLUME = "create volume"
    PULL = "pull"
    BUILD = "build"
    CREATE = "create"
    RECREATE = "recreate"
    START = "start"
    RESTART = "restart"
    REMOVE = "remove"
    KEEP = "keep"


@dataclass(frozen=True)
class Action:
    """One step of a plan."""

    kind: ActionKind
    target: str
    """What the action is about, as a user reads it: `web`, `web-2`, `app_default`."""
    reason: str
    service: str | None = None
    number: int | None = None
    container_id: str | None = None
    """The existing container the action replaces, starts or removes."""
    container_name: str | None = None
    """The name of the container the action leaves behind (create, recreate)."""

    def describe(self) -> str:
        """`web: recreate (environment changed)`."""
        return f"{self.target}: {self.kind.value} ({self.reason})"

    @property
    def changes(self) -> bool:
        """Whether carrying it out changes anything."""
        return self.kind is not ActionKind.KEEP


@dataclass(frozen=True)
class Plan:
    """The actions to converge a project, in an order that respects dependencies."""

    actions: tuple[Action, ...] = ()
    orphans: tuple[ObservedContainer, ...] = ()
    """Orphans found and left alone (without `--remove-orphans`)."""

    @property
    def changes(self) -> list[Action]:
        """The actions that change something."""
        return [action for action in self.actions if action.changes]

    @property
    def empty(self) -> bool:
        """Whether there is nothing to do."""
        return not self.changes

    def lines(self) -> list[str]:
        """The plan as a user reads it (`up --dry-run`)."""
        return [action.describe() for action in self.actions]


@dataclass(frozen=True)
class PlanOptions:
    """What the command line asks of the plan."""

    targets: frozenset[str] | None = None
    """The services named on the command line (None: all), whose containers
    `--force-recreate` replaces."""
    force_recreate: bool = False
    no_recreate: bool = False
    remove_orphans: bool = False


@dataclass
class _Draft:
    """Container actions by replica, as they are being decided, and what decides them."""

    project: str
    configs: Mapping[str, Mapping[str, Any]]
    options: PlanOptions
    one_shots: frozenset[str] = frozenset()
    """Services others wait on to complete: once done, they are not run again."""
    actions: dict[tuple[str, int], Action] = field(default_factory=dict)
    removals: list[Action] = field(default_factory=list)


def _label(service: DesiredService, number: int) -> str:
    return service.name if service.replicas == 1 and number == 1 else f"{service.name}-{number}"


def _keeper(candidates: list[ObservedContainer], wanted: DesiredService) -> ObservedContainer:
    """Of several containers for one replica, the one to keep: up to date and running first."""
    return max(
        candidates,
        key=lambda c: (
            c.config_hash == wanted.config_hash and c.image_id == wanted.image_id,
            c.running,
            c.created,
        ),
    )


def _recreate_reason(
    container: ObservedContainer,
    wanted: DesiredService,
    configs: Mapping[str, Mapping[str, Any]],
) -> str | None:
    """Why the container no longer matches the file, or None when it does."""
    changed: list[str] = []
    if wanted.image_id is not None and container.image_id != wanted.image_id:
        changed.append("image")
    if container.config_hash != wanted.config_hash:
        changed += changed_keys(configs.get(container.config_hash), wanted.config)
    if not changed:
        return None
    return f"{', '.join(changed)} changed"


def _plan_replica(
    wanted: DesiredService, number: int, candidates: list[ObservedContainer], draft: _Draft
) -> None:
    options = draft.options
    label = _label(wanted, number)
    name = container_name(draft.project, wanted.name, number, wanted.container_name)
    if not candidates:
        draft.actions[wanted.name, number] = Action(
            ActionKind.CREATE,
            label,
            "not created yet",
            service=wanted.name,
            number=number,
            container_name=name,
        )
        return
    keeper = _keeper(candidates, wanted)
    for other in candidates:
        if other is not keeper:
            draft.removals.append(
                Action(
                    ActionKind.REMOVE,
                    other.name,
                    f"a second container for {label}",
                    service=wanted.name,
                    number=number,
                    container_id=other.id,
                )
            )
    reason = _recreate_reason(keeper, wanted, draft.configs)
    completed = (
        keeper.state == "exited" and keeper.exit_code == 0 and wanted.name in draft.one_shots
    )
    forced = options.force_recreate and (options.targets is None or wanted.name in options.targets)
    if keeper.state in REPLACEABLE_STATES:
        kind, why = ActionKind.RECREATE, f"container is {keeper.state}"
    elif forced:
        kind, why = ActionKind.RECREATE, "--force-recreate"
    elif reason is not None and not options.no_recreate:
        kind, why = ActionKind.RECREATE, reason
    elif completed:
        kind, why = ActionKind.KEEP, "completed successfully"
    elif not keeper.running:
        kind, why = ActionKind.START, f"container is {keeper.state}"
    else:
        kind, why = ActionKind.KEEP, "up to date" if reason is None else f"{reason}; --no-recreate"
    draft.actions[wanted.name, number] = Action(
        kind,
        label,
        why,
        service=wanted.name,
        number=number,
        container_id=keeper.id,
        container_name=name if kind is ActionKind.RECREATE else keeper.name,
    )


def _one_shots(graph: ServiceGraph, options: PlanOptions) -> frozenset[str]:
    """Services some other service waits on to complete (migrations, seeds), except those
    named on the command line: `up migrate` runs it again."""
    found = {
        service
        for service in graph.services
        for dependent in graph.dependents(service)
        if graph.edge(service, dependent).condition == COMPLETED
    }
    return frozenset(found - (options.targets or frozenset()))


def _follow_owners(graph: ServiceGraph, draft: _Draft, options: PlanOptions) -> None:
    """Recreate what lives in a recreated service's namespaces; restart what asked to."""
    for owner in graph.services:
        recreated = any(
            action.kind is ActionKind.RECREATE
            for (service, _), action in draft.actions.items()
            if service == owner
        )
        if not recreated:
            continue
        followers = graph.namespace_dependents(owner)
        for key, action in list(draft.actions.items()):
            service = key[0]
            if action.kind not in (ActionKind.KEEP, ActionKind.START):
                continue
            if service in followers and not options.no_recreate:
                draft.actions[key] = _replace(
                    action, ActionKind.RECREATE, f"shares the namespaces of {owner}, recreated"
                )
            elif service in graph.restart_dependents(owner) and action.kind is ActionKind.KEEP:
                draft.actions[key] = _replace(action, ActionKind.RESTART, f"{owner} was recreated")


def _replace(action: Action, kind: ActionKind, reason: str) -> Action:
    return Action(
        kind,
        action.target,
        reason,
        service=action.service,
        number=action.number,
        container_id=action.container_id,
        container_name=action.container_name,
    )


def plan_project(
    desired: Mapping[str, DesiredService],
    graph: ServiceGraph,
    observed: ObservedProject,
    *,
    services: Iterable[str] | None = None,
    configs: Mapping[str, Mapping[str, Any]] | None = None,
    options: PlanOptions | None = None,
) -> Plan:
    """The container actions converging `services` (default: all) of the project.

    `configs` maps the config hashes of existing containers to the configuration
    they were made from (`ServiceConfigs.recall`), to name what changed.
    """
    options = options or PlanOptions()
    chosen = set(desired if services is None else services)
    draft = _Draft(observed.name, configs or {}, options, _one_shots(graph, options))
    # Services living in the namespaces of a chosen one are looked at too (their existing
    # containers only): they cannot stay behind when their owner is recreated.
    followers = {
        follower
        for name in chosen
        for follower in graph.namespace_dependents(name)
        if follower not in chosen and observed.of_service(follower)
    }
    for name in graph.services:
        if name not in chosen and name not in followers:
            continue
        wanted = desired[name]
        existing = observed.of_service(name)
        for number in range(1, wanted.replicas + 1):
            candidates = [c for c in existing if c.number == number]
            if name in followers:
                if candidates:
                    keeper = _keeper(candidates, wanted)
                    draft.actions[name, number] = Action(
                        ActionKind.KEEP,
                        _label(wanted, number),
                        "not asked for",
                        service=name,
                        number=number,
                        container_id=keeper.id,
                        container_name=keeper.name,
                    )
                continue
            _plan_replica(wanted, number, candidates, draft)
        surplus = sorted(
            (c for c in existing if c.number > wanted.replicas or c.number < 1),
            key=lambda c: -c.number,
        )
        for container in surplus:
            draft.removals.append(
                Action(
                    ActionKind.REMOVE,
                    container.name,
                    f"scale {name} to {wanted.replicas}",
                    service=name,
                    number=container.number,
                    container_id=container.id,
                )
            )
    _follow_owners(graph, draft, options)
    orphans = observed.orphans(desired)
    removals = list(draft.removals)
    if options.remove_orphans:
        removals += [
            Action(
                ActionKind.REMOVE,
                orphan.name,
                f"orphan: service {orphan.service} is not in the file",
                service=orphan.service,
                number=orphan.number,
                container_id=orphan.id,
            )
            for orphan in orphans
        ]
    ordered = [
        draft.actions[name, number]
        for name in graph.services
        for number in range(1, desired[name].replicas + 1)
        if (name, number) in draft.actions
        and (name not in followers or draft.actions[name, number].changes)
    ]
    return Plan(
        actions=(*removals, *ordered),
        orphans=() if options.remove_orphans else tuple(orphans),
    )
