"""`exec` and `run`: a command in a service's running container, or in a one-off container."""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from orchestrator.cli.compose_command import ComposeCommand, project_command
from orchestrator.errors import OrchestratorError

# Everything after the service is the command, options included (`exec web ls -l`).
COMMAND_SETTINGS = {"allow_interspersed_args": False, "ignore_unknown_options": True}

Command = Annotated[list[str] | None, typer.Argument(help="The command and its arguments.")]
Environment = Annotated[
    list[str] | None, typer.Option("--env", "-e", help="Set a variable (KEY=VALUE).")
]
NoTty = Annotated[
    bool, typer.Option("--no-TTY", "-T", help="No pseudo-terminal (the default off a terminal).")
]
User = Annotated[str | None, typer.Option("--user", "-u", help="Run as this user.")]
Workdir = Annotated[str | None, typer.Option("--workdir", "-w", help="Working directory.")]
Detach = Annotated[bool, typer.Option("--detach", "-d", help="Run in the background.")]


def register(app: typer.Typer) -> None:
    """Add `exec` and `run`."""
    app.command("exec", context_settings=COMMAND_SETTINGS)(exec_command)
    app.command("run", context_settings=COMMAND_SETTINGS)(run)


def _tty_wanted(no_tty: bool) -> bool:
    return not no_tty and sys.stdin.isatty() and sys.stdout.isatty()


@project_command
def exec_command(
    command: ComposeCommand,
    service: Annotated[str, typer.Argument(help="The service.")],
    args: Command = None,
    detach: Detach = False,
    no_tty: NoTty = False,
    interactive: Annotated[
        bool, typer.Option("--interactive", "-i", help="Keep stdin open (the default).")
    ] = True,
    tty: Annotated[bool, typer.Option("--tty", "-t", help="Allocate a pseudo-terminal.")] = False,
    user: User = None,
    workdir: Workdir = None,
    env: Environment = None,
    index: Annotated[int, typer.Option("--index", help="Which replica (default 1).")] = 1,
    privileged: Annotated[bool, typer.Option("--privileged", help="Full privileges.")] = False,
) -> None:
    """Run a command in a running container of a service."""
    from orchestrator.oneoff import environment_pairs
    from runtime.containers.model import ExecOptions

    if not args:
        raise OrchestratorError("exec needs a command: pycompose exec SERVICE COMMAND [ARGS...]")
    engine = command.engine()
    found = [
        c
        for c in command.containers([service], all=True)
        if c.labels.get("com.docker.compose.container-number") == str(index)
    ]
    if not found:
        raise OrchestratorError(f"service {service} has no container number {index}")
    container = found[0]
    if not container.state.running:
        raise OrchestratorError(
            f"service {service} is not running (container {container.name} is "
            f"{container.state.status}): start it with `pycompose up -d {service}`"
        )
    options = ExecOptions(
        tuple(args),
        user=user,
        workdir=workdir,
        env=environment_pairs(env or [], dict(os.environ)),
        tty=(tty or _tty_wanted(no_tty)) and not no_tty and not detach,
        interactive=interactive and not detach,
        detach=detach,
        privileged=privileged,
    )
    code = engine.containers.exec(container.id, options)
    if code:
        raise typer.Exit(code)


@project_command
def run(
    command: ComposeCommand,
    service: Annotated[str, typer.Argument(help="The service.")],
    args: Command = None,
    detach: Detach = False,
    rm: Annotated[bool, typer.Option("--rm", help="Remove the container when it exits.")] = False,
    name: Annotated[str | None, typer.Option("--name", help="Name of the container.")] = None,
    env: Environment = None,
    volume: Annotated[
        list[str] | None, typer.Option("--volume", "-v", help="Mount SOURCE:TARGET[:ro].")
    ] = None,
    publish: Annotated[
        list[str] | None, typer.Option("--publish", "-p", help="Publish a port (HOST:CONTAINER).")
    ] = None,
    service_ports: Annotated[
        bool, typer.Option("--service-ports", help="Publish the service's ports.")
    ] = False,
    entrypoint: Annotated[
        str | None, typer.Option("--entrypoint", help="Override the entrypoint.")
    ] = None,
    no_deps: Annotated[bool, typer.Option("--no-deps", help="Do not start dependencies.")] = False,
    no_tty: NoTty = False,
    user: User = None,
    workdir: Workdir = None,
    label: Annotated[list[str] | None, typer.Option("--label", "-l", help="Add a label.")] = None,
    build: Annotated[bool, typer.Option("--build", help="Build the image first.")] = False,
) -> None:
    """Run a one-off command in a new container of a service."""
    from orchestrator.oneoff import RunOptions, create_oneoff, dependencies_of, environment_pairs

    project = command.project([service])
    engine = command.engine()
    if build or not no_deps:
        _prepare(
            command,
            project.name,
            service,
            [] if no_deps else dependencies_of(project, service),
            build,
        )
    options = RunOptions(
        service=service,
        command=tuple(args or ()),
        entrypoint=entrypoint,
        environment=environment_pairs(env or [], dict(os.environ)),
        volumes=tuple(volume or ()),
        ports=tuple(publish or ()),
        service_ports=service_ports,
        name=name,
        user=user,
        workdir=workdir,
        tty=_tty_wanted(no_tty) and not detach,
        interactive=not detach,
        labels=dict(entry.partition("=")[::2] for entry in label or []),
    )
    with command.progress("Creating") as progress:
        container = create_oneoff(engine, project, options, progress)
    if detach:
        engine.containers.start(container.id)
        typer.echo(container.name)
        return
    try:
        engine.containers.start(container.id, attach=True)
        code = engine.containers.attach(container.id, stdin=True, tty=options.tty)
    finally:
        if rm:
            engine.containers.remove(container.id, force=True, volumes=True)
    if code:
        raise typer.Exit(code)


def _prepare(
    command: ComposeCommand, project: str, service: str, dependencies: list[str], build: bool
) -> None:
    """Bring the dependencies up (and build the service's image) before a one-off run."""
    from orchestrator.images import ImageOptions
    from orchestrator.up import UpOptions, up

    targets = tuple(dependencies)
    if build:
        from orchestrator.images import ensure_images, plan_images

        engine = command.engine()
        actions = plan_images(
            command.project(),
            [service],
            lambda reference: engine.images.resolve(reference) is not None,
            ImageOptions(build=True),
        )
        with command.progress("Building") as progress:
            ensure_images(engine, command.project(), actions, progress)
    if not targets:
        return
    with command.progress("Running") as progress:
        up(command.engine(), command.project(), UpOptions(services=targets), progress)
