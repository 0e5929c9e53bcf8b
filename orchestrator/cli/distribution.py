"""`pull` and `push`: the app's images from and to their registries."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

import typer

from orchestrator.cli.compose_command import ComposeCommand, project_command

Services = Annotated[list[str] | None, typer.Argument(help="Services (default: all).")]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress output.")]
IncludeDeps = Annotated[
    bool, typer.Option("--include-deps", help="Also the services' dependencies.")
]


def register(app: typer.Typer) -> None:
    """Add `pull` and `push`."""
    app.command("pull")(pull)
    app.command("push")(push)


def _services(command: ComposeCommand, services: list[str] | None, include_deps: bool) -> list[str]:
    from orchestrator.graph import ServiceGraph

    project = command.project(services or ())
    if not services:
        return list(project.services)
    if include_deps:
        return sorted(ServiceGraph(project).with_dependencies(services))
    return list(services)


@project_command
def pull(
    command: ComposeCommand,
    services: Services = None,
    quiet: Quiet = False,
    include_deps: IncludeDeps = False,
    ignore_buildable: Annotated[
        bool, typer.Option("--ignore-buildable", help="Skip services that build their image.")
    ] = False,
    ignore_pull_failures: Annotated[
        bool, typer.Option("--ignore-pull-failures", help="Go on when an image cannot be pulled.")
    ] = False,
) -> None:
    """Pull the services' images."""
    from runtime.images.pull import pull_images

    project = command.project(services or ())
    references: list[str] = []
    for name in _services(command, services, include_deps):
        service = project.services[name]
        if service.build is not None and (ignore_buildable or not service.image):
            continue
        reference = project.image_name(service)
        if reference not in references:
            references.append(reference)
    store = command.engine().store

    def pull_one(reference: str) -> None:
        for result in pull_images(store, [reference], quiet=quiet):
            if not quiet:
                typer.echo(result.status)

    _each(references, pull_one, "pull", ignore_failures=ignore_pull_failures)


@project_command
def push(
    command: ComposeCommand,
    services: Services = None,
    quiet: Quiet = False,
    include_deps: IncludeDeps = False,
    ignore_push_failures: Annotated[
        bool, typer.Option("--ignore-push-failures", help="Go on when an image cannot be pushed.")
    ] = False,
) -> None:
    """Push the services' images (those with an `image` name) to their registries."""
    from runtime.images.push import push_images

    project = command.project(services or ())
    names: list[str] = []
    for name in _services(command, services, include_deps):
        service = project.services[name]
        if service.image and service.image not in names:
            names.append(service.image)
    store = command.engine().store
    _each(
        names,
        lambda name: push_images(store, [name], quiet=quiet),
        "push",
        ignore_failures=ignore_push_failures,
    )


def _each(
    names: list[str], action: Callable[[str], object], verb: str, *, ignore_failures: bool
) -> None:
    """`action` for each image; a failure stops the command unless it is to be ignored."""
    for name in names:
        try:
            action(name)
        except Exception as exc:
            if not ignore_failures:
                raise
            typer.echo(f"pycompose: warning: cannot {verb} {name}: {exc}", err=True)
