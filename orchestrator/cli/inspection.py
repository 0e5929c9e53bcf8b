"""`ps`, `ls`, `top`, `port`, `images`: looking at the app without changing it.

They read the store only (one container query, one for published ports), and
find the project by its name alone, so they stay quick on large projects.
"""

from __future__ import annotations

import json
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer

from orchestrator.cli.compose_command import ComposeCommand, project_command
from orchestrator.cli.formatting import human_age, human_size, print_table
from orchestrator.errors import OrchestratorError
from orchestrator.labels import CONFIG_FILES, NUMBER, PROJECT, SERVICE, WORKING_DIR

if TYPE_CHECKING:
    from runtime.containers.model import Container
    from runtime.network.model import PublishedPort

STATUSES = ("paused", "restarting", "removing", "running", "dead", "created", "exited")


class Format(StrEnum):
    """`--format`."""

    table = "table"
    json = "json"


FormatOption = Annotated[Format, typer.Option("--format", help="table or json.")]
Services = Annotated[list[str] | None, typer.Argument(help="Services (default: all).")]


def register(app: typer.Typer) -> None:
    """Add the verbs of this module."""
    for name, function in (
        ("ps", ps),
        ("ls", ls),
        ("top", top),
        ("port", port),
        ("images", images),
    ):
        app.command(name)(function)


def command_text(container: Container, width: int | None = 20) -> str:
    """The container's command as `docker ps` quotes it (`"sh -c 'sleep 1…"`)."""
    spec = container.spec
    config = spec.image_config
    entrypoint = spec.entrypoint if spec.entrypoint is not None else config.get("Entrypoint")
    command = spec.command if spec.command is not None else config.get("Cmd")
    text = " ".join([*(entrypoint or []), *(command or [])])
    if width is not None and len(text) > width:
        text = text[: width - 1] + "…"
    return f'"{text}"'


def _ports_text(ports: list[PublishedPort]) -> str:
    return ", ".join(port.describe() for port in ports)


def _ports_by_container(command: ComposeCommand) -> dict[str, list[PublishedPort]]:
    grouped: dict[str, list[PublishedPort]] = {}
    for published in command.engine().containers.published_ports():
        grouped.setdefault(published.container_id, []).append(published)
    return grouped


def _json_entry(container: Container, ports: list[PublishedPort]) -> dict[str, Any]:
    state = container.state
    return {
        "ID": container.id,
        "Name": container.name,
        "Names": container.name,
        "Image": container.image,
        "Command": command_text(container, None),
        "Project": container.labels.get(PROJECT, ""),
        "Service": container.labels.get(SERVICE, ""),
        "Created": container.created,
        "RunningFor": human_age(container.created),
        "State": state.status,
        "Status": container.status_text(),
        "Health": state.health.status if state.health else "",
        "ExitCode": state.exit_code,
        "Publishers": [
            {
                "URL": port.host_ip or "0.0.0.0",
                "TargetPort": port.container_port,
                "PublishedPort": port.host_port,
                "Protocol": port.protocol,
            }
            for port in ports
        ],
        "Labels": dict(container.labels),
    }


@project_command
def ps(
    command: ComposeCommand,
    services: Services = None,
    all: Annotated[bool, typer.Option("--all", "-a", help="Show stopped containers too.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only the ids.")] = False,
    output_format: FormatOption = Format.table,
    list_services: Annotated[
        bool, typer.Option("--services", help="Only the service names.")
    ] = False,
    status: Annotated[
        list[str] | None,
        typer.Option("--status", help=f"Only containers in this state ({'|'.join(STATUSES)})."),
    ] = None,
) -> None:
    """List the app's containers."""
    for wanted in status or []:
        if wanted not in STATUSES:
            raise OrchestratorError(f"--status {wanted}: expected one of {', '.join(STATUSES)}")
    found = command.containers(services or (), all=all or bool(status), oneoff=True)
    if status:
        found = [c for c in found if c.state.status in status]
    if list_services:
        seen: list[str] = []
        for container in found:
            service = container.labels.get(SERVICE, "")
            if service not in seen:
                seen.append(service)
        typer.echo("".join(f"{service}\n" for service in seen), nl=False)
        return
    if quiet:
        typer.echo("".join(f"{c.id}\n" for c in found), nl=False)
        return
    ports = _ports_by_container(command) if found else {}
    if output_format is Format.json:
        typer.echo(
            "".join(
                json.dumps(_json_entry(c, ports.get(c.id, [])), separators=(",", ":")) + "\n"
                for c in found
            ),
            nl=False,
        )
        return
    print_table(
        ["NAME", "IMAGE", "COMMAND", "SERVICE", "CREATED", "STATUS", "PORTS"],
        [
            [
                c.name,
                c.image,
                command_text(c),
                c.labels.get(SERVICE, ""),
                human_age(c.created),
                c.status_text(),
                _ports_text(ports.get(c.id, [])),
            ]
            for c in found
        ],
    )


