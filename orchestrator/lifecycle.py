"""Acting on a project's existing containers in dependency order: start, stop, restart, kill,
pause, unpause, remove, and `down`.

The order comes from the containers themselves (their `depends_on` labels),
so these commands need no Compose file: `pycompose -p app stop` works after
the file is gone. Dependents stop before what they need and start after it;
the containers of one wave are handled side by side.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from orchestrator import labels as L
from orchestrator.errors import OrchestratorError
from orchestrator.graph import Dependency, ServiceGraph
from orchestrator.progress import Progress
from orchestrator.waiting import wait_for_condition

if TYPE_CHECKING:
    from runtime.containers.model import Container
    from runtime.engine import Engine

PARALLEL = 8


def label_graph(containers: Iterable[Container]) -> ServiceGraph:
    """The dependency graph of the services the containers belong to, from their labels."""
    dependencies: dict[str, dict[str, Dependency]] = {}
    for container in containers:
        identity = L.identity_of(container.labels)
        if identity is None or identity.oneoff:
            continue
        needs = dependencies.setdefault(identity.service, {})
        for name, (condition, restart) in L.parse_depends_on(
            container.labels.get(L.DEPENDS_ON, "")
        ).items():
            needs[name] = Dependency(condition=condition, restart=restart)
    return ServiceGraph.from_dependencies(dependencies)


def waves(containers: Sequence[Container], *, reverse: bool = False) -> list[list[Container]]:
    """The containers grouped in dependency waves (one-off containers in a wave of their own,
    first when stopping, last when starting)."""
    graph = label_graph(containers)
    by_service: dict[str, list[Container]] = {}
    oneoffs: list[Container] = []
    for container in containers:
        identity = L.identity_of(container.labels)
        if identity is None or identity.oneoff:
            oneoffs.append(container)
        else:
            by_service.setdefault(identity.service, []).append(container)
    ordered = [
        [c for service in wave for c in by_service.get(service, [])] for wave in graph.waves()
    ]
    ordered = [wave for wave in ordered if wave]
    if reverse:
        ordered.reverse()
        return [oneoffs, *ordered] if oneoffs else ordered
    return [*ordered, oneoffs] if oneoffs else ordered


def _each(
    wave: list[Container],
    work: Callable[[Container], object],
    progress: Progress,
    doing: str,
    done: str,
) -> list[str]:
    failures: list[str] = []

    def one(container: Container) -> None:
        progress.update("Container", container.name, doing)
        try:
            work(container)
        except Exception as exc:
            progress.fail("Container", container.name, "Error")
            failures.append(f"{container.name}: {exc}")
            return
        progress.update("Container", container.name, done, done=True)

    with ThreadPoolExecutor(max_workers=max(1, min(PARALLEL, len(wave)))) as pool:
        list(pool.map(one, wave))
    return failures


def _run_waves(
    plan: list[list[Container]],
    work: Callable[[Container], object],
    progress: Progress,
    doing: str,
    done: str,
) -> None:
    failures: list[str] = []
    for wave in plan:
        failures += _each(wave, work, progress, doing, done)
    if failures:
        raise OrchestratorError("; ".join(failures))


def stop(
    engine: Engine, containers: Sequence[Container], progress: Progress, timeout: float | None
) -> None:
    """Stop running containers, dependents first."""
    running = [c for c in containers if c.state.running]
    _run_waves(
        waves(running, reverse=True),
        lambda c: engine.containers.stop(c.id, timeout=timeout),
        progress,
        "Stopping",
        "Stopped",
    )


def start(engine: Engine, containers: Sequence[Container], progress: Progress) -> None:
    """Start stopped containers, dependencies first, each once its dependencies' conditions hold."""
    graph = label_graph(containers)
    by_service: dict[str, list[Container]] = {}
    for container in containers:
        identity = L.identity_of(container.labels)
        if identity is not None and not identity.oneoff:
            by_service.setdefault(identity.service, []).append(container)

    def work(container: Container) -> None:
        identity = L.identity_of(container.labels)
        if identity is not None and identity.service in graph:
            for dependency, edge in graph.dependencies(identity.service).items():
                for needed in by_service.get(dependency, []):
                    wait_for_condition(
                        engine.containers,
                        needed.id,
                        dependency,
                        edge.condition,
                        needed_by=identity.service,
                    )
        if not container.state.running:
            engine.containers.start(container.id)

    _run_waves(waves(containers), work, progress, "Starting", "Started")


