"""`pycompose down`: stop and remove the app's containers and networks (and volumes, images)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from orchestrator.cli.compose_command import ComposeCommand, project_command


class RemoveImages(StrEnum):
    """`--rmi`."""

    local = "local"
    all = "all"


def register(app: typer.Typer) -> None:
    """Add `down`."""
    app.command("down")(down)


@project_command
def down(
    command: ComposeCommand,
    volumes: Annotated[
        bool, typer.Option("--volumes", "-v", help="Remove named and anonymous volumes too.")
    ] = False,
    rmi: Annotated[
        RemoveImages | None,
        typer.Option("--rmi", help="Remove images: local (built here, unnamed) or all."),
    ] = None,
    remove_orphans: Annotated[
        bool,
        typer.Option("--remove-orphans", help="Remove containers of services not in the file."),
    ] = False,
    timeout: Annotated[
        float | None, typer.Option("--timeout", "-t", help="Seconds to wait for a stop.")
    ] = None,
    context: Annotated[
        str | None,
        typer.Option("--context", help="Where the app runs: this machine, or kubernetes."),
    ] = None,
) -> None:
    """Stop and remove containers and networks of the app."""
    from orchestrator.lifecycle import DownOptions
    from orchestrator.lifecycle import down as take_down
    from runtime.residue import explanations

    if context == "kubernetes":
        from orchestrator.cli.up import kubernetes

        kubernetes(command, "down", volumes=volumes)
        return
    services: frozenset[str] | None = None
    images: dict[str, tuple[str, bool]] = {}
    name: str
    from specs.errors import SpecError

    try:
        project = command.project()
    except SpecError:
        # `down -p NAME` without a file: everything labelled with the project's name goes.
        if command.options.project_name is None or rmi is not None:
            raise
        name = command.project_name()
    else:
        name = project.name
        services = frozenset((*project.services, *project.disabled_services))
        images = {
            key: (project.image_name(service), service.build is not None and not service.image)
            for key, service in project.services.items()
        }
    engine = command.engine()
    options = DownOptions(
        volumes=volumes,
        images=rmi.value if rmi else None,
        remove_orphans=remove_orphans,
        timeout=timeout,
        services=services,
        image_names=images,
    )
    lock = engine.store.lock(f"project-{name}", timeout=600)
    with command.progress("Removing") as progress, lock:
        engine.recover()  # what an `up` or `down` killed half-way left
        warnings = take_down(engine, name, options, progress)
        if name not in explanations(engine.store).projects:
            lock.discard()  # nothing of the project is left to serialise
    for warning in warnings:
        typer.echo(f"pycompose: warning: {warning}", err=True)
