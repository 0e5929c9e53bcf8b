"""The dependency graph of a project's services, and of their replicas.

An edge runs from a dependency to the service that needs it (`db -> web`), so
a topological order is a start order and its reverse a stop order. Edges come
from `depends_on` (which the loader already extends with what Compose implies)
and, again here so a hand-made Project is read the same way, from
`network_mode: service:x`, `ipc: service:x`, `pid: service:x`, `volumes_from`
and `links`. Each edge remembers why it exists: its condition, whether it is
required, whether the dependent restarts with the dependency, and whether the
dependent lives in the dependency's namespaces (then it cannot outlive a
recreation of it).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

import networkx as nx

from orchestrator.errors import OrchestratorError
from specs.model import Project, Service

SERVICE_PREFIX = "service:"
NAMESPACE_KEYS = ("network_mode", "ipc", "pid", "uts")


class DependencyCycle(OrchestratorError):
    """Services that depend on each other in a circle."""


@dataclass(frozen=True)
class Dependency:
    """Why `dependent` needs `dependency`, and how it waits for it."""

    condition: str = "service_started"
    required: bool = True
    restart: bool = False
    namespaces: frozenset[str] = field(default_factory=frozenset)
    """The namespace keys (`network_mode`, `ipc`...) the dependent shares with it."""


def _implied(service: Service) -> Iterator[tuple[str, frozenset[str]]]:
    """Dependencies Compose adds on its own, with the namespaces shared through each."""
    for key in NAMESPACE_KEYS:
        value = getattr(service, key, None)
        if value and value.startswith(SERVICE_PREFIX):
            yield value[len(SERVICE_PREFIX) :], frozenset({key})
    for entry in service.volumes_from:
        if not entry.startswith("container:"):
            yield entry.split(":", 1)[0], frozenset()
    for link in service.links:
        yield link.split(":", 1)[0], frozenset()


def _dependencies(service: Service) -> dict[str, Dependency]:
    found = {
        name: Dependency(dependency.condition, dependency.required, dependency.restart)
        for name, dependency in service.depends_on.items()
    }
    for name, namespaces in _implied(service):
        known = found.get(name, Dependency(restart=bool(namespaces)))
        found[name] = Dependency(
            known.condition,
            known.required,
            known.restart or bool(namespaces),
            known.namespaces | namespaces,
        )
    return found


class ServiceGraph:
    """The services of a project and what each needs; raises DependencyCycle when built
    on a project whose services depend on each other in a circle."""

    def __init__(self, project: Project):
        dependencies: dict[str, dict[str, Dependency]] = {}
        for name, service in project.services.items():
            dependencies[name] = {}
            for dependency, edge in _dependencies(service).items():
                if dependency not in project.services:
                    if edge.required and dependency not in project.disabled_services:
                        raise OrchestratorError(
                            f"service {name} depends on {dependency}, which is not a service "
                            "of the project: fix the name or remove the dependency"
                        )
                    continue
                dependencies[name][dependency] = edge
        self.graph = _graph_of(dependencies)

    @classmethod
    def from_dependencies(
        cls, dependencies: Mapping[str, Mapping[str, Dependency]]
    ) -> ServiceGraph:
        """The graph of services given as {service: {dependency: how}}; dependencies that
        are not services themselves are left out (the graph of what exists, read back from
        containers' labels, for commands that work without the file)."""
        made = cls.__new__(cls)
        made.graph = _graph_of(
            {
                name: {key: edge for key, edge in needs.items() if key in dependencies}
                for name, needs in dependencies.items()
            }
        )
        return made

    @property
    def services(self) -> list[str]:
        """Every service, in a start order (dependencies first, then by name)."""
        return list(nx.lexicographical_topological_sort(self.graph))

    def edge(self, dependency: str, dependent: str) -> Dependency:
        """How `dependent` depends on `dependency`."""
        found: Dependency = self.graph.edges[dependency, dependent]["dependency"]
        return found

    def dependencies(self, service: str) -> dict[str, Dependency]:
        """The direct dependencies of `service`."""
        return {name: self.edge(name, service) for name in sorted(self.graph.predecessors(service))}

    def dependents(self, service: str) -> list[str]:
        """The services that directly need `service`."""
        return sorted(self.graph.successors(service))

    def with_dependencies(self, services: Iterable[str]) -> set[str]:
        """The services and everything they need, transitively (`up web`)."""
        chosen = set(services)
        for name in list(chosen):
            chosen |= nx.ancestors(self.graph, name)
        return chosen

    def with_dependents(self, services: Iterable[str]) -> set[str]:
        """The services and everything that needs them, transitively (`stop db`)."""
        chosen = set(services)
        for name in list(chosen):
            chosen |= nx.descendants(self.graph, name)
        return chosen

    def namespace_dependents(self, service: str) -> set[str]:
        """Services living in `service`'s namespaces, transitively: a recreation of
        `service` takes them with it, since a running process cannot change namespace."""
        found: set[str] = set()
        pending = [service]
        while pending:
            current = pending.pop()
            for dependent in self.graph.successors(current):
                if self.edge(current, dependent).namespaces and dependent not in found:
                    found.add(dependent)
                    pending.append(dependent)
        return found

    def restart_dependents(self, service: str) -> set[str]:
        """Services declaring `restart: true` on `service` (restarted when it is recreated)."""
        return {
            dependent
            for dependent in self.graph.successors(service)
            if self.edge(service, dependent).restart
        }

    def waves(self, services: Iterable[str] | None = None) -> list[list[str]]:
        """Topological generations of `services` (all by default): each wave needs only
        services of earlier waves, so the services of one wave can start side by side."""
        graph = self.graph if services is None else self.graph.subgraph(services)
        return [sorted(wave) for wave in nx.topological_generations(graph)]

    def stop_order(self, services: Iterable[str] | None = None) -> list[list[str]]:
        """Waves to stop in: dependents before what they depend on."""
        return list(reversed(self.waves(services)))

    def replicas(self, scale: dict[str, int]) -> nx.DiGraph:
        """The graph of containers: a node `(service, number)` per replica, and an edge
        from every replica of a dependency to every replica of its dependents."""
        expanded: nx.DiGraph = nx.DiGraph()
        for service in self.graph:
            expanded.add_nodes_from((service, n) for n in range(1, scale.get(service, 1) + 1))
        for dependency, dependent in self.graph.edges:
            for first in range(1, scale.get(dependency, 1) + 1):
                for second in range(1, scale.get(dependent, 1) + 1):
                    expanded.add_edge((dependency, first), (dependent, second))
        return expanded


def _graph_of(dependencies: Mapping[str, Mapping[str, Dependency]]) -> nx.DiGraph:
    graph: nx.DiGraph = nx.DiGraph()
    graph.add_nodes_from(dependencies)
    for name, needs in dependencies.items():
        for dependency, edge in needs.items():
            graph.add_edge(dependency, name, dependency=edge)
    _refuse_cycles(graph)
    return graph


def _refuse_cycles(graph: nx.DiGraph) -> None:
    try:
        cycle = nx.find_cycle(graph)
    except nx.NetworkXNoCycle:
        return
    # find_cycle walks dependency -> dependent; a user reads "web needs api needs web".
    needs = [dependency for dependency, _dependent in reversed(cycle)]
    start = needs.index(min(needs))
    ordered = needs[start:] + needs[:start]
    path = " -> ".join([*ordered, ordered[0]])
    raise DependencyCycle(f"dependency cycle between services: {path}")
