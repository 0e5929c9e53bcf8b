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

import heapq
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from orchestrator.errors import OrchestratorError
from specs.model import Project, Service

if TYPE_CHECKING:
    import networkx as nx

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
    on a project whose services depend on each other in a circle.

    Direct questions (order, an edge, a service's dependencies) are answered from two
    plain mappings; the networkx graph, whose import alone costs about 0.1 s, is made
    on first use by the algorithms that need it (closures, waves, replicas, cycles), so
    a no-change `up` does not pay for it.
    """

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
        self._set(dependencies)

    @classmethod
    def from_dependencies(
        cls, dependencies: Mapping[str, Mapping[str, Dependency]]
    ) -> ServiceGraph:
        """The graph of services given as {service: {dependency: how}}; dependencies that
        are not services themselves are left out (the graph of what exists, read back from
        containers' labels, for commands that work without the file)."""
        made = cls.__new__(cls)
        made._set(
            {
                name: {key: edge for key, edge in needs.items() if key in dependencies}
                for name, needs in dependencies.items()
            }
        )
        return made

    def _set(self, dependencies: Mapping[str, Mapping[str, Dependency]]) -> None:
        self.needs: dict[str, dict[str, Dependency]] = {
            name: dict(needs) for name, needs in dependencies.items()
        }
        self.needed_by: dict[str, list[str]] = {name: [] for name in self.needs}
        for name, needs in self.needs.items():
            for dependency in needs:
                self.needed_by[dependency].append(name)
        self._order = self._start_order()

    def _start_order(self) -> list[str]:
        """Kahn's order, the smallest name first among the ready; a cycle is reported
        through networkx, which names it."""
        waiting = {name: len(needs) for name, needs in self.needs.items()}
        ready = [name for name, count in waiting.items() if count == 0]
        heapq.heapify(ready)
        order: list[str] = []
        while ready:
            name = heapq.heappop(ready)
            order.append(name)
            for dependent in self.needed_by[name]:
                waiting[dependent] -= 1
                if waiting[dependent] == 0:
                    heapq.heappush(ready, dependent)
        if len(order) < len(self.needs):
            _refuse_cycles(self.graph)
        return order

    @cached_property
    def graph(self) -> nx.DiGraph:
        """The networkx graph: an edge from each dependency to its dependent, with the
        Dependency as its `dependency` attribute."""
        import networkx as nx

        graph = nx.DiGraph()
        graph.add_nodes_from(self.needs)
        for name, needs in self.needs.items():
            for dependency, edge in needs.items():
                graph.add_edge(dependency, name, dependency=edge)
        return graph

    @property
    def services(self) -> list[str]:
        """Every service, in a start order (dependencies first, then by name)."""
        return list(self._order)

    def __contains__(self, service: object) -> bool:
        return service in self.needs

    def edge(self, dependency: str, dependent: str) -> Dependency:
        """How `dependent` depends on `dependency`."""
        return self.needs[dependent][dependency]

    def dependencies(self, service: str) -> dict[str, Dependency]:
        """The direct dependencies of `service`."""
        return dict(sorted(self.needs[service].items()))

    def dependents(self, service: str) -> list[str]:
        """The services that directly need `service`."""
        return sorted(self.needed_by[service])

    def with_dependencies(self, services: Iterable[str]) -> set[str]:
        """The services and everything they need, transitively (`up web`)."""
        import networkx as nx

        chosen = set(services)
        for name in list(chosen):
            chosen |= nx.ancestors(self.graph, name)
        return chosen

    def namespace_dependents(self, service: str) -> set[str]:
        """Services living in `service`'s namespaces, transitively: a recreation of
        `service` takes them with it, since a running process cannot change namespace."""
        found: set[str] = set()
        pending = [service]
        while pending:
            current = pending.pop()
            for dependent in self.needed_by[current]:
                if self.edge(current, dependent).namespaces and dependent not in found:
                    found.add(dependent)
                    pending.append(dependent)
        return found

    def restart_dependents(self, service: str) -> set[str]:
        """Services declaring `restart: true` on `service` (restarted when it is recreated)."""
        return {
            dependent
            for dependent in self.needed_by[service]
            if self.edge(service, dependent).restart
        }

    def waves(self, services: Iterable[str] | None = None) -> list[list[str]]:
        """Topological generations of `services` (all by default): each wave needs only
        services of earlier waves, so the services of one wave can start side by side."""
        import networkx as nx

        graph = self.graph if services is None else self.graph.subgraph(services)
        return [sorted(wave) for wave in nx.topological_generations(graph)]

    def replicas(self, scale: Mapping[str, int]) -> nx.DiGraph:
        """The graph of containers: a node `(service, number)` per replica, and an edge
        from every replica of a dependency to every replica of its dependents."""
        import networkx as nx

        expanded = nx.DiGraph()
        for service in self.needs:
            expanded.add_nodes_from((service, n) for n in range(1, scale.get(service, 1) + 1))
        for name, needs in self.needs.items():
            for dependency in needs:
                for first in range(1, scale.get(dependency, 1) + 1):
                    for second in range(1, scale.get(name, 1) + 1):
                        expanded.add_edge((dependency, first), (name, second))
        return expanded


def _refuse_cycles(graph: nx.DiGraph) -> None:
    import networkx as nx

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
