"""The graph runner: order, parallelism, failures skipping what needs them (required edges only)."""

from __future__ import annotations

import threading
import time

import networkx as nx

from orchestrator.scheduler import Cancelled, run_graph


def chain(*edges: tuple[str, str], optional: tuple[tuple[str, str], ...] = ()) -> nx.DiGraph:
    graph = nx.DiGraph()
    graph.add_edges_from(edges)
    for first, second in optional:
        graph.add_edge(first, second, required=False)
    return graph


def test_each_node_runs_after_its_predecessors() -> None:
    graph = chain(("db", "api"), ("cache", "api"), ("api", "web"))
    seen: list[str] = []
    lock = threading.Lock()

    def work(node: str) -> None:
        with lock:
            seen.append(node)

    outcomes = run_graph(graph, work)
    assert all(outcome.ok for outcome in outcomes.values())
    assert seen.index("api") > seen.index("db") and seen.index("api") > seen.index("cache")
    assert seen[-1] == "web"


def test_independent_nodes_run_at_once() -> None:
    graph = nx.DiGraph()
    graph.add_nodes_from(["a", "b", "c"])
    barrier = threading.Barrier(3, timeout=5)
    outcomes = run_graph(graph, lambda node: barrier.wait())
    assert all(outcome.ok for outcome in outcomes.values())


def test_a_slow_node_holds_back_only_what_needs_it() -> None:
    graph = chain(("slow", "after_slow"), ("fast", "after_fast"))
    finished: dict[str, float] = {}

    def work(node: str) -> None:
        if node == "slow":
            time.sleep(0.3)
        finished[node] = time.monotonic()

    run_graph(graph, work)
    assert finished["after_fast"] < finished["slow"]


def test_failure_skips_dependents_but_not_the_rest() -> None:
    graph = chain(("db", "api"), ("api", "web"), ("cache", "worker"), optional=(("db", "stats"),))

    def work(node: str) -> None:
        if node == "db":
            raise RuntimeError("boom")

    outcomes = run_graph(graph, work)
    assert isinstance(outcomes["db"].error, RuntimeError)
    assert outcomes["api"].skipped_because == "db"
    assert outcomes["web"].skipped_because == "db"
    assert outcomes["worker"].ok and outcomes["cache"].ok
    assert outcomes["stats"].ok


def test_cancel_stops_what_has_not_started() -> None:
    graph = chain(("first", "second"))
    cancel = threading.Event()
    outcomes = run_graph(graph, lambda node: cancel.set(), cancel)
    assert outcomes["first"].ok
    assert isinstance(outcomes["second"].error, Cancelled)
