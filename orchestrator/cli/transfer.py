"""`cp` and `commit`: files in and out of a service's container, and a container as an image."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from orchestrator.cli.compose_command import ComposeCommand, project_command
from orchestrator.errors import OrchestratorError

if TYPE_CHECKING:
    from runtime.containers.model import Container

Index = Annotated[int, typer.Option("--index", help="Which replica (default 1).")]


def register(app: typer.Typer) -> None:
    """Add `cp` and `commit`."""
    app.command("cp")(cp)
    app.command("commit")(commit)


def _container(command: ComposeCommand, service: str, index: int) -> Container:
    for container in command.containers([service], oneoff=False):
        if container.labels.get("com.docker.compose.container-number") == str(index):
            return container
    raise OrchestratorError(f"service {service} has no container number {index}")


def split_location(text: str) -> tuple[str | None, str]:
    """`web:/etc/hosts` -> ("web", "/etc/hosts"); a host path -> (None, path)."""
    if text.startswith(("/", ".", "~")) or text == "-" or ":" not in text:
        return None, text
    service, _, path = text.partition(":")
    return service, path


@project_command
def cp(
    command: ComposeCommand,
    source: Annotated[str, typer.Argument(help="SERVICE:SRC_PATH or a host path (- for a tar).")],
    destination: Annotated[str, typer.Argument(help="SERVICE:DEST_PATH or a host path (-).")],
    index: Index = 1,
    follow_link: Annotated[
        bool, typer.Option("--follow-link", "-L", help="Follow a symbolic link at the source.")
    ] = False,
) -> None:
    """Copy files between a service's container and the host."""
    from_service, from_path = split_location(source)
    to_service, to_path = split_location(destination)
    if (from_service is None) == (to_service is None):
        raise OrchestratorError("cp copies between a container and the host: name one SERVICE:PATH")
    containers = command.engine().containers
    if from_service is not None:
        container = _container(command, from_service, index)
        target = sys.stdout.buffer if to_path == "-" else Path(to_path).absolute()
        containers.copy_from(container.id, from_path, target, follow_link=follow_link)
    else:
        assert to_service is not None
        container = _container(command, to_service, index)
        origin = sys.stdin.buffer if from_path == "-" else Path(from_path).absolute()
        containers.copy_to(container.id, origin, to_path)


@project_command
def commit(
    command: ComposeCommand,
    service: Annotated[str, typer.Argument(help="The service.")],
    reference: Annotated[str | None, typer.Argument(help="REPOSITORY[:TAG] of the image.")] = None,
    index: Index = 1,
    author: Annotated[str | None, typer.Option("--author", "-a", help="Author.")] = None,
    message: Annotated[str | None, typer.Option("--message", "-m", help="Commit message.")] = None,
    change: Annotated[
        list[str] | None, typer.Option("--change", "-c", help="A Dockerfile instruction to apply.")
    ] = None,
    pause: Annotated[
        bool, typer.Option("--pause/--no-pause", "-p", help="Pause the container while committing.")
    ] = True,
) -> None:
    """Make an image of a service container's changes."""
    container = _container(command, service, index)
    image = command.engine().containers.commit(
        container.id,
        reference=reference,
        changes=tuple(change or ()),
        message=message,
        author=author,
        pause=pause,
    )
    typer.echo(image.id)
