"""Running work over a dependency graph: each node once everything before it has succeeded.

A node starts as soon as its own predecessors are done — not when a whole
topological wave is — so a slow service holds back only what needs it.
Independent nodes run side by side in threads; the work itself bounds how
many engine operations run at once (`--parallel`), so a node that is only
waiting (for a dependency to become healthy) does not take a slot. A failed
node's descendants are skipped (except through edges marked
`required=False`: those only order), everything independent of it still
runs, and the caller gets one outcome per node.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    import networkx as nx

Node = TypeVar("Node", bound=Hashable)


@dataclass(frozen=True)
class Outcome(Generic[Node]):
    """How one node ended: done, failed (with the error) or skipped (with the failed cause)."""

    node: Node
    error: BaseException | None = None
    skipped_because: Node | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.skipped_because is None


class Cancelled(Exception):
    """The run was stopped before this node could start (Ctrl-C)."""


def run_graph(
    graph: nx.DiGraph, work: Callable[[Node], None], cancel: threading.Event | None = None
) -> dict[Node, Outcome[Node]]:
    """Call `work(node)` for every node, each after all its predecessors succeeded."""
    stop = cancel or threading.Event()
    outcomes: dict[Node, Outcome[Node]] = {}
    waiting = {node: set(graph.predecessors(node)) for node in graph.nodes}
    running: dict[Future[None], Node] = {}
    if not waiting:
        return outcomes
    with ThreadPoolExecutor(max_workers=max(1, len(waiting))) as pool:

        def launch_ready() -> None:
            for node in [n for n, before in waiting.items() if not before]:
                del waiting[node]
                if stop.is_set():
                    outcomes[node] = Outcome(node, error=Cancelled())
                    _skip_descendants(graph, node, node, waiting, outcomes)
                    continue
                running[pool.submit(work, node)] = node

        launch_ready()
        while running:
            finished, _ = wait(list(running), return_when=FIRST_COMPLETED)
            for future in finished:
                node = running.pop(future)
                error = future.exception()
                if error is None:
                    outcomes[node] = Outcome(node)
                    for successor in graph.successors(node):
                        if successor in waiting:
                            waiting[successor].discard(node)
                else:
                    outcomes[node] = Outcome(node, error=error)
                    _skip_descendants(graph, node, node, waiting, outcomes)
            launch_ready()
    return outcomes


def _skip_descendants(
    graph: nx.DiGraph,
    failed: Node,
    cause: Node,
    waiting: dict[Node, set[Node]],
    outcomes: dict[Node, Outcome[Node]],
) -> None:
    for successor in graph.successors(failed):
        if successor not in waiting:
            continue
        if not graph.edges[failed, successor].get("required", True):
            waiting[successor].discard(failed)
            continue
        del waiting[successor]
        outcomes[successor] = Outcome(successor, skipped_because=cause)
        _skip_descendants(graph, successor, cause, waiting, outcomes)
