"""`start`, `stop`, `restart`, `kill`, `rm`, `pause`, `unpause`, `wait`: the app's existing containers.

These read the project's containers back from the store (by its name, not
the whole file) and act on them in dependency order (`orchestrator.lifecycle`).
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from orchestrator.cli.compose_command import ComposeCommand, project_command
from orchestrator.errors import OrchestratorError

if TYPE_CHECKING:
    from runtime.containers.model import Container

Services = Annotated[list[str] | None, typer.Argument(help="Services (default: all).")]
Timeout = Annotated[
    float | None, typer.Option("--timeout", "-t", help="Seconds to wait for a stop before SIGKILL.")
]


def register(app: typer.Typer) -> None:
    """Add the verbs of this module."""
    for name, function in (
        ("start", start),
        ("stop", stop),
        ("restart", restart),
        ("kill", kill),
        ("rm", rm),
        ("pause", pause),
        ("unpause", unpause),
        ("wait", wait),
    ):
        app.command(name)(function)


def _chosen(command: ComposeCommand, services: list[str] | None) -> list[Container]:
    found = command.containers(services or ())
    if services:
        present = {c.labels.get("com.docker.compose.service") for c in found}
        missing = [name for name in services if name not in present]
        if missing:
            raise OrchestratorError(f"no container found for service {missing[0]}")
    return found


@project_command
def start(command: ComposeCommand, services: Services = None) -> None:
    """Start the services' existing containers."""
    from orchestrator import lifecycle

    found = _chosen(command, services)
    if not found:
        raise OrchestratorError("no containers to start: run `pycompose up` to create them")
    with command.progress("Starting") as progress:
        lifecycle.start(command.engine(), found, progress)


@project_command
def stop(command: ComposeCommand, services: Services = None, timeout: Timeout = None) -> None:
    """Stop running containers without removing them."""
    from orchestrator import lifecycle

    with command.progress("Stopping") as progress:
        lifecycle.stop(command.engine(), _chosen(command, services), progress, timeout)


@project_command
def restart(command: ComposeCommand, services: Services = None, timeout: Timeout = None) -> None:
    """Restart the services' containers."""
    from orchestrator import lifecycle

    with command.progress("Restarting") as progress:
        lifecycle.restart(command.engine(), _chosen(command, services), progress, timeout)


@project_command
def kill(
    command: ComposeCommand,
    services: Services = None,
    signal: Annotated[str, typer.Option("--signal", "-s", help="Signal to send.")] = "SIGKILL",
) -> None:
    """Send a signal (default SIGKILL) to the services' containers."""
    from orchestrator import lifecycle

    with command.progress("Killing") as progress:
        lifecycle.kill(command.engine(), _chosen(command, services), progress, signal)


@project_command
def rm(
    command: ComposeCommand,
    services: Services = None,
    force: Annotated[bool, typer.Option("--force", "-f", help="Do not ask.")] = False,
    stop_first: Annotated[bool, typer.Option("--stop", "-s", help="Stop them first.")] = False,
    volumes: Annotated[
        bool, typer.Option("--volumes", "-v", help="Remove their anonymous volumes.")
    ] = False,
) -> None:
    """Remove stopped service containers."""
    from orchestrator import lifecycle

    found = _chosen(command, services)
    if not stop_first:
        found = [c for c in found if not c.state.running]
    if not found:
        typer.echo("No stopped containers", err=True)
        return
    if not force and sys.stdin.isatty():
        names = ", ".join(c.name for c in found)
        if not typer.confirm(f"Going to remove {names}. Are you sure?"):
            raise typer.Exit(1)
    with command.progress("Removing") as progress:
        lifecycle.remove(command.engine(), found, progress, volumes=volumes)


@project_command
def pause(command: ComposeCommand, services: Services = None) -> None:
    """Pause the services' running containers."""
    from orchestrator import lifecycle

    with command.progress("Pausing") as progress:
        lifecycle.pause(command.engine(), _chosen(command, services), progress)


@project_command
def unpause(command: ComposeCommand, services: Services = None) -> None:
    """Unpause the services' paused containers."""
    from orchestrator import lifecycle

    with command.progress("Unpausing") as progress:
        lifecycle.unpause(command.engine(), _chosen(command, services), progress)


@project_command
def wait(
    command: ComposeCommand,
    services: Annotated[list[str], typer.Argument(help="Services to wait for.")],
    down_project: Annotated[
        bool, typer.Option("--down-project", help="Take the project down once they stop.")
    ] = False,
) -> None:
    """Block until the services' containers stop; print each exit code."""
    engine = command.engine()
    found = _chosen(command, services)
    code = 0
    for container in found:
        code = engine.containers.wait(container.id, "not-running")
        typer.echo(str(code))
    if down_project:
        from orchestrator.lifecycle import DownOptions, down

        with command.progress("Removing") as progress:
            down(engine, command.project_name(), DownOptions(), progress)
    if code:
        raise typer.Exit(code)
