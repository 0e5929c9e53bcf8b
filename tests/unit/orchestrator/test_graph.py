"""The service graph: edges from depends_on and the implied ones, order, cycles, closures."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestrator.graph import DependencyCycle, ServiceGraph
from tests.support.projects import load_text, project_of


def test_order_follows_every_kind_of_dependency(tmp_path: Path) -> None:
    project = load_text(
        tmp_path,
        """
        services:
          db: {image: busybox}
          cache: {image: busybox}
          api:
            image: busybox
            depends_on: {db: {condition: service_healthy}}
            links: [cache]
          sidecar: {image: busybox, network_mode: "service:api"}
          backup: {image: busybox, volumes_from: [db]}
          debug: {image: busybox, pid: "service:api", ipc: "service:db"}
        """,
    )
    graph = ServiceGraph(project)
    order = graph.services
    for dependency, dependent in [
        ("db", "api"),
        ("cache", "api"),
        ("api", "sidecar"),
        ("db", "backup"),
        ("api", "debug"),
        ("db", "debug"),
    ]:
        assert order.index(dependency) < order.index(dependent)
    assert graph.edge("db", "api").condition == "service_healthy"
    assert graph.waves() == [["cache", "db"], ["api", "backup"], ["debug", "sidecar"]]


def test_implied_edges_of_a_project_made_in_code() -> None:
    project = project_of(
        {
            "owner": {"image": "busybox"},
            "joined": {"image": "busybox", "network_mode": "service:owner"},
            "reader": {"image": "busybox", "volumes_from": ["owner:ro"]},
            "linked": {"image": "busybox", "links": ["owner:alias"]},
        }
    )
    graph = ServiceGraph(project)
    assert graph.dependents("owner") == ["joined", "linked", "reader"]
    assert graph.edge("owner", "joined").namespaces == frozenset({"network_mode"})
    assert graph.edge("owner", "reader").namespaces == frozenset()


def test_cycle_is_printed_as_a_chain() -> None:
    project = project_of(
        {
            "web": {"image": "busybox", "depends_on": {"api": {}}},
            "api": {"image": "busybox", "depends_on": {"web": {}}},
            "db": {"image": "busybox"},
        }
    )
    with pytest.raises(DependencyCycle, match=r"api -> web -> api"):
        ServiceGraph(project)


def test_three_service_cycle_reads_in_dependency_direction() -> None:
    project = project_of(
        {
            "a": {"image": "busybox", "depends_on": {"b": {}}},
            "b": {"image": "busybox", "depends_on": {"c": {}}},
            "c": {"image": "busybox", "network_mode": "service:a"},
        }
    )
    with pytest.raises(DependencyCycle) as raised:
        ServiceGraph(project)
    assert str(raised.value).endswith("a -> b -> c -> a")


def test_closures_for_up_and_stop(tmp_path: Path) -> None:
    project = load_text(
        tmp_path,
        """
        services:
          db: {image: busybox}
          api: {image: busybox, depends_on: [db]}
          web: {image: busybox, depends_on: [api]}
          other: {image: busybox}
        """,
    )
    graph = ServiceGraph(project)
    assert graph.with_dependencies(["web"]) == {"web", "api", "db"}
    assert graph.with_dependencies(["api"]) == {"api", "db"}


def test_namespace_dependents_are_transitive_and_restart_flags_are_read() -> None:
    project = project_of(
        {
            "owner": {"image": "busybox"},
            "inner": {"image": "busybox", "network_mode": "service:owner"},
            "innermost": {"image": "busybox", "ipc": "service:inner"},
            "plain": {
                "image": "busybox",
                "depends_on": {"owner": {"condition": "service_started", "restart": True}},
            },
        }
    )
    graph = ServiceGraph(project)
    assert graph.namespace_dependents("owner") == {"inner", "innermost"}
    assert graph.restart_dependents("owner") == {"inner", "plain"}


def test_optional_dependency_on_a_missing_service_is_ignored() -> None:
    project = project_of(
        {
            "web": {
                "image": "busybox",
                "depends_on": {"gone": {"condition": "service_started", "required": False}},
            }
        }
    )
    assert ServiceGraph(project).dependencies("web") == {}


def test_replica_graph_links_every_replica_pair() -> None:
    project = project_of(
        {"db": {"image": "busybox"}, "web": {"image": "busybox", "depends_on": {"db": {}}}}
    )
    replicas = ServiceGraph(project).replicas({"db": 2, "web": 3})
    assert set(replicas.nodes) == {("db", 1), ("db", 2), ("web", 1), ("web", 2), ("web", 3)}
    assert set(replicas.predecessors(("web", 2))) == {("db", 1), ("db", 2)}