@project_command
def ls(
    command: ComposeCommand,
    all: Annotated[bool, typer.Option("--all", "-a", help="Show stopped projects too.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only the names.")] = False,
    output_format: FormatOption = Format.table,
) -> None:
    """List the projects that have containers here."""
    projects: dict[str, dict[str, Any]] = {}
    for container in command.engine().containers.list(all=True, labels={PROJECT: None}):
        name = container.labels[PROJECT]
        entry = projects.setdefault(
            name,
            {"Name": name, "states": {}, "ConfigFiles": container.labels.get(CONFIG_FILES, "")},
        )
        state = container.state.status
        entry["states"][state] = entry["states"].get(state, 0) + 1
        entry.setdefault("WorkingDir", container.labels.get(WORKING_DIR, ""))
    rows = []
    for name in sorted(projects):
        entry = projects[name]
        if not all and "running" not in entry["states"]:
            continue
        entry["Status"] = ", ".join(f"{s}({n})" for s, n in sorted(entry.pop("states").items()))
        rows.append(entry)
    if quiet:
        typer.echo("".join(f"{row['Name']}\n" for row in rows), nl=False)
    elif output_format is Format.json:
        typer.echo(json.dumps(rows))
    else:
        print_table(
            ["NAME", "STATUS", "CONFIG FILES"],
            [[row["Name"], row["Status"], row["ConfigFiles"]] for row in rows],
        )


@project_command
def top(command: ComposeCommand, services: Services = None) -> None:
    """Show the processes of each running container."""
    engine = command.engine()
    for position, container in enumerate(command.containers(services or (), all=False)):
        titles, rows = engine.containers.top(container.id)
        if position:
            typer.echo("")
        typer.echo(container.name)
        print_table(titles, rows)


@project_command
def port(
    command: ComposeCommand,
    service: Annotated[str, typer.Argument(help="The service.")],
    private_port: Annotated[int, typer.Argument(help="The container port.")],
    protocol: Annotated[str, typer.Option("--protocol", help="tcp or udp.")] = "tcp",
    index: Annotated[int, typer.Option("--index", help="Which replica.")] = 1,
) -> None:
    """Print the public address a container port is published on."""
    engine = command.engine()
    for container in command.containers([service]):
        if container.labels.get(NUMBER) != str(index):
            continue
        for published in engine.containers.port(container.id):
            if published.container_port == private_port and published.protocol == protocol:
                typer.echo(f"{published.host_ip or '0.0.0.0'}:{published.host_port}")
                return
        raise OrchestratorError(f"no port {private_port}/{protocol} is published by {service}")
    raise OrchestratorError(f"service {service} has no container number {index}")


@project_command
def images(
    command: ComposeCommand,
    services: Services = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only the image ids.")] = False,
) -> None:
    """List the images the app's containers use."""
    from runtime.images.reference import parse_reference

    engine = command.engine()
    rows = []
    ids = []
    for container in command.containers(services or (), oneoff=True):
        image = engine.images.find(container.image_id) if container.image_id else None
        ids.append(container.image_id)
        repository, tag = container.image, "<none>"
        try:
            reference = parse_reference(container.image)
            repository, tag = reference.familiar_repository, reference.tag or "latest"
        except Exception:
            pass
        rows.append(
            [
                container.name,
                repository,
                tag,
                image.short_id if image else container.image_id[7:19],
                human_size(image.size) if image else "",
            ]
        )
    if quiet:
        typer.echo("".join(f"{image_id}\n" for image_id in dict.fromkeys(ids)), nl=False)
        return
    print_table(["CONTAINER", "REPOSITORY", "TAG", "IMAGE ID", "SIZE"], rows)
