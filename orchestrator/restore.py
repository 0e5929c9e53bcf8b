"""After a reboot: bring back the containers whose restart policy says so, in dependency order.

With no daemon, nothing restarts containers when the machine comes back;
`pycompose system restore` (run at boot by the unit `system install-unit`
writes) does. A container comes back when its policy is `always`;
`unless-stopped` and it was not stopped by hand; or `on-failure` and it was
still running when the machine went down (it had not exited on its own). The
networks are made again first (bridges, rules, the name responder live in
/run, which a reboot empties); each project's containers then start in
dependency order, each after what it needs meets its condition.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from orchestrator import labels as L
from orchestrator.progress import Progress

if TYPE_CHECKING:
    from runtime.containers.model import Container
    from runtime.engine import Engine


def should_restore(policy: str, *, stopped_by_user: bool, was_running: bool) -> bool:
    """Whether a container with restart `policy` comes back after a reboot."""
    if policy == "always":
        return True
    if policy == "unless-stopped":
        return not stopped_by_user
    if policy == "on-failure":
        return was_running and not stopped_by_user
    return False


def _wanted(container: Container) -> bool:
    from runtime.containers.state import EXIT_UNKNOWN

    state = container.state
    # Recorded as running, but its monitor and process are gone: the machine went down
    # under it. A container that stopped before has its real exit recorded; with
    # `unless-stopped` (restarted by its monitor whatever its exit) that means by hand.
    was_running = state.status == "exited" and state.error == EXIT_UNKNOWN
    return should_restore(
        container.request.restart.name,
        stopped_by_user=state.status in ("exited", "created") and not was_running,
        was_running=was_running,
    )


@dataclass
class RestoreReport:
    """What came back, and what could not."""

    started: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


def restore(engine: Engine, progress: Progress) -> RestoreReport:
    """Make the networks again, then start what should run, project by project."""
    from orchestrator import lifecycle
    from orchestrator.errors import OrchestratorError

    engine.networks.sync()
    report = RestoreReport()
    groups: dict[str, list[Container]] = {}
    for container in engine.containers.list(all=True):
        if container.state.running or not _wanted(container):
            continue
        project = container.labels.get(L.PROJECT, "")
        groups.setdefault(project, []).append(container)
    for project, containers in sorted(groups.items()):
        try:
            if project:
                lifecycle.start(engine, containers, progress)
            else:
                _start_each(engine, containers, progress)
        except OrchestratorError as exc:
            report.failures.append(f"{project or 'containers'}: {exc}")
        report.started += [c.name for c in containers]
    return report


def _start_each(engine: Engine, containers: Sequence[Container], progress: Progress) -> None:
    from orchestrator.lifecycle import _each

    failures = _each(
        list(containers), lambda c: engine.containers.start(c.id), progress, "Starting", "Started"
    )
    if failures:
        from orchestrator.errors import OrchestratorError

        raise OrchestratorError("; ".join(failures))
