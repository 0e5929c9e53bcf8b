"""`up` and `create` as a pipeline: select, lock, observe, images, plan, converge, wait.

    select the services (named ones and what they need, or all) -> take the
    project lock -> observe what exists -> pull/build what is missing ->
    plan (desired vs observed) -> print it (--dry-run stops here) -> converge
    -> optionally wait until everything is running or healthy.

The lock (`project-<name>` in the store's locks) makes two `up`s of one
project take turns; different projects run side by side.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from orchestrator.converge import ConvergeOptions, Converger, ConvergeResult
from orchestrator.desired import desired_services
from orchestrator.errors import OrchestratorError
from orchestrator.graph import ServiceGraph
from orchestrator.images import ImageOptions, ensure_images, image_ids, plan_images
from orchestrator.observed import observe
from orchestrator.plan import Action, Plan, PlanOptions, plan_project
from orchestrator.progress import Progress
from orchestrator.records import ServiceConfigs
from orchestrator.resources import plan_resources, resource_names
from orchestrator.waiting import COMPLETED, HEALTHY, STARTED, wait_for_condition
from runtime.crashpoints import crashpoint
from specs.model import Project

if TYPE_CHECKING:
    from runtime.engine import Engine

LOCK_TIMEOUT = 600.0


@dataclass(frozen=True)
class UpOptions:
    """Everything `up` / `create` was asked on the command line."""

    services: tuple[str, ...] = ()
    no_deps: bool = False
    scale: dict[str, int] = field(default_factory=dict)
    images: ImageOptions = field(default_factory=ImageOptions)
    plan: PlanOptions = field(default_factory=PlanOptions)
    converge: ConvergeOptions = field(default_factory=ConvergeOptions)
    dry_run: bool = False
    wait: bool = False
    wait_timeout: float | None = None


@dataclass
class UpReport:
    """What `up` did: the plans, the result of converging, and what is worth a warning."""

    image_actions: list[Action] = field(default_factory=list)
    resource_actions: list[Action] = field(default_factory=list)
    plan: Plan = field(default_factory=Plan)
    result: ConvergeResult = field(default_factory=ConvergeResult)
    services: list[str] = field(default_factory=list)

    @property
    def nothing_to_do(self) -> bool:
        return not self.image_actions and not self.resource_actions and self.plan.empty

    def lines(self) -> list[str]:
        """The whole plan, as `up --dry-run` prints it."""
        return [
            action.describe()
            for action in (*self.image_actions, *self.resource_actions, *self.plan.actions)
        ]


def select_services(graph: ServiceGraph, names: tuple[str, ...], no_deps: bool) -> list[str]:
    """The services an `up NAME...` works on: all, or the named ones and (unless `no_deps`)
    everything they need; in start order."""
    if not names:
        return graph.services
    unknown = [name for name in names if name not in graph]
    if unknown:
        raise OrchestratorError(f"no such service: {unknown[0]}")
    chosen = set(names) if no_deps else graph.with_dependencies(names)
    return [name for name in graph.services if name in chosen]


def up(
    engine: Engine,
    project: Project,
    options: UpOptions,
    progress: Progress,
    *,
    on_plan: Callable[[UpReport], None] | None = None,
) -> UpReport:
    """Converge the project (or the chosen services) to the file; see the module docstring."""
    graph = ServiceGraph(project)
    services = select_services(graph, options.services, options.no_deps)
    report = UpReport(services=services)
    with engine.store.lock(f"project-{project.name}", timeout=LOCK_TIMEOUT):
        if not options.dry_run:
            engine.recover()  # what an `up` or `down` killed half-way left
        crashpoint("up: project locked")
        networks, volumes = resource_names(project, services)
        observed = observe(engine, project.name, networks=networks, volumes=volumes)
        report.image_actions = plan_images(
            project, services, lambda ref: engine.images.resolve(ref) is not None, options.images
        )
        if report.image_actions and not options.dry_run:
            ensure_images(engine, project, report.image_actions, progress)
            crashpoint("up: images ready")
        desired = desired_services(
            project, scale=options.scale, image_ids=image_ids(engine, project, services)
        )
        report.resource_actions = plan_resources(project, services, observed)
        targets = frozenset(options.services) if options.services else None
        plan_options = PlanOptions(
            targets=targets,
            force_recreate=options.plan.force_recreate,
            no_recreate=options.plan.no_recreate,
            remove_orphans=options.plan.remove_orphans,
        )
        report.plan = plan_project(
            desired,
            graph,
            observed,
            services=services,
            configs=ServiceConfigs(engine.store).recall(observed.config_hashes),
            options=plan_options,
        )
        if on_plan is not None:
            on_plan(report)
        if options.dry_run:
            return report
        converger = Converger(engine, project, graph, desired, progress, options.converge)
        report.result = converger.apply(report.plan, report.resource_actions)
    if report.result.failures:
        raise OrchestratorError(_failure_text(report.result.failures))
    if options.wait:
        wait_until_ready(engine, report, options.wait_timeout, progress)
    return report


def _failure_text(failures: list[str]) -> str:
    if len(failures) == 1:
        return failures[0]
    return f"{len(failures)} containers failed:\n  " + "\n  ".join(failures)


def wait_until_ready(
    engine: Engine, report: UpReport, timeout: float | None, progress: Progress
) -> None:
    """`--wait`: every container of the run running, and healthy where it has a healthcheck
    (one that ran to completion with exit code 0 counts)."""
    deadline = None if timeout is None else time.monotonic() + timeout
    for (service, _number), container_id in sorted(report.result.containers.items()):
        container = engine.containers.find(container_id)
        if container is None:
            continue
        has_health = container.state.health is not None
        condition = HEALTHY if has_health else STARTED
        if container.state.status == "exited" and container.state.exit_code == 0:
            condition = COMPLETED
        wait_for_condition(engine.containers, container_id, service, condition, deadline=deadline)
        if has_health:
            progress.update("Container", container.name, "Healthy", done=True)
