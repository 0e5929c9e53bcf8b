"""Carrying out a plan: removals, networks and volumes, then each replica once its dependencies allow.

Every step is safe to repeat and leaves the store saying what exists, so a
run killed at any point (even with SIGKILL) is finished by the next `up`:

- a recreation stops and removes the old container before the new one is
  made under the same name; killed in between, the next plan sees no
  container (create) or a created one (start);
- the configuration behind a config hash is recorded before a container is
  made from it, configs and secrets are written before the container that
  mounts them;
- networks and volumes are made idempotently, before any container needs them.

Replicas run on the replica graph (`ServiceGraph.replicas`) through
`scheduler.run_graph`: a replica waits for its dependencies' conditions
(`waiting.wait_for_condition`) without holding one of the `--parallel`
slots, then takes a slot for its engine calls.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from orchestrator.desired import DesiredService
from orchestrator.errors import OrchestratorError
from orchestrator.graph import ServiceGraph
from orchestrator.plan import Action, ActionKind, Plan
from orchestrator.progress import Progress
from orchestrator.replicas import anonymous_volumes, replica_request
from orchestrator.resources import create_network, create_volume
from orchestrator.scheduler import Outcome, run_graph
from orchestrator.waiting import DependencyFailed, wait_for_condition
from specs.model import Project

if TYPE_CHECKING:
    from runtime.engine import Engine

DEFAULT_PARALLEL = 8
ReplicaKey = tuple[str, int]


@dataclass(frozen=True)
class ConvergeOptions:
    """How to carry out a plan."""

    parallel: int = DEFAULT_PARALLEL
    """Engine operations at once (`--parallel`, COMPOSE_PARALLEL_LIMIT)."""
    stop_timeout: float | None = None
    """`-t`: seconds between the stop signal and SIGKILL (default: each service's)."""
    start: bool = True
    """False for `create`: containers are made, not started."""
    wait_timeout: float | None = None
    """Longest wait for a dependency's condition, in seconds (None: as long as it takes)."""


@dataclass
class ConvergeResult:
    """What a run left: each replica's container, and what failed."""

    containers: dict[ReplicaKey, str] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


class Converger:
    """Carries out plans for one project on one engine."""

    def __init__(
        self,
        engine: Engine,
        project: Project,
        graph: ServiceGraph,
        desired: Mapping[str, DesiredService],
        progress: Progress,
        options: ConvergeOptions | None = None,
    ):
        self.engine = engine
        self.project = project
        self.graph = graph
        self.desired = desired
        self.progress = progress
        self.options = options or ConvergeOptions()
        self.slots = threading.BoundedSemaphore(max(1, self.options.parallel))
        self.cancel = threading.Event()
        self._deadline: float | None = None
        self._in_run: set[str] = set()
        self._result = ConvergeResult()

    # -- the whole run ---------------------------------------------------------------------

    def apply(self, plan: Plan, resources: list[Action]) -> ConvergeResult:
        """Carry out `resources` (networks, volumes) and the plan's container actions."""
        if self.options.wait_timeout is not None:
            self._deadline = time.monotonic() + self.options.wait_timeout
        self._result = ConvergeResult()
        if not resources and not plan.changes:
            for action in plan.actions:
                self._keep(action)
            return self._result
        self._make_resources(resources)
        removals = [a for a in plan.actions if a.kind is ActionKind.REMOVE]
        self._remove_all(removals)
        replicas = {
            (a.service, a.number): a
            for a in plan.actions
            if a.kind is not ActionKind.REMOVE and a.service is not None and a.number is not None
        }
        self._in_run = {service for service, _number in replicas}
        self._run_replicas(replicas)
        return self._result

    def _make_resources(self, actions: list[Action]) -> None:
        for action in actions:
            kind = "Network" if action.kind is ActionKind.CREATE_NETWORK else "Volume"
            self.progress.update(kind, action.target, "Creating")
            try:
                if action.kind is ActionKind.CREATE_NETWORK:
                    create_network(self.engine, self.project, action.target)
                else:
                    create_volume(self.engine, self.project, action.target)
            except Exception:
                self.progress.fail(kind, action.target, "Error")
                raise
            self.progress.update(kind, action.target, "Created", done=True)

    def _remove_all(self, removals: list[Action]) -> None:
        from concurrent.futures import ThreadPoolExecutor

        if not removals:
            return
        with ThreadPoolExecutor(max_workers=max(1, self.options.parallel)) as pool:
            for future in [pool.submit(self._remove, action) for action in removals]:
                future.result()

    def _remove(self, action: Action) -> None:
        assert action.container_id is not None
        self.progress.update("Container", action.target, "Stopping")
        with self.slots:
            self._stop_and_remove(action.container_id, action.target)
        self.progress.update("Container", action.target, "Removed", done=True)

    def _run_replicas(self, replicas: dict[ReplicaKey, Action]) -> None:
        scale = {name: wanted.replicas for name, wanted in self.desired.items()}
        everything = self.graph.replicas(scale)
        graph = everything.subgraph(replicas).copy()
        for first, second in graph.edges:
            edge = self.graph.edge(first[0], second[0])
            graph.edges[first, second]["required"] = edge.required
        outcomes: dict[ReplicaKey, Outcome[ReplicaKey]] = run_graph(
            graph, lambda key: self._replica(replicas[key]), self.cancel
        )
        for key, outcome in sorted(outcomes.items()):
            if not outcome.ok:
                self._result.failures.append(self._failure(replicas[key], outcome))

    def _failure(self, action: Action, outcome: Outcome[ReplicaKey]) -> str:
        if outcome.skipped_because is not None:
            cause = outcome.skipped_because[0]
            return f"{action.target}: not started, because {cause} failed"
        error = outcome.error
        if isinstance(error, (OrchestratorError, DependencyFailed)) or _is_engine_error(error):
            return f"{action.target}: {error}"
        return f"{action.target}: {type(error).__name__}: {error}"

    # -- one replica -----------------------------------------------------------------------

    def _replica(self, action: Action) -> None:
        assert action.service is not None and action.number is not None
        key = (action.service, action.number)
        name = action.container_name or action.target
        if action.kind is ActionKind.KEEP:
            self._keep(action)
            return
        if self.options.start or action.kind is ActionKind.RESTART:
            self._wait_for_dependencies(action.service, name)
        with self.slots:
            container_id = self._carry_out(action, name)
        self._result.containers[key] = container_id

    def _keep(self, action: Action) -> None:
        assert action.service is not None and action.number is not None
        assert action.container_id is not None
        self._result.containers[action.service, action.number] = action.container_id
        status = "Completed" if action.reason.startswith("completed") else "Running"
        self.progress.update("Container", action.container_name or action.target, status, done=True)

    def _carry_out(self, action: Action, name: str) -> str:
        containers = self.engine.containers
        kind = action.kind
        try:
            if kind is ActionKind.RESTART:
                assert action.container_id is not None
                self.progress.update("Container", name, "Restarting")
                containers.restart(action.container_id, timeout=self.options.stop_timeout)
                self.progress.update("Container", name, "Restarted", done=True)
                return action.container_id
            if kind is ActionKind.START:
                assert action.container_id is not None
                if self.options.start:
                    self.progress.update("Container", name, "Starting")
                    containers.start(action.container_id)
                    self.progress.update("Container", name, "Started", done=True)
                else:
                    self.progress.update("Container", name, "Created", done=True)
                return action.container_id
            carried: dict[str, str] = {}
            if kind is ActionKind.RECREATE:
                assert action.container_id is not None
                self.progress.update("Container", name, "Recreate")
                carried = anonymous_volumes(self.engine, action.container_id)
                self._stop_and_remove(action.container_id, name)
            self.progress.update("Container", name, "Creating")
            created = self._create(action, name, carried)
            if self.options.start:
                self.progress.update("Container", name, "Starting")
                containers.start(created)
                self.progress.update("Container", name, "Started", done=True)
            else:
                self.progress.update("Container", name, "Created", done=True)
            return created
        except Exception:
            self.progress.fail("Container", name, "Error")
            raise

    def _stop_and_remove(self, container_id: str, name: str) -> None:
        from runtime.containers.errors import ContainerNotFound

        containers = self.engine.containers
        try:
            containers.stop(container_id, timeout=self.options.stop_timeout)
            containers.remove(container_id, force=True)
        except ContainerNotFound:
            pass

    def _wait_for_dependencies(self, service: str, name: str) -> None:
        """Wait for the conditions of the dependencies converged in this run (those left out
        with `--no-deps` are not waited for, as Compose does not)."""
        for dependency, edge in self.graph.dependencies(service).items():
            ids = self._dependency_containers(dependency)
            if ids is None:
                continue
            if not ids:
                if edge.required:
                    raise DependencyFailed(f"dependency {dependency} of {service} has no container")
                self._result.warnings.append(
                    f"{service}: optional dependency {dependency} is missing"
                )
                continue
            if edge.condition != "service_started":
                self.progress.update("Container", name, "Waiting")
            for container_id in ids:
                try:
                    wait_for_condition(
                        self.engine.containers,
                        container_id,
                        dependency,
                        edge.condition,
                        deadline=self._deadline,
                        needed_by=service,
                    )
                except DependencyFailed as exc:
                    if edge.required:
                        raise
                    self._result.warnings.append(f"{service}: {exc} (optional, went on)")

    def _dependency_containers(self, service: str) -> list[str] | None:
        """The containers of a dependency converged in this run; None when it is not part
        of the run."""
        if service not in self._in_run:
            return None
        return [
            container_id
            for (name, _number), container_id in sorted(self._result.containers.items())
            if name == service
        ]

    # -- making a container ----------------------------------------------------------------

    def _create(self, action: Action, name: str, carried: Mapping[str, str]) -> str:
        assert action.service is not None and action.number is not None
        request = replica_request(
            self.engine,
            self.project,
            self.graph,
            self.project.services[action.service],
            name=name,
            number=action.number,
            carried_volumes=carried,
        )
        return self.engine.containers.create(request).id


def _is_engine_error(error: BaseException | None) -> bool:
    from runtime.errors import EngineError

    return isinstance(error, EngineError)