def restart(
    engine: Engine, containers: Sequence[Container], progress: Progress, timeout: float | None
) -> None:
    """Restart containers, dependencies first."""
    _run_waves(
        waves(containers),
        lambda c: engine.containers.restart(c.id, timeout=timeout),
        progress,
        "Restarting",
        "Restarted",
    )


def kill(engine: Engine, containers: Sequence[Container], progress: Progress, signal: str) -> None:
    """Send a signal to every running container at once."""
    running = [c for c in containers if c.state.running]
    _run_waves(
        [running],
        lambda c: engine.containers.kill(c.id, signal),
        progress,
        "Killing",
        "Killed",
    )


def pause(engine: Engine, containers: Sequence[Container], progress: Progress) -> None:
    running = [c for c in containers if c.state.status == "running"]
    _run_waves([running], lambda c: engine.containers.pause(c.id), progress, "Pausing", "Paused")


def unpause(engine: Engine, containers: Sequence[Container], progress: Progress) -> None:
    paused = [c for c in containers if c.state.status == "paused"]
    _run_waves(
        [paused], lambda c: engine.containers.unpause(c.id), progress, "Unpausing", "Unpaused"
    )


def remove(
    engine: Engine,
    containers: Sequence[Container],
    progress: Progress,
    *,
    volumes: bool = False,
    timeout: float | None = None,
) -> None:
    """Stop (dependents first) and remove containers; `volumes`: their anonymous volumes too."""

    def work(container: Container) -> None:
        if container.state.running:
            engine.containers.stop(container.id, timeout=timeout)
        engine.containers.remove(container.id, force=True, volumes=volumes)

    _run_waves(waves(containers, reverse=True), work, progress, "Removing", "Removed")


@dataclass(frozen=True)
class DownOptions:
    """`down -v --rmi --remove-orphans -t`."""

    volumes: bool = False
    images: str | None = None
    """`local` (images built for the project) or `all`."""
    remove_orphans: bool = False
    timeout: float | None = None
    services: frozenset[str] | None = None
    """The services of the file (None without a file: every container of the project goes)."""
    image_names: dict[str, tuple[str, bool]] = field(default_factory=dict)
    """Service -> (its image, whether the project builds it without a name of its own)."""


def down(engine: Engine, project: str, options: DownOptions, progress: Progress) -> list[str]:
    """Stop and remove the project's containers, networks and (with -v) volumes; returns
    warnings (orphans left behind)."""
    from orchestrator import resources, service_files
    from orchestrator.records import ServiceConfigs

    warnings: list[str] = []
    found = engine.containers.list(all=True, labels={L.PROJECT: project})
    chosen = []
    for container in found:
        service = container.labels.get(L.SERVICE, "")
        orphan = options.services is not None and service not in options.services
        oneoff = container.labels.get(L.ONEOFF) == "True"
        if orphan and not oneoff and not options.remove_orphans:
            continue
        chosen.append(container)
    orphans = sorted(
        {c.labels.get(L.SERVICE, "") for c in found} - {c.labels.get(L.SERVICE, "") for c in chosen}
    )
    if orphans:
        warnings.append(orphan_warning(orphans))
    remove(engine, chosen, progress, volumes=options.volumes, timeout=options.timeout)
    if len(chosen) == len(found):
        for name in resources.remove_networks(engine, project):
            progress.update("Network", name, "Removed", done=True)
        service_files.forget(engine.store.layout.root, project)
        ServiceConfigs(engine.store).forget(project)
    if options.volumes:
        for name in resources.remove_volumes(engine, project):
            progress.update("Volume", name, "Removed", done=True)
    if options.images:
        _remove_images(engine, options, progress)
    return warnings


def _remove_images(engine: Engine, options: DownOptions, progress: Progress) -> None:
    from runtime.images.garbage import remove_image

    seen: set[str] = set()
    for image, built_locally in options.image_names.values():
        if image in seen or (options.images == "local" and not built_locally):
            continue
        seen.add(image)
        if engine.images.resolve(image) is None:
            continue
        try:
            remove_image(engine.store, image)
        except Exception as exc:
            progress.note(f"pycompose: warning: image {image} kept: {exc}")
            continue
        progress.update("Image", image, "Removed", done=True)


def orphan_warning(services: Sequence[str]) -> str:
    """Compose's words about containers of services the file no longer has."""
    return (
        f"found orphan containers of services {', '.join(services)}: if you removed or renamed "
        "those services in the file, run this command with --remove-orphans to clean them up"
    )
